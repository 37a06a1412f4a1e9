import { formatResource } from '../../schema/quantity.js';
import { K8sInformer } from '../controllers/kit/k8s-informer.js';
import type { Logger } from '../log.js';
import type { ClusterConnection, ClusterConnections } from './connections.js';
import { OwnedConnectionWatchers } from './owned-watchers.js';
import type { ClusterOwnership } from './ownership.js';
import { holdsNodeResources, podResources, type Amounts, type PodLike, type PodResources } from './pod-resources.js';

/** What a cluster's unfinished pods ask for and are capped at, as Rancher's status.requested/limits. */
export interface ClusterUse {
  requested: Record<string, string>;
  limits: Record<string, string>;
}

export interface UsageOptions {
  /** Pods per list page. */
  pageSize?: number;
  /** How long after a change the owner is told, so a burst of pod events makes one status write. */
  notifyDelayMs?: number;
}

/**
 * Pods on a node and not finished (see holdsNodeResources); the API server leaves the others out
 * of the list and the watch. A pod that gets a node enters the watch as ADDED.
 */
const UNFINISHED = 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed';
const NONE: PodResources = { requests: {}, limits: {} };

/**
 * The running sums of one cluster's pods, kept by a K8sInformer (one paged list, then a watch),
 * so a 10,000-pod cluster costs one list, not one every pass. A relist reaches the sums as the
 * differences, applied together, so sums never show half a list and never drift.
 */
class PodSums {
  private readonly pods = new Map<string, PodResources>();
  private readonly requests: Amounts = {};
  private readonly limits: Amounts = {};
  private readonly informer: K8sInformer<PodLike>;
  private lastFailure?: string;

  constructor(
    private readonly clusterId: string,
    readonly conn: ClusterConnection,
    private readonly log: Logger,
    pageSize: number,
    private readonly changed: () => void,
  ) {
    this.informer = new K8sInformer<PodLike>(conn.upstream, {
      path: '/api/v1/pods',
      fieldSelector: UNFINISHED,
      pageSize,
      onSynced: () => {
        this.lastFailure = undefined;
        this.changed();
      },
      onFailure: (reason, status, retryInMs) => this.failed(reason, status, retryInMs),
    });
    const track = (pod: PodLike) => {
      const uid = pod.metadata?.uid;
      if (!uid) return;
      const before = this.pods.get(uid);
      if (holdsNodeResources(pod)) this.put(uid, podResources(pod));
      else this.remove(uid);
      // Most events are status updates that change no sum: those ask for no check.
      const after = this.pods.get(uid);
      if (this.informer.synced && before !== after && JSON.stringify(before) !== JSON.stringify(after)) this.changed();
    };
    this.informer.on({
      onAdd: track,
      onUpdate: (previous, pod) => {
        // A pod recreated under the same name is another pod.
        if (previous.metadata?.uid !== pod.metadata?.uid) this.untrack(previous);
        track(pod);
      },
      onDelete: (pod) => this.untrack(pod),
    });
    this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  use(): ClusterUse | undefined {
    if (!this.informer.synced) return undefined;
    const format = (a: Amounts) =>
      Object.fromEntries(
        Object.entries(a)
          .filter(([, v]) => v !== 0)
          .sort(([x], [y]) => (x < y ? -1 : 1))
          .map(([name, v]) => [name, formatResource(name, name === 'cpu' ? v / 1000 : v)]),
      );
    return {
      requested: { ...format(this.requests), pods: String(this.pods.size) },
      limits: format(this.limits),
    };
  }

  private untrack(pod: PodLike): void {
    const uid = pod.metadata?.uid;
    if (!uid || !this.pods.has(uid)) return;
    this.remove(uid);
    if (this.informer.synced) this.changed();
  }

  private failed(reason: string, status: number | undefined, retryInMs: number): void {
    // An agent installed before it could read pods fails the same way every time: say it once.
    if (reason !== this.lastFailure)
      this.log.warn('cannot follow the cluster pods for usage; retrying', {
        clusterId: this.clusterId,
        error: reason,
        retryInMs,
        ...(status === 403 || /\b403\b|forbidden/i.test(reason)
          ? { fix: "the cluster's agent may not read pods: apply the cluster's import command again to update it" }
          : {}),
      });
    this.lastFailure = reason;
  }

  private put(uid: string, r: PodResources): void {
    this.remove(uid);
    const kept = Object.keys(r.requests).length + Object.keys(r.limits).length ? r : NONE;
    this.pods.set(uid, kept);
    shift(this.requests, kept.requests, 1);
    shift(this.limits, kept.limits, 1);
  }

  private remove(uid: string): void {
    const old = this.pods.get(uid);
    if (!old) return;
    this.pods.delete(uid);
    shift(this.requests, old.requests, -1);
    shift(this.limits, old.limits, -1);
  }
}

function shift(totals: Amounts, by: Amounts, sign: 1 | -1): void {
  for (const [name, v] of Object.entries(by)) totals[name] = (totals[name] ?? 0) + sign * v;
}

/**
 * Follows the pods of every cluster this replica owns: one PodSums per owned connection (see
 * OwnedConnectionWatchers), and tells the owner of changes at most once per notifyDelayMs.
 */
export class ClusterUsage {
  private readonly sums: OwnedConnectionWatchers<PodSums>;
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    connections: ClusterConnections,
    ownership: ClusterOwnership,
    log: Logger,
    /** Told (at most once per notifyDelayMs) that a cluster's use changed. */
    private readonly onChange: (clusterId: string) => void,
    private readonly opts: UsageOptions = {},
  ) {
    this.sums = new OwnedConnectionWatchers(
      connections,
      ownership,
      (clusterId, conn) => new PodSums(clusterId, conn, log, opts.pageSize ?? 500, () => this.notify(clusterId)),
    );
  }

  start(): void {
    this.sums.start();
  }

  stop(): void {
    this.sums.stop();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  /** The cluster's current use, or undefined until its pods have been listed. */
  get(clusterId: string): ClusterUse | undefined {
    return this.sums.get(clusterId)?.use();
  }

  private notify(clusterId: string): void {
    if (this.pending.has(clusterId)) return;
    const timer = setTimeout(() => {
      this.pending.delete(clusterId);
      this.onChange(clusterId);
    }, this.opts.notifyDelayMs ?? 1000);
    timer.unref();
    this.pending.set(clusterId, timer);
  }
}
