import { f } from '../fields.js';
import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const setting = defineType({
  id: 'setting',
  plural: 'settings',
  fields: {
    name: f.string({ readOnly: true }),
    value: f.string({ maxLength: 65536 }),
    default: f.string({ readOnly: true }),
    customized: f.boolean({ readOnly: true }),
    source: f.enum(['default', 'db', 'env'], { readOnly: true }),
    /** Corral addition: SHA-256 of the value, where clients pin it (cacerts). */
    checksum: f.string({ readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET', 'PUT'],
  columns: ['id', 'value', 'customized'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'settings' },
});
