import { f } from '../fields.js';
import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP, policyRule } from './common.js';

export const globalRole = defineType({
  id: 'globalRole',
  plural: 'globalRoles',
  idPrefix: 'gr-',
  fields: {
    name: f.string({ required: true, maxLength: 256, description: 'display name' }),
    description: f.string({ maxLength: 1024 }),
    rules: f.array(f.object(policyRule), { default: [] }),
    newUserDefault: f.boolean({ default: false }),
    builtin: f.boolean({ readOnly: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'builtin', 'newUserDefault'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'globalroles' },
});

export const globalRoleBinding = defineType({
  id: 'globalRoleBinding',
  plural: 'globalRoleBindings',
  idPrefix: 'globalrolebinding-',
  fields: {
    globalRoleId: f.ref('globalRole', { required: true, update: false }),
    userId: f.ref('user', { update: false }),
    groupPrincipalId: f.string({ update: false, maxLength: 512 }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'globalRoleId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'globalrolebindings' },
});
