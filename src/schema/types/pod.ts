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
    name: { type: 'string', create: false, update: false },
    namespaceId: { type: 'reference[namespace]', create: false, update: false },
    projectId: { type: 'reference[project]', create: false, update: false },
    nodeId: { type: 'reference[node]', create: false, update: false },
    workloadId: { type: 'reference[workload]', nullable: true, create: false, update: false },
    containers: { type: 'json', create: false, update: false },
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'namespaceId', 'state', 'workloadId'],
  authz: { apiGroup: '', resource: 'pods' },
});
