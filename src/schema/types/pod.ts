import { f } from '../fields.js';
import { defineType } from '../schema.js';

/**
 * A pod of a project's namespaces, in Rancher's shape (id `<namespace>:<name>`): read-only, so
 * that `rancher ps` finds the pods no workload owns (`workloadId` null).
 */
export const pod = defineType({
  id: 'pod',
  plural: 'pods',
  scope: 'project',
  fields: {
    name: f.string({ readOnly: true }),
    namespaceId: f.ref('namespace', { readOnly: true }),
    projectId: f.ref('project', { readOnly: true }),
    nodeId: f.ref('node', { readOnly: true }),
    workloadId: f.ref('workload', { nullable: true, readOnly: true }),
    containers: f.json<unknown[]>({ readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'namespaceId', 'state', 'workloadId'],
  source: 'downstream',
  authz: { apiGroup: '', resource: 'pods' },
});
