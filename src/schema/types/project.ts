import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

const quantity = <const D extends string>(description: D) => f.quantity({ maxLength: 64, description });

/** Rancher's quota field names; each a Kubernetes quantity, described by its Kubernetes resource name. */
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
    limit: f.object(resourceQuotaLimit),
    /** The sum of the quotas of the project's namespaces. */
    usedLimit: f.object(resourceQuotaLimit, { readOnly: true }),
  },
});

export const namespaceResourceQuota = defineSubtype({
  id: 'namespaceResourceQuota',
  fields: { limit: f.object(resourceQuotaLimit) },
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
    name: f.string({ required: true, minLength: 1, maxLength: 63 }),
    description: f.string({ maxLength: 1024 }),
    clusterId: f.ref('cluster', { required: true, update: false }),
    resourceQuota: f.object(projectResourceQuota, { nullable: true }),
    namespaceDefaultResourceQuota: f.object(namespaceResourceQuota, { nullable: true }),
    containerDefaultResourceLimit: f.object(containerResourceLimit, { nullable: true }),
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
    projectId: f.ref('project', { required: true, update: false }),
    roleTemplateId: f.ref('roleTemplate', { required: true, update: false }),
    userId: f.ref('user', { update: false }),
    userPrincipalId: f.string({ update: false }),
    groupPrincipalId: f.string({ update: false }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  columns: ['id', 'projectId', 'roleTemplateId', 'userId', 'groupPrincipalId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projectroletemplatebindings' },
});
