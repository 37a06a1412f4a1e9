/** The Kubernetes shapes the cluster view reads, and small formatting helpers for them. */
import { api } from '../api/http';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
  managedFields?: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // Every kind has its own spec and status; columns read them field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export const proxyBase = (clusterId: string) => `/k8s/clusters/${encodeURIComponent(clusterId)}`;

export const keyOf = (o: KubeObject) => o.metadata.uid ?? `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** "3d", "5h", "12m", "40s": the age kubectl prints. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Seconds since creation, for sorting by age (oldest first when descending). */
export const ageSeconds = (o: KubeObject) =>
  o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : 0;

interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number }; running?: object };
}

/** The status column kubectl shows for a pod: a waiting or terminated reason beats the phase. */
export function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const init: ContainerStatus[] = pod.status?.initContainerStatuses ?? [];
  for (const c of init) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0) return `Init:${t.reason ?? 'Error'}`;
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      return `Init:${c.state.waiting.reason}`;
  }
  for (const c of statuses) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
}

export function podReady(pod: KubeObject): { ready: number; total: number } {
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length || statuses.length;
  return { ready: statuses.filter((c) => c.ready).length, total };
}

export const podRestarts = (pod: KubeObject) =>
  ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).reduce((n, c) => n + (c.restartCount ?? 0), 0);

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export const condition = (o: KubeObject, type: string): Condition | undefined =>
  ((o.status?.conditions ?? []) as Condition[]).find((c) => c.type === type);

/** Is the caller allowed this verb? Asked once per cluster, resource and namespace, then cached. */
export interface AccessQuery {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
}

/** Rights change rarely; a minute's cache spares a review per row and page while staying fresh. */
const ACCESS_TTL_MS = 60_000;
const access = new Map<string, { at: number; answer: Promise<boolean> }>();

export function canI(clusterId: string, q: AccessQuery): Promise<boolean> {
  const key = JSON.stringify([clusterId, q.verb, q.group, q.resource, q.subresource ?? '', q.namespace ?? '']);
  const cached = access.get(key);
  if (cached && Date.now() - cached.at < ACCESS_TTL_MS) return cached.answer;
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: q.verb,
        group: q.group,
        resource: q.resource,
        ...(q.subresource ? { subresource: q.subresource } : {}),
        ...(q.namespace ? { namespace: q.namespace } : {}),
      },
    },
  };
  const answer = api<{ status?: { allowed?: boolean } }>(
    'POST',
    `${proxyBase(clusterId)}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
    review,
  ).then(
    (r) => r.status?.allowed === true,
    () => {
      // A failed question is not an answer: ask again next time.
      access.delete(key);
      return false;
    },
  );
  access.set(key, { at: Date.now(), answer });
  return answer;
}
