import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_HINT = 'must be lower-case letters, digits and "-", starting and ending with a letter or digit';

/**
 * A container port. `kind` asks for a Service exposing it (Rancher's convention: the ClusterIP
 * ports of a workload share a Service named as the workload, NodePort ports one named
 * `<workload>-nodeport`, LoadBalancer ports one named `<workload>-loadbalancer`).
 */
export const workloadPort = defineSubtype({
  id: 'containerPort',
  fields: {
    containerPort: f.int({ required: true, min: 1, max: 65535 }),
    protocol: f.enum(['TCP', 'UDP', 'SCTP'], { default: 'TCP' }),
    name: f.string({ maxLength: 15, pattern: DNS_LABEL, patternHint: DNS_HINT }),
    kind: f.enum(['ClusterIP', 'NodePort', 'LoadBalancer'], {
      nullable: true,
      description: 'the kind of Service that exposes this port; none when absent',
    }),
    sourcePort: f.int({
      min: 1,
      max: 65535,
      nullable: true,
      description: "the Service's port (the node port for NodePort); the container port when absent",
    }),
  },
});

/**
 * A container in Rancher's shape. The structured Kubernetes parts (env with valueFrom, probes,
 * resources, mounts, security context) are passed through as Kubernetes writes them, and the
 * API server of the cluster checks them.
 */
export const workloadContainer = defineSubtype({
  id: 'container',
  fields: {
    name: f.string({ required: true, maxLength: 63, pattern: DNS_LABEL, patternHint: DNS_HINT }),
    image: f.string({ required: true, minLength: 1 }),
    imagePullPolicy: f.enum(['Always', 'IfNotPresent', 'Never'], { nullable: true }),
    command: f.array(f.string(), { nullable: true }),
    args: f.array(f.string(), { nullable: true }),
    workingDir: f.string({ nullable: true }),
    ports: f.array(f.object(workloadPort), { nullable: true }),
    /** Rancher's plain name → value environment; `env` holds the Kubernetes list (valueFrom too). */
    environment: f.map(f.string(), { nullable: true }),
    env: f.json<unknown[]>({ nullable: true }),
    envFrom: f.json<unknown[]>({ nullable: true }),
    resources: f.json<Record<string, unknown>>({ nullable: true }),
    livenessProbe: f.json<Record<string, unknown>>({ nullable: true }),
    readinessProbe: f.json<Record<string, unknown>>({ nullable: true }),
    startupProbe: f.json<Record<string, unknown>>({ nullable: true }),
    volumeMounts: f.json<unknown[]>({ nullable: true }),
    securityContext: f.json<Record<string, unknown>>({ nullable: true }),
    /** An init container that keeps running beside the others (a sidecar): `Always`. */
    restartPolicy: f.enum(['Always'], { nullable: true }),
  },
});

export const deploymentConfig = defineSubtype({
  id: 'deploymentConfig',
  fields: {
    strategy: f.enum(['RollingUpdate', 'Recreate'], { nullable: true }),
    maxSurge: f.string({ nullable: true, description: 'a count or a percentage, e.g. 1 or 25%' }),
    maxUnavailable: f.string({ nullable: true, description: 'a count or a percentage, e.g. 0 or 25%' }),
    minReadySeconds: f.int({ min: 0, nullable: true }),
    revisionHistoryLimit: f.int({ min: 0, nullable: true }),
  },
});

export const cronJobConfig = defineSubtype({
  id: 'cronJobConfig',
  fields: {
    schedule: f.string({ required: true, minLength: 1, description: 'cron syntax, e.g. */5 * * * *' }),
    concurrencyPolicy: f.enum(['Allow', 'Forbid', 'Replace'], { nullable: true }),
    suspend: f.boolean({ nullable: true }),
    successfulJobsHistoryLimit: f.int({ min: 0, nullable: true }),
    failedJobsHistoryLimit: f.int({ min: 0, nullable: true }),
  },
});

export const jobConfig = defineSubtype({
  id: 'jobConfig',
  fields: {
    completions: f.int({ min: 1, nullable: true }),
    parallelism: f.int({ min: 0, nullable: true }),
    backoffLimit: f.int({ min: 0, nullable: true }),
    activeDeadlineSeconds: f.int({ min: 1, nullable: true }),
  },
});

// Not Rancher's "rollbackRevision" id: apps use that one for their own input (a revisionId).
export const rollbackRevision = defineSubtype({
  id: 'workloadRollback',
  fields: {
    /** Rancher's input: the ReplicaSet whose pod template comes back. */
    replicaSetId: f.string({ nullable: true }),
    /** Or the Deployment's revision number (`deployment.kubernetes.io/revision`). */
    revision: f.int({ min: 1, nullable: true }),
  },
});

/**
 * A workload of a project (Deployment, StatefulSet, DaemonSet, Job or CronJob of its namespaces),
 * in Rancher's shape: id `<kind>:<namespace>:<name>`, `type` the kind in lower case. Every read
 * and write goes to the cluster as the caller (impersonated), so the cluster's RBAC decides.
 * `labels` and `annotations` are those of the pods (as in Rancher); the workload's own are
 * `workloadLabels` and `workloadAnnotations`.
 */
export const workload = defineType({
  id: 'workload',
  plural: 'workloads',
  scope: 'project',
  fields: {
    name: f.string({ required: true, update: false, maxLength: 52, pattern: DNS_LABEL, patternHint: DNS_HINT }),
    namespaceId: f.ref('namespace', { required: true, update: false }),
    projectId: f.ref('project', { readOnly: true }),
    workloadType: f.enum(['deployment', 'statefulSet', 'daemonSet', 'job', 'cronJob'], {
      default: 'deployment',
      update: false,
    }),
    scale: f.int({ min: 0, nullable: true, description: 'replicas (Deployments and StatefulSets)' }),
    containers: f.array(f.object(workloadContainer), { required: true }),
    initContainers: f.array(f.object(workloadContainer), { nullable: true }),
    volumes: f.json<unknown[]>({ nullable: true }),
    imagePullSecrets: f.array(f.string(), { nullable: true, description: 'registry credential Secrets' }),
    nodeId: f.string({ nullable: true, label: 'Node name', description: 'run only on this node' }),
    nodeSelector: f.map(f.string(), { nullable: true }),
    tolerations: f.json<unknown[]>({ nullable: true }),
    affinity: f.json<Record<string, unknown>>({ nullable: true }),
    priorityClassName: f.string({ nullable: true }),
    securityContext: f.json<Record<string, unknown>>({ nullable: true }),
    deploymentConfig: f.object(deploymentConfig, { nullable: true }),
    cronJobConfig: f.object(cronJobConfig, { nullable: true }),
    jobConfig: f.object(jobConfig, { nullable: true }),
    workloadLabels: f.map(f.string(), { nullable: true }),
    workloadAnnotations: f.map(f.string(), { nullable: true }),
    paused: f.boolean({ readOnly: true }),
  },
  resourceActions: {
    redeploy: { description: 'restart every pod, one by one as the strategy says' },
    pause: { description: 'stop rolling out changes (Deployments)' },
    resume: { description: 'roll out what changed while paused (Deployments)' },
    rollback: { input: 'rollbackRevision', description: "bring back an earlier revision's pod template" },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['name', 'namespaceId', 'workloadType', 'state', 'scale'],
  source: 'downstream',
  authz: { apiGroup: 'apps', resource: 'deployments' },
});
