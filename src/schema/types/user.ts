import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const setPasswordInput = defineSubtype({
  id: 'setPasswordInput',
  fields: { newPassword: f.password({ required: true }) },
});

export const changePasswordInput = defineSubtype({
  id: 'changePasswordInput',
  fields: {
    currentPassword: f.password({ required: true }),
    newPassword: f.password({ required: true }),
  },
});

export const user = defineType({
  id: 'user',
  plural: 'users',
  idPrefix: 'u-',
  fields: {
    username: f.string({
      required: true,
      update: false,
      minLength: 1,
      maxLength: 128,
      pattern: /^[^\s:]+$/,
      patternHint: 'must not contain spaces or colons',
    }),
    name: f.string({ maxLength: 256, description: 'display name', label: 'Display name' }),
    description: f.string({ maxLength: 1024 }),
    password: f.password({ required: true, writeOnly: true, update: false }),
    enabled: f.boolean({ default: true }),
    mustChangePassword: f.boolean({ default: false, label: 'Must change the password at first login' }),
    principalIds: f.array(f.string(), { readOnly: true }),
    /** The user's groups at their directory, as of the last login or refresh; the proxy impersonates them. */
    groupPrincipalIds: f.array(f.string(), { readOnly: true }),
    me: f.boolean({ readOnly: true }),
  },
  resourceActions: {
    setpassword: {
      input: 'setPasswordInput',
      output: 'user',
      verb: 'update',
      description: 'set a new password (admins)',
    },
    refreshauthprovideraccess: { verb: 'update' },
  },
  collectionActions: {
    changepassword: { input: 'changePasswordInput', verb: 'get', description: 'change your own password' },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'username', 'name', 'enabled', 'created'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'users' },
});
