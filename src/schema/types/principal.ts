import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const searchPrincipalsInput = defineSubtype({
  id: 'searchPrincipalsInput',
  fields: {
    name: { type: 'string', maxLength: 256 },
    principalType: { type: 'enum', options: ['user', 'group'] },
  },
});

export const principal = defineType({
  id: 'principal',
  plural: 'principals',
  fields: {
    name: { type: 'string', create: false, update: false },
    loginName: { type: 'string', create: false, update: false },
    principalType: { type: 'enum', options: ['user', 'group'], create: false, update: false },
    provider: { type: 'string', create: false, update: false },
    me: { type: 'boolean', create: false, update: false },
    memberOf: { type: 'boolean', create: false, update: false },
  },
  collectionActions: { search: { input: 'searchPrincipalsInput', output: 'collection', verb: 'list' } },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'loginName', 'principalType'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'principals' },
});
