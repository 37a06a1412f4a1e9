import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { namespaceResourceQuota } from './project.js';

/**
 * A namespace of a downstream cluster with the project it belongs to. Corral stores none: the
 * cluster is the truth, read through the cluster's connection.
 */
export const namespace = defineType({
  id: 'namespace',
  plural: 'namespaces',
  scope: 'cluster',
  fields: {
    name: f.string({
      required: true,
      update: false,
      minLength: 1,
      maxLength: 63,
      pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      patternHint: 'must be a DNS label: lower-case letters, digits and -, starting and ending with a letter or digit',
    }),
    description: f.string({ maxLength: 1024 }),
    clusterId: f.ref('cluster', { readOnly: true }),
    projectId: f.ref('project', { nullable: true, description: 'the project it belongs to (c-xxxxx:p-xxxxx)' }),
    resourceQuota: f.object(namespaceResourceQuota, { nullable: true }),
  },
  resourceActions: {
    move: { input: 'namespaceMoveInput', verb: 'update', description: 'move it into another project (or none)' },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['name', 'projectId', 'state', 'created'],
  source: 'downstream',
  authz: { apiGroup: '', resource: 'namespaces' },
});

export const namespaceMoveInput = defineSubtype({
  id: 'namespaceMoveInput',
  fields: { projectId: f.ref('project', { nullable: true }) },
});
