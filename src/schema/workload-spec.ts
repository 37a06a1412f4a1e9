/**
 * Rancher's workload shape ↔ Kubernetes objects, as pure functions: the v3 input becomes a
 * Deployment, StatefulSet, DaemonSet, Job or CronJob (and the Services its ports ask for), and
 * an existing object is read back into the v3 shape.
 */
import type { SpecOf } from './fields.js';
import { workloadContainer, type workload } from './types/workload.js';

const CONTAINER_FIELDS = workloadContainer.fields;

export type WorkloadInput = Partial<SpecOf<typeof workload>>;
type ContainerInput = SpecOf<typeof workloadContainer>;
type PortInput = NonNullable<ContainerInput['ports']>[number];

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export const WORKLOAD_KINDS = {
  deployment: { kind: 'Deployment', apiVersion: 'apps/v1', api: '/apis/apps/v1', resource: 'deployments' },
  statefulSet: { kind: 'StatefulSet', apiVersion: 'apps/v1', api: '/apis/apps/v1', resource: 'statefulsets' },
  daemonSet: { kind: 'DaemonSet', apiVersion: 'apps/v1', api: '/apis/apps/v1', resource: 'daemonsets' },
  job: { kind: 'Job', apiVersion: 'batch/v1', api: '/apis/batch/v1', resource: 'jobs' },
  cronJob: { kind: 'CronJob', apiVersion: 'batch/v1', api: '/apis/batch/v1', resource: 'cronjobs' },
} as const;
export type WorkloadKind = keyof typeof WORKLOAD_KINDS;

/** Rancher's pod selector label: unique per workload, never changed after create. */
export const SELECTOR_LABEL = 'workload.user.cattle.io/workloadselector';
/** Rancher's annotation keeping each container's ports with the Service kinds asked for. */
export const PORTS_ANNOTATION = 'field.cattle.io/ports';
/** Rancher's redeploy stamp on the pod template. */
export const REDEPLOY_ANNOTATION = 'cattle.io/timestamp';
/** On the Services a workload's ports made: which workload (`<type>.<name>`). */
export const SERVICE_OWNER_LABEL = 'corral.io/workload';

const SERVICE_SUFFIX = { ClusterIP: '', NodePort: '-nodeport', LoadBalancer: '-loadbalancer' } as const;

const drop = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

function toContainer(c: ContainerInput): Record<string, unknown> {
  const { ports, environment, ...rest } = c;
  const env = [
    ...Object.entries(environment ?? {}).map(([name, value]) => ({ name, value })),
    ...((rest.env as unknown[] | null | undefined) ?? []),
  ];
  return drop({
    ...rest,
    env: env.length ? env : undefined,
    ports: ports?.length
      ? ports.map((p) => drop({ containerPort: p.containerPort, protocol: p.protocol ?? 'TCP', name: p.name }))
      : undefined,
  });
}

/** The pod template's path in each kind's spec. */
export function podTemplateOf(type: WorkloadKind, spec: Record<string, unknown>): Record<string, unknown> {
  const tpl =
    type === 'cronJob'
      ? ((spec.jobTemplate as Record<string, unknown> | undefined)?.spec as Record<string, unknown> | undefined)
          ?.template
      : spec.template;
  return (tpl as Record<string, unknown> | undefined) ?? {};
}

/**
 * The Kubernetes object for a create (no `existing`) or an update (`existing` as read now: what
 * the input does not mention is kept, so fields Rancher's shape lacks survive an edit).
 */
