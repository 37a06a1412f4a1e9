import { EventEmitter } from 'node:events';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import type { ClusterConnections } from './connections.js';

/** Store type of the per-cluster record saying which replica holds the cluster's tunnel. */
export const CLUSTER_LEASE_TYPE = 'clusterLease';
/** Store type of each replica's heartbeat: one write per replica per renewMs keeps all its leases fresh. */
export const REPLICA_HEARTBEAT_TYPE = 'replicaHeartbeat';

export interface OwnershipOptions {
  /** How often a replica rewrites its heartbeat. */
  renewMs?: number;
  /** A lease whose replica has not beaten for this long is dead: the replica is gone. */
  staleMs?: number;
}

const isCode = (err: unknown, code: string) => err instanceof StoreError && err.code === code;

/**
 * Which replica runs a cluster's per-cluster controllers (health with a connection, projects,
 * usage), so that two replicas never write a cluster against each other:
 *
 * - a tunnel cluster belongs to the replica holding its agent's tunnel, recorded in a
 *   `clusterLease` object (replica, when the tunnel connected, when it was taken), written only
 *   when the cluster changes hands. It stays fresh while its replica's `replicaHeartbeat` does:
 *   one write per replica every renewMs, not one per cluster (100 writes a second at 2,000
 *   clusters). A fresher tunnel takes the lease from an older one (an agent has one tunnel; the
 *   older one is dying);
 * - a direct cluster belongs to the leader (every replica may connect it, to proxy requests);
 * - a cluster nobody holds is the leader's: it marks it pending or unavailable, but only once no
 *   fresh lease exists, so a replica without the tunnel never overrides the one that has it.
 */
export class ClusterOwnership extends EventEmitter {
  private readonly held = new Set<string>();
  /** What this replica last wrote, until the informer's copy catches up with it. */
  private readonly written = new Map<string, StoredObject>();
  private readonly renewMs: number;
  readonly staleMs: number;
  private heartbeatTimer?: NodeJS.Timeout;
  /** When this replica's heartbeat last reached the store. */
  private lastBeat = 0;

  constructor(
    private readonly store: Store,
    /** Leases are read from this cache: checking every cluster on every pass costs no store reads. */
    private readonly leases: StoreInformer,
    /** Every replica's heartbeat, from the store. */
    private readonly heartbeats: StoreInformer,
    private readonly connections: ClusterConnections,
    private readonly leader: { isLeader(): boolean },
    readonly replicaId: string,
    opts: OwnershipOptions = {},
  ) {
    super();
    this.renewMs = opts.renewMs ?? 20_000;
    this.staleMs = opts.staleMs ?? 3 * this.renewMs;
  }

