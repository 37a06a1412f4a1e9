import { f } from '../fields.js';
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
    name: f.string({ readOnly: true }),
    nodeName: f.string({ readOnly: true }),
    hostname: f.string({ readOnly: true }),
    clusterId: f.ref('cluster', { readOnly: true }),
    ipAddress: f.string({ readOnly: true }),
    controlPlane: f.boolean({ readOnly: true }),
    etcd: f.boolean({ readOnly: true }),
    worker: f.boolean({ readOnly: true }),
    unschedulable: f.boolean({ readOnly: true }),
    allocatable: f.map(f.string(), { readOnly: true }),
    capacity: f.map(f.string(), { readOnly: true }),
    /** Sums of the requests of the pods on the node that hold resources (and `pods`, their count). */
    requested: f.map(f.string(), { readOnly: true }),
    info: f.json<Record<string, unknown>>({ readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'nodeName', 'state', 'clusterId'],
  source: 'downstream',
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'nodes' },
});
