import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

const quantity = (description: string, label: string) => f.quantity({ maxLength: 64, description, label });

/**
 * Rancher's quota field names; each a Kubernetes quantity, described by the Kubernetes resource it
 * stands for. The one list of quota fields: the quota code, the CLI and the UI's quota table read it.
 */
export const resourceQuotaLimit = defineSubtype({
  id: 'resourceQuotaLimit',
  fields: {
    pods: quantity('pods', 'Pods'),
    services: quantity('services', 'Services'),
    replicationControllers: quantity('replicationcontrollers', 'Replication controllers'),
    secrets: quantity('secrets', 'Secrets'),
    configMaps: quantity('configmaps', 'ConfigMaps'),
    persistentVolumeClaims: quantity('persistentvolumeclaims', 'Persistent volume claims'),
    servicesNodePorts: quantity('services.nodeports', 'NodePort services'),
    servicesLoadBalancers: quantity('services.loadbalancers', 'LoadBalancer services'),
    requestsCpu: quantity('requests.cpu', 'CPU requests'),
    requestsMemory: quantity('requests.memory', 'Memory requests'),
    requestsStorage: quantity('requests.storage', 'Storage requests'),
    limitsCpu: quantity('limits.cpu', 'CPU limits'),
    limitsMemory: quantity('limits.memory', 'Memory limits'),
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
    requestsCpu: quantity('default CPU request', 'CPU request'),
    requestsMemory: quantity('default memory request', 'Memory request'),
    limitsCpu: quantity('default CPU limit', 'CPU limit'),
    limitsMemory: quantity('default memory limit', 'Memory limit'),
  },
});

export const project = defineType({
  id: 'project',
  plural: 'projects',
  idPrefix: 'p-',
  fields: {
    name: f.string({ required: true, minLength: 1, maxLength: 63, label: 'Project name' }),
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
