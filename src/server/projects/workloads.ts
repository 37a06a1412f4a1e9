import { workloadContainer } from '../../schema/types/workload.js';
import {
  HISTORY_KINDS,
  editVersion,
  podTemplateOf,
  PORTS_ANNOTATION,
  portsOf,
  type KubeObject,
  type WorkloadKind,
} from '../../schema/workload-spec.js';

interface Container {
  name: string;
  image?: string;
}

const containersOf = (podSpec: Record<string, unknown>) =>
  ((podSpec.containers as Container[] | undefined) ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));

/** A workload's containers in Rancher's shape: as Kubernetes has them, ports with their Service kinds. */
function workloadContainers(obj: KubeObject, list: unknown): Record<string, unknown>[] {
  // Only the fields Rancher's shape has, so a GET-modify-PUT round trip validates; the
  // Kubernetes-only ones (terminationMessagePath…) are kept on update from the object itself.
  const containers = ((list as Record<string, unknown>[] | undefined) ?? []).map((c) =>
    Object.fromEntries(Object.entries(c).filter(([k]) => k in workloadContainer.fields)),
  );
  const ports = portsOf(obj, containers as { ports?: unknown[] }[]);
  return containers.map((c, i) => ({ ...c, image: c.image ?? '', ...(c.ports ? { ports: ports[i] } : {}) }));
}

/** Rancher's state of a workload: active once what it asked for is available, else updating. */
function workloadState(type: WorkloadKind, obj: KubeObject): string {
  if (obj.metadata.deletionTimestamp) return 'removing';
  const s = obj.status ?? {};
  const n = (k: string) => Number(s[k] ?? 0);
  if (type === 'deployment' || type === 'statefulSet') {
    const want = Number(obj.spec?.replicas ?? 1);
    return n(type === 'deployment' ? 'availableReplicas' : 'readyReplicas') >= want ? 'active' : 'updating';
  }
  if (type === 'daemonSet') return n('numberReady') >= n('desiredNumberScheduled') ? 'active' : 'updating';
  if (type === 'job') return n('succeeded') > 0 ? 'succeeded' : n('failed') > 0 ? 'failed' : 'active';
  return obj.spec?.suspend === true ? 'suspended' : 'active';
}

export const workloadId = (type: WorkloadKind, obj: KubeObject) =>
  `${type.toLowerCase()}:${obj.metadata.namespace ?? ''}:${obj.metadata.name}`;