  /** Beats now and every renewMs until stop(). */
  async start(): Promise<void> {
    await this.beat();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.renewMs);
    this.heartbeatTimer.unref();
  }

  /** Stops beating and removes the heartbeat, so the leader need not wait for this replica's leases to go stale. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.store.delete(REPLICA_HEARTBEAT_TYPE, this.replicaId).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const spec = { renewTime: new Date(now).toISOString() };
    try {
      const current = await this.store.get(REPLICA_HEARTBEAT_TYPE, this.replicaId).catch((err: unknown) => {
        if (isCode(err, 'NotFound')) return undefined;
        throw err;
      });
      if (current) await this.store.update({ ...current, spec });
      else
        await this.store.create({
          type: REPLICA_HEARTBEAT_TYPE,
          id: this.replicaId,
          metadata: { name: this.replicaId },
          spec,
        });
      this.lastBeat = now;
    } catch {
      // The store is unreachable or another write raced: the leases go stale if this goes on.
    }
  }

  /** Whether this replica runs the cluster's per-cluster controllers now. */
  owns(clusterId: string): boolean {
    const conn = this.connections.get(clusterId);
    if (!conn) return false;
    return conn.kind === 'direct' ? this.leader.isLeader() : this.held.has(clusterId);
  }

  /** Leadership moved: direct clusters change hands. Emits 'change' for each connected cluster. */
  leadershipChanged(): void {
    for (const id of this.connections.ids()) this.emit('change', id);
  }

  /**
   * For a cluster whose tunnel ends here: takes or renews its lease. Resolves to whether this
   * replica holds it. Without a tunnel here, gives up a lease this replica held.
   */
  async claim(clusterId: string): Promise<boolean> {
    const conn = this.connections.get(clusterId);
    if (!conn || conn.kind !== 'tunnel') {
      await this.release(clusterId);
      return false;
    }
    const lease = await this.read(clusterId);
    const now = Date.now();
    const spec = { replica: this.replicaId, since: conn.since, renewTime: new Date(now).toISOString() };
    try {
      if (!lease) {
        this.wrote(
          await this.store.create({ type: CLUSTER_LEASE_TYPE, id: clusterId, metadata: { name: clusterId }, spec }),
        );
      } else if (lease.spec.replica === this.replicaId) {
        // Held: the heartbeat keeps it fresh; only a newer tunnel here changes it.
        if (Number(lease.spec.since) !== conn.since) this.wrote(await this.store.update({ ...lease, spec }));
      } else if (this.stale(lease, now) || conn.since > Number(lease.spec.since)) {
        this.wrote(await this.store.update({ ...lease, spec }));
      } else {
        this.set(clusterId, false);
        return false;
      }
    } catch (err) {
      // Another write raced this one (or the cache was behind): the next check reads who holds it.
      if (!isCode(err, 'Conflict') && !isCode(err, 'AlreadyExists')) throw err;
      return this.held.has(clusterId);
    }
    this.set(clusterId, true);
    return true;
  }

  /** Deletes the cluster's lease if this replica holds it, so the leader need not wait for it to go stale. */
  async release(clusterId: string): Promise<void> {
    this.set(clusterId, false);
    const lease = await this.read(clusterId);
    if (lease?.spec.replica !== this.replicaId) return;
    await this.remove(lease);
  }

  /** How long until the cluster's lease goes stale; 0 when there is none or it is stale. */
  async leaseLeftMs(clusterId: string): Promise<number> {
    const lease = await this.read(clusterId);
    return lease ? Math.max(0, this.renewedAt(lease) + this.staleMs - Date.now()) : 0;
  }

  /** Deletes the lease of a cluster that no longer exists (leader only). */
  async forget(clusterId: string): Promise<void> {
    const lease = await this.read(clusterId);
    if (lease) await this.remove(lease);
  }

  private async remove(lease: StoredObject): Promise<void> {
    this.written.delete(lease.id);
    await this.store
      .delete(CLUSTER_LEASE_TYPE, lease.id, { resourceVersion: lease.metadata.resourceVersion })
      .catch((err: unknown) => {
        if (!isCode(err, 'NotFound') && !isCode(err, 'Conflict')) throw err;
      });
  }

  private stale(lease: StoredObject, now: number): boolean {
    return now - this.renewedAt(lease) > this.staleMs;
  }

  /** When the lease was last known alive: taken, or its replica's last heartbeat. */
  private renewedAt(lease: StoredObject): number {
    const replica = String(lease.spec.replica);
    const beat =
      replica === this.replicaId ? this.lastBeat : timeOf(this.heartbeats.cache.get(replica)?.spec.renewTime);
    return Math.max(timeOf(lease.spec.renewTime), beat);
  }

  private async read(clusterId: string): Promise<StoredObject | undefined> {
    const cached = this.leases.cache.get(clusterId);
    const mine = this.written.get(clusterId);
    if (!mine) return cached;
    if (cached && BigInt(cached.metadata.resourceVersion) >= BigInt(mine.metadata.resourceVersion)) {
      this.written.delete(clusterId);
      return cached;
    }
    return mine;
  }

  private wrote(lease: StoredObject): void {
    this.written.set(lease.id, lease);
  }

  private set(clusterId: string, holds: boolean): void {
    if (this.held.has(clusterId) === holds) return;
    if (holds) this.held.add(clusterId);
    else this.held.delete(clusterId);
    this.emit('change', clusterId);
  }
}

const timeOf = (iso: unknown) => (iso ? Date.parse(String(iso)) || 0 : 0);
