import { defineType } from '../schema.js';

/**
 * A workload of a project (Deployment, StatefulSet, DaemonSet, Job or CronJob of its namespaces),
 * in Rancher's shape: id `<kind>:<namespace>:<name>`, `type` the kind in lower case. Read-only.
 */
export const workload = defineType({
  id: 'workload',
  plural: 'workloads',
  scope: 'project',
  fields: {
    name: { type: 'string', create: false, update: false },
    namespaceId: { type: 'reference[namespace]', create: false, update: false },
    projectId: { type: 'reference[project]', create: false, update: false },
    workloadType: {
      type: 'enum',
      options: ['deployment', 'statefulSet', 'daemonSet', 'job', 'cronJob'],
      create: false,
      update: false,
    },
    scale: { type: 'int', create: false, update: false },
    containers: { type: 'json', create: false, update: false },
    paused: { type: 'boolean', create: false, update: false },
    workloadLabels: { type: 'map[string]', create: false, update: false },
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'namespaceId', 'state', 'scale'],
  authz: { apiGroup: 'apps', resource: 'deployments' },
});
