import { formatResource } from '../../schema/quantity.js';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { Logger } from '../log.js';
import { openK8sWatch } from '../ui/k8s-watch.js';
import type { ClusterConnection, ClusterConnections } from './connections.js';
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
const PAGE_TIMEOUT_MS = 60_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;
const NONE: PodResources = { requests: {}, limits: {} };

/**
 * The running sums of one cluster's pods: listed once (in pages), then kept by a watch that
 * adds and subtracts single pods, so a 10,000-pod cluster costs one list, not one every pass.
 * Anything that breaks the watch's continuity (410 Gone, a lost connection) lists again.
 */
class PodSums {
  private pods = new Map<string, PodResources>();
  private requests: Amounts = {};
  private limits: Amounts = {};
  synced = false;
  private stopped = false;
  private watch?: { stop(): void };
  private retryTimer?: NodeJS.Timeout;
  private retryMs = RETRY_MIN_MS;
  private lastFailure?: string;

  constructor(
    private readonly clusterId: string,
    readonly conn: ClusterConnection,
    private readonly log: Logger,
    private readonly pageSize: number,
    private readonly changed: () => void,
  ) {
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watch?.stop();
  }

  use(): ClusterUse | undefined {
    if (!this.synced) return undefined;
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

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    try {
      const { pods, resourceVersion } = await this.list();
      if (this.stopped) return;
      // The new list replaces the old whole, so the sums never show half a list.
      this.pods = new Map();
      this.requests = {};
      this.limits = {};
      for (const [uid, r] of pods) this.put(uid, r);
      this.synced = true;
      this.retryMs = RETRY_MIN_MS;
      this.lastFailure = undefined;
      this.log.debug('cluster pods listed for usage', {
        clusterId: this.clusterId,
        pods: pods.size,
        ms: Math.round(performance.now() - started),
      });
      this.changed();
      this.watch = openK8sWatch(
        this.conn.upstream,
        {},
        { path: '/api/v1/pods', resourceVersion, fieldSelector: UNFINISHED },
        {
          onEvent: (e) => {
            const pod = e.object as PodLike;
            const uid = pod.metadata?.uid;
            if (!uid) return;
            const before = this.pods.get(uid);
            if (e.type === 'DELETED' || !holdsNodeResources(pod)) this.remove(uid);
            else this.put(uid, podResources(pod));
            // Most events are status updates that change no sum: those ask for no check.
            const after = this.pods.get(uid);
            if (before !== after && JSON.stringify(before) !== JSON.stringify(after)) this.changed();
          },
          onResync: (reason) => {
            this.log.debug('cluster pod watch lists again', { clusterId: this.clusterId, reason });
            this.retry();
          },
          onError: (f) => this.failed(`${f.status} ${f.message}`),
        },
      );
    } catch (err) {
      this.failed((err as Error).message);
    }
  }

  private async list(): Promise<{ pods: Map<string, PodResources>; resourceVersion: string }> {
    const pods = new Map<string, PodResources>();
    let cont = '';
    for (;;) {
      const query = new URLSearchParams({ limit: String(this.pageSize), fieldSelector: UNFINISHED });
      if (cont) query.set('continue', cont);
      let page: { metadata: { resourceVersion: string; continue?: string }; items: PodLike[] };
      try {
        page = await upstreamJson(this.conn.upstream, 'GET', `/api/v1/pods?${query}`, { timeoutMs: PAGE_TIMEOUT_MS });
      } catch (err) {
        // The continue token outlived the API server's compaction: start the list over.
        if (cont && err instanceof UpstreamError && err.status === 410) {
          pods.clear();
          cont = '';
          continue;
        }
        throw err;
      }
      for (const pod of page.items) {
        const uid = pod.metadata?.uid;
        if (uid && holdsNodeResources(pod)) pods.set(uid, podResources(pod));
      }
      if (this.stopped || !page.metadata.continue) return { pods, resourceVersion: page.metadata.resourceVersion };
      cont = page.metadata.continue;
    }
  }

  private failed(reason: string): void {
    if (this.stopped) return;
    // An agent installed before it could read pods fails the same way every minute: say it once.
    if (reason !== this.lastFailure)
      this.log.warn('cannot follow the cluster pods for usage; retrying', {
        clusterId: this.clusterId,
        error: reason,
        ...(/\b403\b|forbidden/i.test(reason)
          ? { fix: "the cluster's agent may not read pods: apply the cluster's import command again to update it" }
          : {}),
      });
    this.lastFailure = reason;
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    this.watch?.stop();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.sync(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
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
 * Follows the pods of every cluster this replica is connected to: one PodSums per connection,
 * started when the connection appears and torn down when it goes or is replaced.
 */
export class ClusterUsage {
  private readonly sums = new Map<string, PodSums>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly connections: ClusterConnections,
    private readonly log: Logger,
    /** Told (at most once per notifyDelayMs) that a cluster's use changed. */
    private readonly onChange: (clusterId: string) => void,
    private readonly opts: UsageOptions = {},
  ) {}

  start(): void {
    this.connections.on('change', this.follow);
    for (const id of this.connections.ids()) this.follow(id);
  }

  stop(): void {
    this.connections.off('change', this.follow);
    for (const s of this.sums.values()) s.stop();
    this.sums.clear();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  /** The cluster's current use, or undefined until its pods have been listed. */
  get(clusterId: string): ClusterUse | undefined {
    return this.sums.get(clusterId)?.use();
  }

  private readonly follow = (clusterId: string): void => {
    const conn = this.connections.get(clusterId);
    const current = this.sums.get(clusterId);
    if (current && current.conn === conn) return;
    current?.stop();
    this.sums.delete(clusterId);
    if (conn)
      this.sums.set(
        clusterId,
        new PodSums(clusterId, conn, this.log, this.opts.pageSize ?? 500, () => this.notify(clusterId)),
      );
  };

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
