import { f } from '../fields.js';
import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const token = defineType({
  id: 'token',
  plural: 'tokens',
  idPrefix: 'token-',
  fields: {
    name: f.string({ readOnly: true }),
    description: f.string({ maxLength: 1024 }),
    /** Milliseconds, as Rancher; 0 means the server's maximum (setting auth-token-max-ttl-minutes). */
    ttl: f.int({ min: 0, update: false, default: 0 }),
    clusterId: f.ref('cluster', { update: false, nullable: true }),
    expiresAt: f.date({ readOnly: true }),
    expired: f.boolean({ readOnly: true }),
    userId: f.ref('user', { readOnly: true }),
    userPrincipal: f.string({ readOnly: true }),
    authProvider: f.string({ readOnly: true }),
    isDerived: f.boolean({ readOnly: true }),
    current: f.boolean({ readOnly: true }),
    enabled: f.boolean({ readOnly: true }),
    lastUsedAt: f.date({ readOnly: true }),
    /** `token-xxxxx:<secret>`, present only in the response that created it. */
    token: f.string({ readOnly: true }),
  },
  collectionActions: {
    logout: { verb: 'get', description: 'end the session of the token used for this request' },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'description', 'clusterId', 'expiresAt', 'created'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'tokens' },
});