/** A Kubernetes workload as Rancher's v3 workload (id `<type>:<namespace>:<name>`, lower-case type). */
export function renderWorkload(
  baseUrl: string,
  projectId: string,
  type: WorkloadKind,
  obj: KubeObject,
): Record<string, unknown> {
  const id = workloadId(type, obj);
  const spec = obj.spec ?? {};
  const scaled = type === 'deployment' || type === 'statefulSet';
  const template = podTemplateOf(type, spec) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
  const podSpec = template.spec ?? {};
  const self = `${baseUrl}/v3/projects/${projectId}/workloads/${id}`;
  const actions: Record<string, string> = {};
  if (type !== 'job') actions.redeploy = `${self}?action=redeploy`;
  if (type === 'deployment')
    actions[spec.paused === true ? 'resume' : 'pause'] = `${self}?action=${spec.paused === true ? 'resume' : 'pause'}`;
  const history = type in HISTORY_KINDS;
  if (history) actions.rollback = `${self}?action=rollback`;
  const base = common(baseUrl, projectId, 'workloads', id, obj);
  const strategy = spec.strategy as { type?: string; rollingUpdate?: Record<string, unknown> } | undefined;
  const str = (v: unknown) => (v === undefined || v === null ? null : String(v));
  return {
    ...base,
    labels: template.metadata?.labels ?? {},
    annotations: template.metadata?.annotations ?? {},
    resourceVersion: editVersion(obj),
    links: {
      ...base.links,
      update: self,
      remove: self,
      ...(history ? { revisions: `${self}/revisions` } : {}),
    },
    actions,
    volumes: podSpec.volumes ?? null,
    initContainers: podSpec.initContainers ? workloadContainers(obj, podSpec.initContainers) : null,
    imagePullSecrets: ((podSpec.imagePullSecrets as { name: string }[] | undefined) ?? []).map((x) => x.name),
    nodeId: podSpec.nodeName ?? null,
    nodeSelector: podSpec.nodeSelector ?? null,
    tolerations: podSpec.tolerations ?? null,
    affinity: podSpec.affinity ?? null,
    priorityClassName: podSpec.priorityClassName ?? null,
    securityContext: podSpec.securityContext ?? null,
    workloadAnnotations: Object.fromEntries(
      Object.entries(obj.metadata.annotations ?? {}).filter(([k]) => k !== PORTS_ANNOTATION),
    ),
    deploymentConfig:
      type === 'deployment'
        ? {
            strategy: strategy?.type ?? 'RollingUpdate',
            maxSurge: str(strategy?.rollingUpdate?.maxSurge),
            maxUnavailable: str(strategy?.rollingUpdate?.maxUnavailable),
            minReadySeconds: (spec.minReadySeconds as number | undefined) ?? null,
            revisionHistoryLimit: (spec.revisionHistoryLimit as number | undefined) ?? null,
          }
        : null,
    cronJobConfig:
      type === 'cronJob'
        ? {
            schedule: spec.schedule ?? '',
            concurrencyPolicy: spec.concurrencyPolicy ?? null,
            suspend: spec.suspend ?? null,
            successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit ?? null,
            failedJobsHistoryLimit: spec.failedJobsHistoryLimit ?? null,
          }
        : null,
    jobConfig:
      type === 'job' || type === 'cronJob'
        ? (() => {
            const j =
              type === 'job'
                ? spec
                : (((spec.jobTemplate as Record<string, unknown> | undefined)?.spec as Record<string, unknown>) ?? {});
            return {
              completions: j.completions ?? null,
              parallelism: j.parallelism ?? null,
              backoffLimit: j.backoffLimit ?? null,
              activeDeadlineSeconds: j.activeDeadlineSeconds ?? null,
            };
          })()
        : null,
    type: type.toLowerCase(),
    baseType: 'workload',
    workloadType: type,
    state: workloadState(type, obj),
    scale: scaled ? Number(spec.replicas ?? 1) : null,
    paused: spec.paused === true,
    containers: workloadContainers(obj, podSpec.containers),
    workloadLabels: obj.metadata.labels ?? {},
  };
}

/** The workload that controls a pod, in Rancher's id form (a ReplicaSet stands for its Deployment). */
export function podWorkloadId(pod: KubeObject): string | null {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return null;
  const ns = pod.metadata.namespace ?? '';
  if (owner.kind === 'ReplicaSet') {
    // A Deployment's ReplicaSets are named <deployment>-<pod-template-hash>.
    const cut = owner.name.lastIndexOf('-');
    return `deployment:${ns}:${cut > 0 ? owner.name.slice(0, cut) : owner.name}`;
  }
  return `${owner.kind.toLowerCase()}:${ns}:${owner.name}`;
}

export function renderPod(baseUrl: string, projectId: string, obj: KubeObject): Record<string, unknown> {
  const ns = obj.metadata.namespace ?? '';
  const phase = String(obj.status?.phase ?? 'Pending');
  return {
    ...common(baseUrl, projectId, 'pods', `${ns}:${obj.metadata.name}`, obj),
    type: 'pod',
    baseType: 'pod',
    state: obj.metadata.deletionTimestamp ? 'removing' : phase.toLowerCase(),
    nodeId: obj.spec?.nodeName ?? null,
    workloadId: podWorkloadId(obj),
    containers: containersOf(obj.spec ?? {}),
  };
}

function common(baseUrl: string, projectId: string, plural: string, id: string, obj: KubeObject) {
  return {
    id,
    name: obj.metadata.name,
    namespaceId: obj.metadata.namespace ?? '',
    projectId,
    created: obj.metadata.creationTimestamp ?? null,
    uuid: obj.metadata.uid ?? '',
    labels: obj.metadata.labels ?? {},
    annotations: obj.metadata.annotations ?? {},
    transitioning: 'no',
    transitioningMessage: '',
    links: { self: `${baseUrl}/v3/projects/${projectId}/${plural}/${id}` },
    actions: {},
  };
}
