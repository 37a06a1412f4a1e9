/**
 * Every kind the cluster view lists, as data: where it lives in the API, which columns its table
 * has, and which extra actions apply. The list page, the detail page, the navigation and the
 * access checks are all driven from this one table.
 */
import { Age } from '../components/Age';
import type { ReactNode } from 'react';
import type { WorkloadKind } from '../../../src/schema/workload-spec.js';
import { Link } from '../app/router';
import type { Column } from '../components/DataTable';
import { StateBadge } from '../components/StateBadge';
import { ageSeconds, condition, podReady, podRestarts, podStatus, type KubeObject } from './k8s';
import type { TableColumn } from '../../../src/kube/table.js';

export interface KindDef {
  /** The URL segment: /c/<cluster>/<id>. */
  id: string;
  label: string;
  /** Singular, for headings and dialogs. */
  singular: string;
  section: 'Cluster' | 'Workloads' | 'Service discovery' | 'Config and storage' | 'Events';
  apiGroup: string;
  version: string;
  resource: string;
  namespaced: boolean;
  columns: (ctx: ColumnContext) => Column<KubeObject>[];
  initialSort?: { id: string; desc?: boolean };
  /** Has a scale subresource the UI offers. */
  scalable?: boolean;
  /** Has a pod template: redeploy by changing an annotation on it. */
  redeployable?: boolean;
  logs?: boolean;
  /** Width of the name column, when the default (28%) does not suit. */
  nameWidth?: string;
  /**
   * Listed as the API server's printed rows (Kubernetes Table output) rather than whole objects:
   * for kinds that run to thousands (a 10,000-pod list is 2.5 MB of rows against 40 MB of pods).
   * `columns` is then unused; the table shows the API server's columns that `kubectl get` shows,
   * those named in `wide`, with the widths given.
   */
  serverTable?: { wide?: string[]; widths?: Record<string, string> };
}

export interface ColumnContext {
  clusterId: string;
  /** Listing all namespaces: show which one each object is in. */
  showNamespace: boolean;
  /** The query string to keep on links (the namespace filter). */
  search: string;
}

export function collectionPath(kind: KindDef, namespace?: string): string {
  const base = kind.apiGroup ? `/apis/${kind.apiGroup}/${kind.version}` : `/api/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.resource}`;
}