export function toKube(type: WorkloadKind, input: WorkloadInput, existing?: KubeObject): KubeObject {
  const k = WORKLOAD_KINDS[type];
  const name = existing?.metadata.name ?? String(input.name);
  const namespace = existing?.metadata.namespace ?? String(input.namespaceId);
  const obj: KubeObject = existing
    ? structuredClone(existing)
    : { apiVersion: k.apiVersion, kind: k.kind, metadata: { name, namespace }, spec: {} };
  obj.apiVersion = k.apiVersion;
  obj.kind = k.kind;
  const spec = (obj.spec ??= {});
  const selectorValue = `${type.toLowerCase()}-${namespace}-${name}`;

  if (input.workloadLabels !== undefined) obj.metadata.labels = { ...(input.workloadLabels ?? {}) };
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  if (input.workloadAnnotations !== undefined) {
    for (const key of Object.keys(annotations)) if (key !== PORTS_ANNOTATION) delete annotations[key];
    Object.assign(annotations, input.workloadAnnotations ?? {});
  }
  if (input.containers) {
    annotations[PORTS_ANNOTATION] = JSON.stringify(input.containers.map((c) => c.ports ?? []));
  }
  obj.metadata.annotations = annotations;

  // The pod template, inside the kind's spec.
  let holder: Record<string, unknown> = spec;
  if (type === 'cronJob') {
    const jobTemplate = ((spec.jobTemplate as Record<string, unknown> | undefined) ??= {});
    holder = (jobTemplate.spec as Record<string, unknown> | undefined) ??= {};
    jobTemplate.spec = holder;
    spec.jobTemplate = jobTemplate;
  }
  const template = ((holder.template as Record<string, unknown> | undefined) ?? {}) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
  holder.template = template;
  template.metadata ??= {};
  template.spec ??= {};
  const podSpec = template.spec;
  const podLabels = { ...(template.metadata.labels ?? {}) };
  if (!existing) podLabels[SELECTOR_LABEL] = selectorValue;
  template.metadata.labels = podLabels;

  if (!existing && type !== 'job' && type !== 'cronJob')
    spec.selector = { matchLabels: { [SELECTOR_LABEL]: selectorValue } };
  if (type === 'statefulSet' && !existing) spec.serviceName = name;

  // A container keeps what Rancher's shape does not carry (terminationMessagePath…) from the
  // container of the same name it replaces.
  const merged = (before: unknown, list: ContainerInput[]) =>
    list.map((c) => {
      const old = ((before as Record<string, unknown>[] | undefined) ?? []).find((o) => o.name === c.name) ?? {};
      const own = new Set(Object.keys(c));
      const kept = Object.fromEntries(Object.entries(old).filter(([k]) => !own.has(k) && !(k in CONTAINER_FIELDS)));
      return { ...kept, ...toContainer(c) };
    });
  if (input.containers) podSpec.containers = merged(podSpec.containers, input.containers);
  if (input.initContainers !== undefined)
    podSpec.initContainers = input.initContainers?.length
      ? merged(podSpec.initContainers, input.initContainers)
      : undefined;
  const podFields: [keyof WorkloadInput, string][] = [
    ['volumes', 'volumes'],
    ['nodeId', 'nodeName'],
    ['nodeSelector', 'nodeSelector'],
    ['tolerations', 'tolerations'],
    ['affinity', 'affinity'],
    ['priorityClassName', 'priorityClassName'],
    ['securityContext', 'securityContext'],
  ];
  for (const [from, to] of podFields) {
    if (input[from] === undefined) continue;
    if (input[from] === null) delete podSpec[to];
    else podSpec[to] = input[from];
  }
  if (input.imagePullSecrets !== undefined)
    podSpec.imagePullSecrets = input.imagePullSecrets?.map((n) => ({ name: n })) ?? undefined;
  if (type === 'job' || type === 'cronJob') podSpec.restartPolicy ??= 'OnFailure';

  if ((type === 'deployment' || type === 'statefulSet') && input.scale !== undefined && input.scale !== null)
    spec.replicas = input.scale;
  const d = input.deploymentConfig;
  if (type === 'deployment' && d) {
    if (d.strategy === 'Recreate') spec.strategy = { type: 'Recreate' };
    else if (d.strategy || d.maxSurge || d.maxUnavailable) {
      const ru = drop({ maxSurge: intOrPercent(d.maxSurge), maxUnavailable: intOrPercent(d.maxUnavailable) });
      spec.strategy = { type: 'RollingUpdate', ...(Object.keys(ru).length ? { rollingUpdate: ru } : {}) };
    }
    if (d.minReadySeconds !== undefined && d.minReadySeconds !== null) spec.minReadySeconds = d.minReadySeconds;
    if (d.revisionHistoryLimit !== undefined && d.revisionHistoryLimit !== null)
      spec.revisionHistoryLimit = d.revisionHistoryLimit;
  }
  const j = input.jobConfig;
  if (j && (type === 'job' || type === 'cronJob')) Object.assign(holder, drop({ ...j }));
  const c = input.cronJobConfig;
  if (type === 'cronJob' && c) Object.assign(spec, drop({ ...c }));
  return obj;
}

