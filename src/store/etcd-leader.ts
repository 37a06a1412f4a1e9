/**
 * Leader election on etcd: the leader holds one key attached to its lease. A candidate puts the
 * key only if it does not exist; the key goes when the leader revokes its lease (stop()) or the
 * lease expires (the leader died or lost etcd), and the next candidate's put wins.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompareResult, CompareTarget, type Etcd3, type Lease } from 'etcd3';
import type { LeaderCallbacks, LeaderElector } from './types.js';

export interface EtcdLeaderElectorOptions {
  /** The election key; every replica that should share one leader uses the same. */
  key: string;
  /** Seconds the leader's lease lives without a keepalive: how long a dead leader blocks. Default 15. */
  ttlSeconds?: number;
  /** What the key holds while this replica leads. Default `<hostname>-<pid>-<random>`. */
  identity?: string;
  /** How often a candidate tries to take the key. Default a quarter of the TTL, at most 1 s. */
  retryMs?: number;
  /** Told about failures while campaigning or leading (etcd unreachable, ...); they are retried. */
  onError?: (err: unknown) => void;
}

const DEFAULT_TTL_SECONDS = 15;

export class EtcdLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly key: Buffer;
  private readonly ttlSeconds: number;
  private readonly retryMs: number;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private leading = false;
  /** When the lease was last renewed: leadership is trusted only for a while after it. */
  private renewedAt = 0;
  private readonly staleAfterMs: number;

  constructor(
    private readonly client: Etcd3,
    private readonly options: EtcdLeaderElectorOptions,
  ) {
    this.key = Buffer.from(options.key);
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) {
      throw new Error(`ttlSeconds must be a whole number of seconds, at least 1 (etcd leases), got ${this.ttlSeconds}`);
    }
    this.retryMs = options.retryMs ?? Math.min(1000, (this.ttlSeconds * 1000) / 4);
    // Keepalives go every third of the TTL. Two missed ones and the lease may expire before we
    // hear about it, letting another replica lead while we still think we do: step down first.
    this.staleAfterMs = (this.ttlSeconds * 1000 * 2) / 3;
    this.identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  start(callbacks: LeaderCallbacks): void {
    if (this.running) throw new Error('this leader elector was already started: create a new one');
    this.running = this.campaign(callbacks);
  }

  /** Checked against the clock, so it turns false in time even if the event loop is slow to react. */
  isLeader(): boolean {
    return this.leading && !this.stale();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async campaign(callbacks: LeaderCallbacks): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      try {
        await this.term(callbacks);
      } catch (err) {
        if (!stop.aborted) this.options.onError?.(err);
      }
      await this.pause(this.retryMs, stop);
    }
  }

  /** One lease: wait for the key with it, lead while it holds, then give it back. */
  private async term(callbacks: LeaderCallbacks): Promise<void> {
    const lease = this.client.lease(this.ttlSeconds);
    const lost = new AbortController();
    lease.on('lost', () => lost.abort());
    lease.on('keepaliveSucceeded', () => (this.renewedAt = Date.now()));
    const over = AbortSignal.any([this.stopping.signal, lost.signal]);
    try {
      const leaseId = await lease.grant();
      this.renewedAt = Date.now();
      while (!over.aborted && !(await this.tryAcquire(leaseId))) await this.pause(this.retryMs, over);
      if (over.aborted) return;
      const term = new AbortController();
      this.leading = true;
      try {
        callbacks.onStartedLeading(term.signal);
        await this.hold(lease, leaseId, over);
      } finally {
        this.leading = false;
        term.abort();
        callbacks.onStoppedLeading?.();
      }
    } finally {
      await this.release(lease);
    }
  }

  private async tryAcquire(leaseId: string): Promise<boolean> {
    const res = await this.client.kv.txn({
      compare: [{ key: this.key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key: this.key, value: Buffer.from(this.identity), lease: leaseId } }],
    });
    return res.succeeded;
  }

  /** Returns when leadership ends: stop(), the lease lost, or the key no longer ours. */
  private async hold(lease: Lease, leaseId: string, over: AbortSignal): Promise<void> {
    const checkEveryMs = Math.min(this.retryMs, this.staleAfterMs / 4);
    while (!over.aborted && !lease.revoked()) {
      if (this.stale()) return;
      try {
        const res = await this.client.kv.range({ key: this.key });
        if (res.kvs[0]?.lease !== leaseId) return;
      } catch (err) {
        // The keepalive deadline above decides; one failed read does not end leadership.
        this.options.onError?.(err);
      }
      await this.pause(checkEveryMs, over);
    }
  }

  private stale(): boolean {
    return Date.now() - this.renewedAt > this.staleAfterMs;
  }

  private async release(lease: Lease): Promise<void> {
    // Revoking deletes the key at once, so the next replica need not wait for the TTL. When etcd
    // is unreachable, waiting longer than the TTL is pointless: by then the lease has expired.
    const expired = new AbortController();
    await Promise.race([
      lease.revoke().catch(() => undefined),
      sleep(this.ttlSeconds * 1000, undefined, { signal: expired.signal }).catch(() => undefined),
    ]);
    expired.abort();
    lease.release();
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }
}