export function objectPath(kind: KindDef, namespace: string | undefined, name: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

/** The kinds the workload editor deploys and edits, as the workload API names them. */
export const WORKLOAD_TYPES: Record<string, WorkloadKind> = {
  deployments: 'deployment',
  statefulsets: 'statefulSet',
  daemonsets: 'daemonSet',
  jobs: 'job',
  cronjobs: 'cronJob',
};

/**
 * Kinds with a Create button besides workloads: Services and Ingresses open a form
 * (DiscoveryForms.tsx), the others a YAML template (CreateFromYaml.tsx).
 */
export const CREATABLE_FROM_YAML = new Set([
  'services',
  'ingresses',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'persistentvolumes',
  'storageclasses',
]);

/**
 * The object with `apiVersion` and `kind` first, as kubectl prints it. Items of a list carry
 * neither, and YAML without them cannot be pasted into `kubectl apply`.
 */
export function withTypeMeta(kind: KindDef, obj: KubeObject): KubeObject {
  const apiVersion = kind.apiGroup ? `${kind.apiGroup}/${kind.version}` : kind.version;
  return { apiVersion, kind: kind.singular, ...obj };
}

/** The UI route of one object. */
export function detailRoute(clusterId: string, kind: KindDef, o: KubeObject, search = ''): string {
  const parts = [
    'c',
    clusterId,
    kind.id,
    ...(kind.namespaced ? [o.metadata.namespace ?? 'default'] : []),
    o.metadata.name,
  ];
  return `/${parts.map(encodeURIComponent).join('/')}${search}`;
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function nameColumn(kind: KindDef, ctx: ColumnContext): Column<KubeObject> {
  return {
    id: 'name',
    header: 'Name',
    width: kind.nameWidth ?? '28%',
    sortValue: (o) => o.metadata.name,
    cell: (o) => (
      <Link to={detailRoute(ctx.clusterId, kind, o, ctx.search)} className="mono">
        {o.metadata.name}
      </Link>
    ),
  };
}

function common(kind: KindDef, ctx: ColumnContext, middle: Column<KubeObject>[]): Column<KubeObject>[] {
  const cols = [nameColumn(kind, ctx)];
  if (kind.namespaced && ctx.showNamespace) {
    cols.push({
      id: 'namespace',
      header: 'Namespace',
      width: '14%',
      sortValue: (o) => o.metadata.namespace ?? '',
      cell: (o) => o.metadata.namespace,
    });
  }
  cols.push(...middle, {
    id: 'age',
    header: 'Age',
    width: '7%',
    sortValue: (o) => -ageSeconds(o),
    filterValue: () => '',
    cell: (o) => <Age time={o.metadata.creationTimestamp} />,
  });
  return cols;
}

/**
 * The columns of a kind listed as Table rows: Corral's name, namespace and age columns around the
 * API server's printed cells (a row's `cells`, in the order of the column definitions).
 */
export function serverTableColumns(kind: KindDef, ctx: ColumnContext, defs: TableColumn[]): Column<KubeObject>[] {
  const { wide = [], widths = {} } = kind.serverTable ?? {};
  const middle: Column<KubeObject>[] = [];
  defs.forEach((d, i) => {
    if (d.format === 'name' || d.name === 'Age' || (d.priority !== 0 && !wide.includes(d.name))) return;
    // kubectl's "<none>" reads as the empty cell it is.
    const value = (o: KubeObject) => {
      const v = text((o.cells as unknown[] | undefined)?.[i]);
      return v === '<none>' ? '' : v;
    };
    const numeric = d.type === 'integer' || d.type === 'number';
    middle.push({
      id: `cell-${d.name}`,
      header: d.name,
      // "3 (5m ago)" restarts sort by their count.
      sortValue: numeric ? (o) => parseFloat(value(o)) || 0 : value,
      filterValue: value,
      cell: d.name === 'Status' ? (o) => badge(value(o)) : value,
      ...(widths[d.name] ? { width: widths[d.name] } : {}),
    });
  });
  return common(kind, ctx, middle);
}

/** The class PersistentVolumeClaims without one get (Kubernetes' annotation, and its beta form). */
export const isDefaultClass = (c: KubeObject) =>
  ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some(
    (k) => c.metadata.annotations?.[k] === 'true',
  );

const col = (
  id: string,
  header: string,
  value: (o: KubeObject) => string | number,
  opts: { width?: string; cell?: (o: KubeObject) => ReactNode } = {},
): Column<KubeObject> => ({
  id,
  header,
  sortValue: value,
  cell: opts.cell ?? ((o) => value(o)),
  ...(opts.width ? { width: opts.width } : {}),
});

const ratio = (a: unknown, b: unknown) => `${Number(a ?? 0)}/${Number(b ?? 0)}`;
const badge = (state: string) => <StateBadge state={state} />;

function workloadState(ready: number, want: number): string {
  if (want === 0) return 'Scaled down';
  return ready >= want ? 'Ready' : 'Updating';
}

/** The four node conditions an operator scans first; a pressure condition that is True is trouble. */
export const NODE_PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export function nodeState(n: KubeObject): string {
  const ready = condition(n, 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (n.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

export const formatTaint = (t: { key: string; value?: string; effect: string }) =>
  `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

export const KINDS: KindDef[] = [
  {
    id: 'nodes',
    label: 'Nodes',
    singular: 'Node',
    section: 'Cluster',
    apiGroup: '',
    version: 'v1',
    resource: 'nodes',
    namespaced: false,
    nameWidth: '18%',
    columns(ctx) {
      return common(this, ctx, [
        col('status', 'Status', nodeState, { width: '10%', cell: (n) => badge(nodeState(n)) }),
        col(
          'pressure',
          'Pressure',
          (n) =>
            NODE_PRESSURES.filter((t) => condition(n, t)?.status === 'True').join(', ') ||
            (NODE_PRESSURES.every((t) => condition(n, t)) ? 'None' : 'Unknown'),
          { width: '12%' },
        ),
        col(
          'taints',
          'Taints',
          (n) => ((n.spec?.taints ?? []) as Parameters<typeof formatTaint>[0][]).map(formatTaint).join(', '),
          {
            width: '14%',
          },
        ),
        col('cpu', 'CPU (alloc/cap)', (n) => `${text(n.status?.allocatable?.cpu)}/${text(n.status?.capacity?.cpu)}`),
        col(
          'memory',
          'Memory (alloc/cap)',
          (n) => `${text(n.status?.allocatable?.memory)}/${text(n.status?.capacity?.memory)}`,
        ),
        col('pods', 'Pods (cap)', (n) => text(n.status?.capacity?.pods), { width: '7%' }),
        col('version', 'Kubelet', (n) => text(n.status?.nodeInfo?.kubeletVersion), { width: '9%' }),
      ]);
    },
  },
  {
    id: 'deployments',
    label: 'Deployments',
    singular: 'Deployment',
    section: 'Workloads',
    apiGroup: 'apps',
    version: 'v1',
    resource: 'deployments',
    namespaced: true,
    scalable: true,
    redeployable: true,
    columns(ctx) {
      return common(this, ctx, [
        col('state', 'State', (d) => workloadState(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 1), {
          cell: (d) => badge(workloadState(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 1)),
        }),
        col('ready', 'Ready', (d) => ratio(d.status?.readyReplicas, d.spec?.replicas ?? 1)),
        col('updated', 'Up-to-date', (d) => Number(d.status?.updatedReplicas ?? 0)),
        col('available', 'Available', (d) => Number(d.status?.availableReplicas ?? 0)),
      ]);
    },
  },
  {
    id: 'daemonsets',
    label: 'DaemonSets',
    singular: 'DaemonSet',
    section: 'Workloads',
    apiGroup: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    namespaced: true,
    redeployable: true,
    columns(ctx) {
      return common(this, ctx, [
        col('state', 'State', (d) => workloadState(d.status?.numberReady ?? 0, d.status?.desiredNumberScheduled ?? 0), {
          cell: (d) => badge(workloadState(d.status?.numberReady ?? 0, d.status?.desiredNumberScheduled ?? 0)),
        }),
        col('desired', 'Desired', (d) => Number(d.status?.desiredNumberScheduled ?? 0)),
        col('ready', 'Ready', (d) => Number(d.status?.numberReady ?? 0)),
        col('updated', 'Up-to-date', (d) => Number(d.status?.updatedNumberScheduled ?? 0)),
        col('available', 'Available', (d) => Number(d.status?.numberAvailable ?? 0)),
      ]);
    },
  },
  {
    id: 'statefulsets',
    label: 'StatefulSets',
    singular: 'StatefulSet',
    section: 'Workloads',
    apiGroup: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    namespaced: true,
    scalable: true,
    redeployable: true,
    columns(ctx) {
      return common(this, ctx, [
        col('state', 'State', (d) => workloadState(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 1), {
          cell: (d) => badge(workloadState(d.status?.readyReplicas ?? 0, d.spec?.replicas ?? 1)),
        }),
        col('ready', 'Ready', (d) => ratio(d.status?.readyReplicas, d.spec?.replicas ?? 1)),
        col('service', 'Service', (d) => text(d.spec?.serviceName)),
      ]);
    },
  },
  {
    id: 'jobs',
    label: 'Jobs',
    singular: 'Job',
    section: 'Workloads',
    apiGroup: 'batch',
    version: 'v1',
    resource: 'jobs',
    namespaced: true,
    columns(ctx) {
      const state = (j: KubeObject) =>
        condition(j, 'Complete')?.status === 'True'
          ? 'Complete'
          : condition(j, 'Failed')?.status === 'True'
            ? 'Failed'
            : j.spec?.suspend
              ? 'Suspended'
              : 'Running';
      return common(this, ctx, [
        col('state', 'State', state, { cell: (j) => badge(state(j)) }),
        col('completions', 'Completions', (j) => ratio(j.status?.succeeded, j.spec?.completions ?? 1)),
        col('active', 'Active', (j) => Number(j.status?.active ?? 0)),
        col('failed', 'Failed', (j) => Number(j.status?.failed ?? 0)),
      ]);
    },
  },
  {
    id: 'cronjobs',
    label: 'CronJobs',
    singular: 'CronJob',
    section: 'Workloads',
    apiGroup: 'batch',
    version: 'v1',
    resource: 'cronjobs',
    namespaced: true,
    columns(ctx) {
      return common(this, ctx, [
        col('schedule', 'Schedule', (c) => text(c.spec?.schedule), { cell: (c) => <code>{c.spec?.schedule}</code> }),
        col('suspend', 'Suspended', (c) => (c.spec?.suspend ? 'Yes' : 'No')),
        col('active', 'Active', (c) => (c.status?.active ?? []).length),
        col('last', 'Last schedule', (c) => text(c.status?.lastScheduleTime), {
          cell: (c) => (c.status?.lastScheduleTime ? <Age time={c.status.lastScheduleTime} suffix=" ago" /> : 'never'),
        }),
      ]);
    },
  },
  {
    id: 'pods',
    label: 'Pods',
    singular: 'Pod',
    section: 'Workloads',
    apiGroup: '',
    version: 'v1',
    resource: 'pods',
    namespaced: true,
    logs: true,
    serverTable: { wide: ['IP', 'Node'], widths: { Status: '11%', Ready: '6%', Restarts: '9%', IP: '10%' } },
    columns(ctx) {
      return common(this, ctx, [
        col('status', 'Status', podStatus, { width: '11%', cell: (p) => badge(podStatus(p)) }),
        col(
          'ready',
          'Ready',
          (p) => {
            const r = podReady(p);
            return `${r.ready}/${r.total}`;
          },
          { width: '6%' },
        ),
        col('restarts', 'Restarts', podRestarts, { width: '7%' }),
        col('node', 'Node', (p) => text(p.spec?.nodeName)),
        col('ip', 'IP', (p) => text(p.status?.podIP), { width: '10%' }),
      ]);
    },
  },
  {
    id: 'services',
    label: 'Services',
    singular: 'Service',
    section: 'Service discovery',
    apiGroup: '',
    version: 'v1',
    resource: 'services',
    namespaced: true,
    columns(ctx) {
      return common(this, ctx, [
        col('type', 'Type', (s) => text(s.spec?.type), { width: '10%' }),
        col('clusterIP', 'Cluster IP', (s) => text(s.spec?.clusterIP), { width: '12%' }),
        col('ports', 'Ports', (s) =>
          ((s.spec?.ports ?? []) as { port: number; protocol?: string; nodePort?: number }[])
            .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
            .join(', '),
        ),
        col('selector', 'Selector', (s) =>
          Object.entries((s.spec?.selector ?? {}) as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        ),
      ]);
    },
  },
  {
    id: 'ingresses',
    label: 'Ingresses',
    singular: 'Ingress',
    section: 'Service discovery',
    apiGroup: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    namespaced: true,
    columns(ctx) {
      return common(this, ctx, [
        col('class', 'Class', (i) => text(i.spec?.ingressClassName), { width: '10%' }),
        col('hosts', 'Hosts', (i) =>
          ((i.spec?.rules ?? []) as { host?: string }[]).map((r) => r.host ?? '*').join(', '),
        ),
        col('address', 'Address', (i) =>
          ((i.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[])
            .map((a) => a.ip ?? a.hostname)
            .join(', '),
        ),
      ]);
    },
  },
  {
    id: 'configmaps',
    label: 'ConfigMaps',
    singular: 'ConfigMap',
    section: 'Config and storage',
    apiGroup: '',
    version: 'v1',
    resource: 'configmaps',
    namespaced: true,
    columns(ctx) {
      return common(this, ctx, [
        col('keys', 'Keys', (c) => [...Object.keys(c.data ?? {}), ...Object.keys(c.binaryData ?? {})].join(', ')),
      ]);
    },
  },
  {
    id: 'secrets',
    label: 'Secrets',
    singular: 'Secret',
    section: 'Config and storage',
    apiGroup: '',
    version: 'v1',
    resource: 'secrets',
    namespaced: true,
    columns(ctx) {
      // Key names only: values stay hidden until revealed on the secret's own page.
      return common(this, ctx, [
        col('type', 'Type', (s) => text(s.type), { width: '22%' }),
        col('keys', 'Keys', (s) => Object.keys(s.data ?? {}).join(', ')),
      ]);
    },
  },
  {
    id: 'persistentvolumeclaims',
    label: 'PVCs',
    singular: 'PersistentVolumeClaim',
    section: 'Config and storage',
    apiGroup: '',
    version: 'v1',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    columns(ctx) {
      return common(this, ctx, [
        col('status', 'Status', (p) => text(p.status?.phase), {
          cell: (p) => badge(text(p.status?.phase) || 'Unknown'),
        }),
        col('volume', 'Volume', (p) => text(p.spec?.volumeName)),
        col('capacity', 'Capacity', (p) => text(p.status?.capacity?.storage ?? p.spec?.resources?.requests?.storage)),
        col('modes', 'Access modes', (p) => ((p.spec?.accessModes ?? []) as string[]).join(', ')),
        col('class', 'Storage class', (p) => text(p.spec?.storageClassName)),
      ]);
    },
  },
  {
    id: 'persistentvolumes',
    label: 'PVs',
    singular: 'PersistentVolume',
    section: 'Config and storage',
    apiGroup: '',
    version: 'v1',
    resource: 'persistentvolumes',
    namespaced: false,
    columns(ctx) {
      return common(this, ctx, [
        col('status', 'Status', (p) => text(p.status?.phase), {
          cell: (p) => badge(text(p.status?.phase) || 'Unknown'),
        }),
        col('capacity', 'Capacity', (p) => text(p.spec?.capacity?.storage)),
        col('claim', 'Claim', (p) =>
          p.spec?.claimRef ? `${text(p.spec.claimRef.namespace)}/${text(p.spec.claimRef.name)}` : '',
        ),
        col('class', 'Storage class', (p) => text(p.spec?.storageClassName)),
        col('reclaim', 'Reclaim', (p) => text(p.spec?.persistentVolumeReclaimPolicy)),
      ]);
    },
  },
  {
    id: 'storageclasses',
    label: 'Storage classes',
    singular: 'StorageClass',
    section: 'Config and storage',
    apiGroup: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    namespaced: false,
    columns(ctx) {
      return common(this, ctx, [
        col('default', 'Default', (c) => (isDefaultClass(c) ? 'default' : ''), {
          width: '10%',
          cell: (c) => (isDefaultClass(c) ? <StateBadge state="default" tone="ok" /> : ''),
        }),
        col('provisioner', 'Provisioner', (c) => text(c.provisioner)),
        col('reclaim', 'Reclaim', (c) => text(c.reclaimPolicy)),
        col('binding', 'Binding', (c) => text(c.volumeBindingMode)),
      ]);
    },
  },
  {
    id: 'events',
    label: 'Events',
    singular: 'Event',
    section: 'Events',
    apiGroup: '',
    version: 'v1',
    resource: 'events',
    namespaced: true,
    initialSort: { id: 'last', desc: true },
    columns(ctx) {
      const last = (e: KubeObject) =>
        text(e.lastTimestamp ?? e.eventTime ?? e.series?.lastObservedTime ?? e.metadata.creationTimestamp);
      const cols: Column<KubeObject>[] = [
        col('last', 'Last seen', (e) => Date.parse(last(e)) || 0, {
          width: '8%',
          cell: (e) => <Age time={last(e)} />,
        }),
        col('type', 'Type', (e) => text(e.type), { width: '8%', cell: (e) => badge(text(e.type) || 'Normal') }),
        col('reason', 'Reason', (e) => text(e.reason), { width: '12%' }),
        col('object', 'Object', (e) => `${text(e.involvedObject?.kind)}/${text(e.involvedObject?.name)}`, {
          width: '20%',
        }),
        col('message', 'Message', (e) => text(e.message), {
          cell: (e) => <span title={text(e.message)}>{text(e.message)}</span>,
        }),
        col('count', 'Count', (e) => Number(e.count ?? e.series?.count ?? 1), { width: '6%' }),
      ];
      if (ctx.showNamespace) {
        cols.splice(
          3,
          0,
          col('namespace', 'Namespace', (e) => text(e.metadata.namespace), { width: '12%' }),
        );
      }
      return cols;
    },
  },
];

export const kindById = (id: string) => KINDS.find((k) => k.id === id);
