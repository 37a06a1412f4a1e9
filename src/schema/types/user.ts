import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const setPasswordInput = defineSubtype({
  id: 'setPasswordInput',
  fields: { newPassword: { type: 'password', required: true } },
});

export const changePasswordInput = defineSubtype({
  id: 'changePasswordInput',
  fields: {
    currentPassword: { type: 'password', required: true },
    newPassword: { type: 'password', required: true },
  },
});

export const user = defineType({
  id: 'user',
  plural: 'users',
  idPrefix: 'u-',
  fields: {
    username: {
      type: 'string',
      required: true,
      update: false,
      minLength: 1,
      maxLength: 128,
      pattern: /^[^\s:]+$/,
      patternHint: 'must not contain spaces or colons',
    },
    name: { type: 'string', maxLength: 256, description: 'display name' },
    description: { type: 'string', maxLength: 1024 },
    password: { type: 'password', required: true, writeOnly: true, update: false },
    enabled: { type: 'boolean', default: true },
    mustChangePassword: { type: 'boolean', default: false },
    principalIds: { type: 'array[string]', create: false, update: false },
    me: { type: 'boolean', create: false, update: false },
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
