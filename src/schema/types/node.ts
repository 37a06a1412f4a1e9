import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

/**
 * A node of a downstream cluster, in Rancher's management shape (`/v3/nodes?clusterId=...`).
 * Corral stores none: each list reads the cluster's Node objects through its connection.
 */
export const node = defineType({
  id: 'node',
  plural: 'nodes',
  fields: {
    name: { type: 'string', create: false, update: false },
    nodeName: { type: 'string', create: false, update: false },
    hostname: { type: 'string', create: false, update: false },
    clusterId: { type: 'reference[cluster]', create: false, update: false },
    ipAddress: { type: 'string', create: false, update: false },
    controlPlane: { type: 'boolean', create: false, update: false },
    etcd: { type: 'boolean', create: false, update: false },
    worker: { type: 'boolean', create: false, update: false },
    unschedulable: { type: 'boolean', create: false, update: false },
    allocatable: { type: 'map[string]', create: false, update: false },
    capacity: { type: 'map[string]', create: false, update: false },
    /** Sums of the requests of the pods on the node that hold resources (and `pods`, their count). */
    requested: { type: 'map[string]', create: false, update: false },
    info: { type: 'json', create: false, update: false },
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'nodeName', 'state', 'clusterId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'nodes' },
});
