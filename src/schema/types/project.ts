import { defineSubtype, defineType, type FieldDef } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

const quantity = (description: string): FieldDef => ({
  type: 'string',
  format: 'quantity',
  maxLength: 64,
  description,
});

/** Rancher's quota field names; each a Kubernetes quantity. */
export const resourceQuotaLimit = defineSubtype({
  id: 'resourceQuotaLimit',
  fields: {
    pods: quantity('pods'),
    services: quantity('services'),
    replicationControllers: quantity('replicationcontrollers'),
    secrets: quantity('secrets'),
    configMaps: quantity('configmaps'),
    persistentVolumeClaims: quantity('persistentvolumeclaims'),
    servicesNodePorts: quantity('services.nodeports'),
    servicesLoadBalancers: quantity('services.loadbalancers'),
    requestsCpu: quantity('requests.cpu'),
    requestsMemory: quantity('requests.memory'),
    requestsStorage: quantity('requests.storage'),
    limitsCpu: quantity('limits.cpu'),
    limitsMemory: quantity('limits.memory'),
  },
});

export const projectResourceQuota = defineSubtype({
  id: 'projectResourceQuota',
  fields: {
    limit: { type: 'resourceQuotaLimit' },
    /** The sum of the quotas of the project's namespaces. */
    usedLimit: { type: 'resourceQuotaLimit', create: false, update: false },
  },
});

export const namespaceResourceQuota = defineSubtype({
  id: 'namespaceResourceQuota',
  fields: { limit: { type: 'resourceQuotaLimit' } },
});

export const containerResourceLimit = defineSubtype({
  id: 'containerResourceLimit',
  fields: {
    requestsCpu: quantity('default CPU request'),
    requestsMemory: quantity('default memory request'),
    limitsCpu: quantity('default CPU limit'),
    limitsMemory: quantity('default memory limit'),
  },
});

export const project = defineType({
  id: 'project',
  plural: 'projects',
  idPrefix: 'p-',
  fields: {
    name: { type: 'string', required: true, minLength: 1, maxLength: 63 },
    description: { type: 'string', maxLength: 1024 },
    clusterId: { type: 'reference[cluster]', required: true, update: false },
    resourceQuota: { type: 'projectResourceQuota', nullable: true },
    namespaceDefaultResourceQuota: { type: 'namespaceResourceQuota', nullable: true },
    containerDefaultResourceLimit: { type: 'containerResourceLimit', nullable: true },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'clusterId', 'state', 'created'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projects' },
});

export const projectRoleTemplateBinding = defineType({
  id: 'projectRoleTemplateBinding',
  plural: 'projectRoleTemplateBindings',
  idPrefix: 'prtb-',
  fields: {
    projectId: { type: 'reference[project]', required: true, update: false },
    roleTemplateId: { type: 'reference[roleTemplate]', required: true, update: false },
    userId: { type: 'reference[user]', update: false },
    userPrincipalId: { type: 'string', update: false },
    groupPrincipalId: { type: 'string', update: false },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'projectId', 'roleTemplateId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projectroletemplatebindings' },
});
