import { quantityMilliValue, quantityValue } from '../../schema/quantity.js';
import { holdsNodeResources, podResources, type PodLike as ResourcePod } from '../clusters/pod-resources.js';

/**
 * What each alert rule sees wrong right now, from a cluster's objects as its informers hold them.
 * Pure functions: the controller feeds them the caches and compares the answer with what the
 * rule's status last said.
 */

export interface Instance {
  /** Stable per thing (a node, a pod, an event's object): the alert's identity in Alertmanager. */
  key: string;
  message: string;
}

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
}

export interface NodeLike {
  metadata?: Meta;
  status?: {
    conditions?: { type?: string; status?: string; message?: string }[];
    allocatable?: Record<string, string>;
  };
}

export interface EventLike {
  metadata?: Meta;
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  series?: { lastObservedTime?: string };
}

export interface PodLike {
  metadata?: Meta & { uid?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: { name?: string; restartCount?: number; state?: { waiting?: { reason?: string } } }[];
  };
}

export interface DeploymentLike {
  metadata?: Meta;
  spec?: { replicas?: number };
  status?: { availableReplicas?: number };
}

export const matchesSelector = (
  labels: Record<string, string> | undefined,
  selector: Record<string, string> | null | undefined,
) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export function nodeNotReady(
  nodes: NodeLike[],
  rule: { nodeId?: string | null; selector?: Record<string, string> | null },
): Instance[] {
  const only = rule.nodeId ? (rule.nodeId.split(':').pop() ?? '') : '';
  const out: Instance[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    if (only && name !== only) continue;
    if (!matchesSelector(n.metadata?.labels, rule.selector)) continue;
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') continue;
    out.push({
      key: `node/${name}`,
      message: `node ${name} is not ready${ready?.message ? `: ${ready.message}` : ready ? '' : ' (no Ready condition)'}`,
    });
  }
  return out;
}

/**
 * Rancher's node rule on CPU or memory: a node whose pods reserve (request) more than the
 * threshold percent of what it can allocate, counted as the scheduler and the cluster's usage
 * gauges count it (pods placed on the node and not finished).
 */
export function nodeReservedOver(
  nodes: NodeLike[],
  pods: ResourcePod[],
  rule: {
    nodeId?: string | null;
    selector?: Record<string, string> | null;
    condition: 'cpu' | 'mem';
    cpuThreshold?: number | null;
    memThreshold?: number | null;
  },
): Instance[] {
  const resource = rule.condition === 'cpu' ? 'cpu' : 'memory';
  const threshold = (rule.condition === 'cpu' ? rule.cpuThreshold : rule.memThreshold) ?? 70;
  const reserved = new Map<string, number>();
  for (const p of pods) {
    if (!holdsNodeResources(p)) continue;
    const node = p.spec!.nodeName!;
    reserved.set(node, (reserved.get(node) ?? 0) + (podResources(p).requests[resource] ?? 0));
  }
  const only = rule.nodeId ? (rule.nodeId.split(':').pop() ?? '') : '';
  const out: Instance[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    if (only && name !== only) continue;
    if (!matchesSelector(n.metadata?.labels, rule.selector)) continue;
    const allocatable = n.status?.allocatable?.[resource];
    if (!allocatable) continue;
    let capacity: number;
    try {
      capacity = Number(resource === 'cpu' ? quantityMilliValue(allocatable) : quantityValue(allocatable));
    } catch {
      continue;
    }
    if (capacity <= 0) continue;
    const percent = ((reserved.get(name) ?? 0) / capacity) * 100;
    if (percent <= threshold) continue;
    out.push({
      key: `node/${name}/${resource}`,
      message: `node ${name}: ${percent.toFixed(0)}% of its allocatable ${resource === 'cpu' ? 'CPU' : 'memory'} is requested (threshold ${threshold}%)`,
    });
  }
  return out;
}

const eventTime = (e: EventLike) =>
  Date.parse(
    e.series?.lastObservedTime ??
      e.lastTimestamp ??
      e.eventTime ??
      e.firstTimestamp ??
      e.metadata?.creationTimestamp ??
      '',
  ) || 0;

/**
 * Events of the type and object kind seen within `windowMs`: an alert per object and reason,
 * firing while such events keep coming and resolved once they stop.
 */
export function recentEvents(
  events: EventLike[],
  rule: { eventType?: string | null; resourceKind: string; reason?: string | null },
  now: number,
  windowMs: number,
): Instance[] {
  const byKey = new Map<string, Instance>();
  for (const e of events) {
    if ((e.type ?? 'Normal') !== (rule.eventType ?? 'Warning')) continue;
    if ((e.involvedObject?.kind ?? '').toLowerCase() !== rule.resourceKind.toLowerCase()) continue;
    if (rule.reason && e.reason !== rule.reason) continue;
    if (now - eventTime(e) > windowMs) continue;
    const o = e.involvedObject!;
    const what = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    byKey.set(`event/${o.kind}/${o.namespace ?? ''}/${o.name}/${e.reason ?? ''}`, {
      key: `event/${o.kind}/${o.namespace ?? ''}/${o.name}/${e.reason ?? ''}`,
      message: `${rule.eventType ?? 'Warning'} event ${e.reason ?? ''} on ${what}: ${e.message ?? ''}`.trim(),
    });
  }
  return [...byKey.values()];
}

const podName = (p: PodLike) => `${p.metadata?.namespace}/${p.metadata?.name}`;

export function podsNotRunning(pods: PodLike[]): Instance[] {
  return pods
    .filter((p) => p.status?.phase !== 'Running' && p.status?.phase !== 'Succeeded')
    .map((p) => {
      const waiting = p.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
      return {
        key: `pod/${podName(p)}`,
        message: `pod ${podName(p)} is ${p.status?.phase ?? 'Unknown'}${waiting ? ` (${waiting})` : ''}, not running`,
      };
    });
}