const intOrPercent = (v: string | null | undefined) =>
  v === undefined || v === null || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : v;

/** The ports of each container as Rancher renders them, with the Service kind each asked for. */
export function portsOf(obj: KubeObject, containers: { ports?: unknown[] }[]): PortInput[][] {
  let saved: PortInput[][] = [];
  try {
    saved = JSON.parse(obj.metadata.annotations?.[PORTS_ANNOTATION] ?? '[]') as PortInput[][];
  } catch {
    // hand-edited: fall back to the containers' own ports
  }
  return containers.map((c, i) =>
    ((c.ports ?? []) as { containerPort: number; protocol?: string; name?: string }[]).map((p) => {
      const s = saved[i]?.find(
        (x) => x.containerPort === p.containerPort && (x.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
      );
      return {
        containerPort: p.containerPort,
        protocol: (p.protocol ?? 'TCP') as PortInput['protocol'],
        name: p.name ?? null,
        kind: s?.kind ?? null,
        sourcePort: s?.sourcePort ?? null,
      } as PortInput;
    }),
  );
}

/**
 * The Services a workload's ports ask for, Rancher's way: one per kind, named after the
 * workload, selecting its pods, owned by it (so Kubernetes removes them with it).
 */
export function servicesFor(type: WorkloadKind, obj: KubeObject, containers: ContainerInput[]): KubeObject[] {
  const byKind = new Map<keyof typeof SERVICE_SUFFIX, PortInput[]>();
  for (const c of containers)
    for (const p of c.ports ?? []) if (p.kind) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
  const podSelector = podSelectorOf(type, obj);
  return [...byKind].map(([kind, ports]) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `${obj.metadata.name}${SERVICE_SUFFIX[kind]}`,
      namespace: obj.metadata.namespace!,
      labels: { [SERVICE_OWNER_LABEL]: `${type.toLowerCase()}.${obj.metadata.name}` },
      ...(obj.metadata.uid
        ? {
            ownerReferences: [
              {
                apiVersion: obj.apiVersion,
                kind: obj.kind!,
                name: obj.metadata.name,
                uid: obj.metadata.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      type: kind,
      selector: podSelector,
      ports: ports.map((p) =>
        drop({
          name: p.name ?? `${p.containerPort}${(p.protocol ?? 'TCP').toLowerCase()}`,
          protocol: p.protocol ?? 'TCP',
          port: kind === 'NodePort' ? p.containerPort : (p.sourcePort ?? p.containerPort),
          targetPort: p.containerPort,
          nodePort: kind === 'NodePort' ? (p.sourcePort ?? undefined) : undefined,
        }),
      ),
    },
  }));
}

/**
 * What to do to make a workload's Services (`existing`, found by SERVICE_OWNER_LABEL) what its
 * ports ask for (`desired`): the server's API and the UI's form both follow this one plan.
 */
export function planServices(desired: KubeObject[], existing: KubeObject[]) {
  const same = (a: KubeObject, b: KubeObject) =>
    JSON.stringify(a.spec?.ports) === JSON.stringify(b.spec?.ports) && a.spec?.type === b.spec?.type;
  return {
    create: desired.filter((d) => !existing.some((e) => e.metadata.name === d.metadata.name)),
    update: desired.filter((d) => existing.some((e) => e.metadata.name === d.metadata.name && !same(e, d))),
    remove: existing.filter((e) => !desired.some((d) => d.metadata.name === e.metadata.name)),
  };
}

/** The container ports of a Kubernetes workload, with the Service kinds its ports annotation asks for. */
export function containersWithPortKinds(type: WorkloadKind, obj: KubeObject): ContainerInput[] {
  const containers = ((podTemplateOf(type, obj.spec ?? {}).spec as { containers?: ContainerInput[] } | undefined)
    ?.containers ?? []) as ContainerInput[];
  const ports = portsOf(obj, containers as { ports?: unknown[] }[]);
  return containers.map((c, i) => ({ ...c, ports: ports[i] ?? [] }));
}

function podSelectorOf(type: WorkloadKind, obj: KubeObject): Record<string, string> {
  const matchLabels = (obj.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  if (matchLabels && Object.keys(matchLabels).length) return matchLabels;
  const labels = (podTemplateOf(type, obj.spec ?? {}).metadata as { labels?: Record<string, string> } | undefined)
    ?.labels;
  return labels?.[SELECTOR_LABEL] ? { [SELECTOR_LABEL]: labels[SELECTOR_LABEL] } : (labels ?? {});
}

/** A ReplicaSet's pod template as the Deployment's (without the hash label the ReplicaSet adds). */
export function templateFromReplicaSet(rs: KubeObject): Record<string, unknown> {
  const tpl = structuredClone((rs.spec?.template ?? {}) as { metadata?: { labels?: Record<string, string> } });
  if (tpl.metadata?.labels) delete tpl.metadata.labels['pod-template-hash'];
  return tpl;
}

/**
 * The version a client edits against: what only the workload's owner changes (its spec, through
 * `generation`, and its labels and annotations), not the status and bookkeeping controllers keep
 * writing, which would make every GET-modify-PUT a conflict.
 */
export function editVersion(obj: KubeObject): string {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations['deployment.kubernetes.io/revision'];
  const text = JSON.stringify([obj.metadata.labels ?? {}, annotations]);
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return `${obj.metadata.generation ?? 0}.${(h >>> 0).toString(36)}`;
}

export const revisionOf = (rs: KubeObject) =>
  Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/**
 * Where a workload keeps its earlier pod templates: a Deployment in its ReplicaSets, a StatefulSet
 * or DaemonSet in ControllerRevisions (as `kubectl rollout history` reads them).
 */
export const HISTORY_KINDS = {
  deployment: 'replicasets',
  statefulSet: 'controllerrevisions',
  daemonSet: 'controllerrevisions',
} as const satisfies Partial<Record<WorkloadKind, string>>;

export interface HistoryEntry {
  name: string;
  revision: number;
  created: string | null;
  /** Pods of a ReplicaSet; undefined for a ControllerRevision, which owns none. */
  replicas?: number;
  template: Record<string, unknown>;
}

/**
 * A ControllerRevision's pod template. Its `data` is the strategic merge patch the controller would
 * apply (`{spec: {template: {..., $patch: replace}}}`); the template alone, without the directive,
 * replaces the workload's.
 */
export function templateFromControllerRevision(cr: KubeObject): Record<string, unknown> {
  const data = (cr as { data?: { spec?: { template?: Record<string, unknown> } } }).data;
  const tpl = structuredClone(data?.spec?.template ?? {});
  delete tpl.$patch;
  return tpl;
}

/** The revisions owned by `obj` among `items` (ReplicaSets or ControllerRevisions), newest first. */
export function historyOf(obj: KubeObject, items: KubeObject[]): HistoryEntry[] {
  return items
    .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === obj.metadata.uid))
    .map((r) =>
      r.kind === 'ControllerRevision' || (r as { revision?: unknown }).revision !== undefined
        ? {
            name: r.metadata.name,
            revision: Number((r as { revision?: number }).revision ?? 0),
            created: r.metadata.creationTimestamp ?? null,
            template: templateFromControllerRevision(r),
          }
        : {
            name: r.metadata.name,
            revision: revisionOf(r),
            created: r.metadata.creationTimestamp ?? null,
            replicas: Number(r.status?.replicas ?? 0),
            template: templateFromReplicaSet(r),
          },
    )
    .sort((a, b) => b.revision - a.revision);
}

/**
 * The revision the workload runs now: a Deployment says so in an annotation; a StatefulSet's and a
 * DaemonSet's controller gives the revision matching the template the highest number (a rollback
 * renumbers the old one), so it is the newest.
 */
export function currentRevision(obj: KubeObject, history: HistoryEntry[]): number {
  const annotated = obj.metadata.annotations?.['deployment.kubernetes.io/revision'];
  if (annotated !== undefined) return Number(annotated);
  return history[0]?.revision ?? 0;
}
