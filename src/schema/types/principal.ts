import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const searchPrincipalsInput = defineSubtype({
  id: 'searchPrincipalsInput',
  fields: {
    name: f.string({ maxLength: 256 }),
    principalType: f.enum(['user', 'group']),
  },
});

export const principal = defineType({
  id: 'principal',
  plural: 'principals',
  fields: {
    name: f.string({ readOnly: true }),
    loginName: f.string({ readOnly: true }),
    principalType: f.enum(['user', 'group'], { readOnly: true }),
    provider: f.string({ readOnly: true }),
    me: f.boolean({ readOnly: true }),
    memberOf: f.boolean({ readOnly: true }),
  },
  collectionActions: { search: { input: 'searchPrincipalsInput', output: 'collection', verb: 'list' } },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'loginName', 'principalType'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'principals' },
});
