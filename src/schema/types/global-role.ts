import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const globalRole = defineType({
  id: 'globalRole',
  plural: 'globalRoles',
  idPrefix: 'gr-',
  fields: {
    name: { type: 'string', required: true, maxLength: 256, description: 'display name' },
    description: { type: 'string', maxLength: 1024 },
    rules: { type: 'array[policyRule]', default: [] },
    newUserDefault: { type: 'boolean', default: false },
    builtin: { type: 'boolean', create: false, update: false },
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
    globalRoleId: { type: 'reference[globalRole]', required: true, update: false },
    userId: { type: 'reference[user]', update: false },
    groupPrincipalId: { type: 'string', update: false, maxLength: 512 },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'globalRoleId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'globalrolebindings' },
});
