import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const importedConfig = defineSubtype({
  id: 'importedConfig',
  fields: {
    /** Stored encrypted, never returned. */
    kubeConfig: { type: 'password', required: true, writeOnly: true, maxLength: 512 * 1024 },
  },
});

export const clusterCondition = defineSubtype({
  id: 'clusterCondition',
  fields: {
    type: { type: 'string' },
    status: { type: 'enum', options: ['True', 'False', 'Unknown'] },
    reason: { type: 'string' },
    message: { type: 'string' },
    lastUpdateTime: { type: 'date' },
  },
});

export const generateKubeconfigOutput = defineSubtype({
  id: 'generateKubeConfigOutput',
  fields: { config: { type: 'string' } },
});

export const cluster = defineType({
  id: 'cluster',
  plural: 'clusters',
  idPrefix: 'c-',
  fields: {
    name: {
      type: 'string',
      required: true,
      minLength: 1,
      maxLength: 63,
      pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      patternHint: 'must be lower-case letters, digits and -, starting and ending with a letter or digit',
    },
    description: { type: 'string', maxLength: 1024 },
    /** Register a cluster the server reaches itself; without it the cluster is imported with the agent. */
    importedConfig: { type: 'importedConfig', update: false, writeOnly: true },
    driver: { type: 'enum', options: ['imported', 'direct', 'local'], create: false, update: false },
    internal: { type: 'boolean', create: false, update: false },
    conditions: { type: 'array[clusterCondition]', create: false, update: false },
    version: { type: 'json', create: false, update: false },
    apiEndpoint: { type: 'string', create: false, update: false },
    nodeCount: { type: 'int', create: false, update: false },
    capacity: { type: 'map[string]', create: false, update: false },
    allocatable: { type: 'map[string]', create: false, update: false },
    /** Sums of the requests of the pods not finished (and `pods`, their count), as Rancher's. */
    requested: { type: 'map[string]', create: false, update: false },
    /** Sums of the limits of the same pods. */
    limits: { type: 'map[string]', create: false, update: false },
    caCert: { type: 'string', create: false, update: false },
  },
  resourceActions: {
    generateKubeconfig: {
      output: 'generateKubeConfigOutput',
      verb: 'get',
      description: 'a kubeconfig for this cluster through the server',
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
    clusterId: { type: 'reference[cluster]', required: true, update: false },
    token: { type: 'string', create: false, update: false },
    manifestUrl: { type: 'string', create: false, update: false },
    command: { type: 'string', create: false, update: false },
    insecureCommand: { type: 'string', create: false, update: false },
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
    clusterId: { type: 'reference[cluster]', required: true, update: false },
    roleTemplateId: { type: 'reference[roleTemplate]', required: true, update: false },
    userId: { type: 'reference[user]', update: false },
    userPrincipalId: { type: 'string', update: false },
    groupPrincipalId: { type: 'string', update: false },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'clusterId', 'roleTemplateId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusterroletemplatebindings' },
});