export function podsNotScheduled(pods: PodLike[]): Instance[] {
  return pods
    .filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'))
    .map((p) => {
      const c = p.status!.conditions!.find((x) => x.type === 'PodScheduled')!;
      return {
        key: `pod/${podName(p)}`,
        message: `pod ${podName(p)} is not scheduled: ${c.message ?? c.reason ?? ''}`,
      };
    });
}

const restarts = (p: PodLike) => (p.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);

/**
 * Restart counts seen over time, per pod uid: a pod restarting `times` or more within the window
 * fires. Kept in memory by the evaluator (a new replica starts the window over).
 */
export class RestartHistory {
  private readonly samples = new Map<string, { t: number; n: number }[]>();

  record(pods: PodLike[], now: number, keepMs: number): void {
    const seen = new Set<string>();
    for (const p of pods) {
      const uid = p.metadata?.uid ?? podName(p);
      seen.add(uid);
      const list = this.samples.get(uid) ?? [];
      const n = restarts(p);
      if (!list.length || list[list.length - 1]!.n !== n) list.push({ t: now, n });
      while (list.length > 1 && now - list[1]!.t > keepMs) list.shift();
      this.samples.set(uid, list);
    }
    for (const uid of this.samples.keys()) if (!seen.has(uid)) this.samples.delete(uid);
  }

  restarting(pods: PodLike[], times: number, windowMs: number, now: number): Instance[] {
    const out: Instance[] = [];
    for (const p of pods) {
      const list = this.samples.get(p.metadata?.uid ?? podName(p)) ?? [];
      const current = restarts(p);
      // The count at the window's start: the newest sample at or before it, else the oldest known
      // (a pod first seen inside the window counts from zero, as its restarts all happened there
      // when it is younger than the window).
      const created = Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
      let base = now - created <= windowMs ? 0 : (list[0]?.n ?? current);
      for (const s of list) if (s.t <= now - windowMs) base = s.n;
      if (current - base >= times)
        out.push({
          key: `pod/${podName(p)}`,
          message: `pod ${podName(p)} restarted ${current - base} times in ${Math.round(windowMs / 1000)}s`,
        });
    }
    return out;
  }
}

export function workloadsUnavailable(
  deployments: DeploymentLike[],
  rule: { workloadId?: string | null; selector?: Record<string, string> | null; availablePercentage: number },
): Instance[] {
  const out: Instance[] = [];
  const only = rule.workloadId ? rule.workloadId.split(':') : undefined;
  for (const d of deployments) {
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    if (only && (only.length !== 3 || only[1] !== ns || only[2] !== name)) continue;
    if (!only && !matchesSelector(d.metadata?.labels, rule.selector)) continue;
    const want = d.spec?.replicas ?? 1;
    if (want === 0) continue;
    const have = d.status?.availableReplicas ?? 0;
    const pct = Math.floor((have * 100) / want);
    if (pct < rule.availablePercentage)
      out.push({
        key: `deployment/${ns}/${name}`,
        message: `deployment ${ns}/${name} has ${have} of ${want} replicas available (${pct}% < ${rule.availablePercentage}%)`,
      });
  }
  return out;
}

export interface LeaseLike {
  metadata?: Meta;
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

const COMPONENT_LEASES: Record<string, string> = {
  scheduler: 'kube-scheduler',
  'controller-manager': 'kube-controller-manager',
};

/** One component's health as the API server's componentstatuses report it. */
export interface ComponentHealth {
  healthy: boolean;
  message: string;
}

/**
 * A system service's health: etcd by the API server's own `/readyz/etcd` (its status, 0 when it
 * did not answer); the scheduler and the controller manager by their leader-election Lease in
 * kube-system, which a running leader renews every few seconds, and where there is none (leader
 * election off) by the API server's componentstatuses (deprecated; it probes the default ports).
 */
export function systemServiceUnhealthy(
  condition: string,
  components: Map<string, ComponentHealth> | undefined,
  leases: LeaseLike[],
  etcdStatus: number | undefined,
  now: number,
): Instance[] {
  if (condition === 'etcd') {
    if (etcdStatus === 200 || etcdStatus === undefined) return [];
    return [
      {
        key: 'system/etcd',
        message: etcdStatus
          ? `etcd is unhealthy: the API server's /readyz/etcd answered ${etcdStatus}`
          : 'etcd is unhealthy: the API server did not answer /readyz/etcd',
      },
    ];
  }
  const name = COMPONENT_LEASES[condition];
  if (!name) return [];
  const lease = leases.find((l) => l.metadata?.namespace === 'kube-system' && l.metadata?.name === name);
  const renewed = Date.parse(lease?.spec?.renewTime ?? '') || 0;
  // A leader renews well within its lease; two lease durations without a renewal is no leader.
  const limitMs = 2 * (lease?.spec?.leaseDurationSeconds ?? 15) * 1000;
  if (lease && now - renewed <= limitMs) return [];
  // Without leader election there is no lease: the API server's own probe is all there is.
  const reported = lease ? undefined : components?.get(condition);
  if (reported)
    return reported.healthy
      ? []
      : [{ key: `system/${condition}`, message: `${condition} is unhealthy: ${reported.message}` }];
  return [
    {
      key: `system/${condition}`,
      message: lease
        ? `${condition} is unhealthy: its leader last renewed ${Math.round((now - renewed) / 1000)}s ago`
        : `${condition} is unhealthy: no ${name} leader lease in kube-system (it is not running)`,
    },
  ];
}
