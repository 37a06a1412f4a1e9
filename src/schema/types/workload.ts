import { f } from '../fields.js';
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
    name: f.string({ readOnly: true }),
    namespaceId: f.ref('namespace', { readOnly: true }),
    projectId: f.ref('project', { readOnly: true }),
    workloadType: f.enum(['deployment', 'statefulSet', 'daemonSet', 'job', 'cronJob'], { readOnly: true }),
    scale: f.int({ readOnly: true }),
    containers: f.json<unknown[]>({ readOnly: true }),
    paused: f.boolean({ readOnly: true }),
    workloadLabels: f.map(f.string(), { readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'namespaceId', 'state', 'scale'],
  source: 'downstream',
  authz: { apiGroup: 'apps', resource: 'deployments' },
});
