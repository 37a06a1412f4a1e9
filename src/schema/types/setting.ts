import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const setting = defineType({
  id: 'setting',
  plural: 'settings',
  fields: {
    name: { type: 'string', create: false, update: false },
    value: { type: 'string', maxLength: 65536 },
    default: { type: 'string', create: false, update: false },
    customized: { type: 'boolean', create: false, update: false },
    source: { type: 'enum', options: ['default', 'db', 'env'], create: false, update: false },
    /** Corral addition: SHA-256 of the value, where clients pin it (cacerts). */
    checksum: { type: 'string', create: false, update: false },
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET', 'PUT'],
  columns: ['id', 'value', 'customized'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'settings' },
});
