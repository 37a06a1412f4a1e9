import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const importedConfig = defineSubtype({
  id: 'importedConfig',
  fields: {
    /** Stored encrypted, never returned. */
    kubeConfig: f.password({ required: true, writeOnly: true, maxLength: 512 * 1024 }),
  },
});

export const clusterCondition = defineSubtype({
  id: 'clusterCondition',
  fields: {
    type: f.string(),
    status: f.enum(['True', 'False', 'Unknown']),
    reason: f.string(),
    message: f.string(),
    lastUpdateTime: f.date(),
  },
});

export const generateKubeconfigOutput = defineSubtype({
  id: 'generateKubeConfigOutput',
  fields: { config: f.string() },
});

/**
 * Rancher's Import YAML. The scope is the field set: `namespace` (every object goes there; one
 * naming another namespace, or a cluster-wide one, fails the import), `projectId` (namespaces it
 * creates join the project), neither (cluster scope: namespaces it creates are in no project).
 */
export const importClusterYamlInput = defineSubtype({
  id: 'importClusterYamlInput',
  fields: {
    yaml: f.string({ required: true, minLength: 1, description: 'one or more Kubernetes objects' }),
    defaultNamespace: f.string({ nullable: true, description: 'for namespaced objects that name none' }),
    namespace: f.string({ nullable: true, description: 'namespace scope: everything goes into this namespace' }),
    projectId: f.ref('project', { nullable: true, description: 'project scope: namespaces created join it' }),
  },
});

export const importYamlOutput = defineSubtype({
  id: 'importYamlOutput',
  fields: { message: f.string(), applied: f.array(f.string()) },
});

export const cluster = defineType({
  id: 'cluster',
  plural: 'clusters',
  idPrefix: 'c-',
  fields: {
    name: f.string({
      required: true,
      minLength: 1,
      maxLength: 63,
      pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      patternHint: 'must be lower-case letters, digits and -, starting and ending with a letter or digit',
    }),
    description: f.string({ maxLength: 1024 }),
    /** Rancher's switch: a Prometheus beside the server scrapes this cluster (see docs/architecture.md). */
    enableClusterMonitoring: f.boolean({ default: false }),
    /** Register a cluster the server reaches itself; without it the cluster is imported with the agent. */
    importedConfig: f.object(importedConfig, { update: false, writeOnly: true }),
    driver: f.enum(['imported', 'direct', 'local'], { readOnly: true }),
    internal: f.boolean({ readOnly: true }),
    // Null until the cluster's health is first checked.
    conditions: f.array(f.object(clusterCondition), { readOnly: true }),
    version: f.json<{ gitVersion?: string }>({ readOnly: true }),
    apiEndpoint: f.string({ readOnly: true }),
    nodeCount: f.int({ readOnly: true }),
    capacity: f.map(f.string(), { readOnly: true }),
    allocatable: f.map(f.string(), { readOnly: true }),
    /** Sums of the requests of the pods not finished (and `pods`, their count), as Rancher's. */
    requested: f.map(f.string(), { readOnly: true }),
    /** Sums of the limits of the same pods. */
    limits: f.map(f.string(), { readOnly: true }),
    caCert: f.string({ readOnly: true }),
  },
  resourceActions: {
    generateKubeconfig: {
      output: 'generateKubeConfigOutput',
      verb: 'get',
      description: 'a kubeconfig for this cluster through the server',
    },
    importYaml: {
      input: 'importClusterYamlInput',
      output: 'importYamlOutput',
      // Anyone who sees the cluster may ask; the cluster's RBAC decides, as the objects are
      // applied as the caller.
      verb: 'get',
      description: 'apply Kubernetes YAML to the cluster, in cluster, project or namespace scope',
    },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'state', 'driver', 'nodeCount', 'created'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusters' },
});

export const clusterRegistrationToken = defineType({
  id: 'clusterRegistrationToken',
  plural: 'clusterRegistrationTokens',
  idPrefix: 'crt-',
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false }),
    token: f.string({ readOnly: true }),
    manifestUrl: f.string({ readOnly: true }),
    command: f.string({ readOnly: true }),
    insecureCommand: f.string({ readOnly: true }),
  },
  resourceActions: { regenerate: { verb: 'update', description: 'a new token; the old one stops working at once' } },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'clusterId', 'command'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusterregistrationtokens' },
});

export const clusterRoleTemplateBinding = defineType({
  id: 'clusterRoleTemplateBinding',
  plural: 'clusterRoleTemplateBindings',
  idPrefix: 'crtb-',
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false }),
    roleTemplateId: f.ref('roleTemplate', { required: true, update: false }),
    userId: f.ref('user', { update: false }),
    userPrincipalId: f.string({ update: false }),
    groupPrincipalId: f.string({ update: false }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'clusterId', 'roleTemplateId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusterroletemplatebindings' },
});
