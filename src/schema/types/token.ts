import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const token = defineType({
  id: 'token',
  plural: 'tokens',
  idPrefix: 'token-',
  fields: {
    name: { type: 'string', create: false, update: false },
    description: { type: 'string', maxLength: 1024 },
    /** Milliseconds, as Rancher; 0 means the server's maximum (setting auth-token-max-ttl-minutes). */
    ttl: { type: 'int', min: 0, update: false, default: 0 },
    clusterId: { type: 'reference[cluster]', update: false, nullable: true },
    expiresAt: { type: 'date', create: false, update: false },
    expired: { type: 'boolean', create: false, update: false },
    userId: { type: 'reference[user]', create: false, update: false },
    userPrincipal: { type: 'string', create: false, update: false },
    authProvider: { type: 'string', create: false, update: false },
    isDerived: { type: 'boolean', create: false, update: false },
    current: { type: 'boolean', create: false, update: false },
    enabled: { type: 'boolean', create: false, update: false },
    lastUsedAt: { type: 'date', create: false, update: false },
    /** `token-xxxxx:<secret>`, present only in the response that created it. */
    token: { type: 'string', create: false, update: false },
  },
  collectionActions: {
    logout: { verb: 'get', description: 'end the session of the token used for this request' },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'description', 'clusterId', 'expiresAt', 'created'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'tokens' },
});
