import { StoreError } from '../../../store/types.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { ControllerMetrics } from './metrics.js';

/** What a reconcile may ask for: to run again after a while even if nothing changes. */
export interface ReconcileResult {
  requeueAfter?: number;
}

export interface WorkQueueOptions {
  /** For metrics and logs. */
  name: string;
  reconcile(key: string): Promise<ReconcileResult | void>;
  /** Keys of one group (a cluster) share `maxPerGroup`; default: every key is its own group. */
  groupOf?(key: string): string;
  /** Reconciles running at once over all keys. */
  maxConcurrent?: number;
  /** Reconciles running at once within one group. */
  maxPerGroup?: number;
  backoff?: BackoffOptions;
  /** Errors that mean the object is gone: retrying cannot help. Default: StoreError NotFound. */
  isGone?(err: unknown): boolean;
  onError?(key: string, err: unknown, retryInMs: number): void;
  onSuccess?(key: string): void;
  metrics?: ControllerMetrics;
}

const isStoreNotFound = (err: unknown) => err instanceof StoreError && err.code === 'NotFound';

/**
 * Keys to reconcile, as client-go's rate-limited work queue: a key is never reconciled twice at
 * once; adding a queued key does nothing; adding a running key runs it once more afterwards. A
 * failed key waits an exponentially growing, jittered delay (reset by a success), and events for
 * it meanwhile do not cut the wait short — that is what keeps a failing cluster from being hammered.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number; backoff: boolean }>();
  private readonly failures = new Map<string, number>();
  private readonly perGroup = new Map<string, number>();
  private readonly idle = new Map<string, (() => void)[]>();
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {
    opts.metrics?.depth.collect({ controller: opts.name }, () => this.depth);
  }

  /** Keys waiting to run (not those waiting out a delay). */
  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    // Backing off: the retry reads the state as it is then, so this event is not lost.
    if (this.timers.get(key)?.backoff) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending add of the key wins over a later one. */
  addAfter(key: string, ms: number, backoff = false): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at && pending.backoff === backoff) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, at, backoff });
  }

  /** Drops the key's delays and failure count (its object is gone). */
  forget(key: string): void {
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending.timer);
    this.timers.delete(key);
    this.failures.delete(key);
  }

  /** Resolves once the key is neither queued nor running (a pending delay does not count). */
  settle(key: string): Promise<void> {
    if (!this.queued.has(key) && !this.running.has(key)) return Promise.resolve();
    return new Promise((resolve) => this.idle.set(key, [...(this.idle.get(key) ?? []), resolve]));
  }

  /** Stops taking keys and cancels delays; resolves when the running reconciles end. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.again.clear();
    await Promise.allSettled([...this.running.values()]);
    for (const waiters of this.idle.values()) for (const w of waiters) w();
    this.idle.clear();
  }

  private groupOf(key: string): string {
    return this.opts.groupOf?.(key) ?? key;
  }

  private pump(): void {
    const max = this.opts.maxConcurrent ?? Infinity;
    const perGroup = this.opts.maxPerGroup ?? Infinity;
    for (let i = 0; i < this.queue.length && this.running.size < max;) {
      const key = this.queue[i]!;
      const group = this.groupOf(key);
      if ((this.perGroup.get(group) ?? 0) >= perGroup) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.queued.delete(key);
      this.perGroup.set(group, (this.perGroup.get(group) ?? 0) + 1);
      let done!: () => void;
      this.running.set(key, new Promise<void>((resolve) => (done = resolve)));
      void this.run(key, group).finally(() => done());
    }
  }

  private async run(key: string, group: string): Promise<void> {
    const m = this.opts.metrics;
    const labels = { controller: this.opts.name };
    const started = performance.now();
    let result: string;
    try {
      const out = await this.opts.reconcile(key);
      this.failures.delete(key);
      this.opts.onSuccess?.(key);
      if (out?.requeueAfter !== undefined) {
        result = 'requeue';
        this.addAfter(key, out.requeueAfter);
      } else result = 'success';
    } catch (err) {
      if ((this.opts.isGone ?? isStoreNotFound)(err)) {
        result = 'gone';
        this.forget(key);
      } else {
        result = 'error';
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const delay = backoffDelay(n, this.opts.backoff);
        m?.retries.inc(labels);
        this.opts.onError?.(key, err, delay);
        this.addAfter(key, delay, true);
        // The retry stands for any event that came during this run.
        this.again.delete(key);
      }
    }
    m?.reconciles.inc({ ...labels, result });
    m?.duration.observe(labels, (performance.now() - started) / 1000);
    this.running.delete(key);
    const left = (this.perGroup.get(group) ?? 1) - 1;
    if (left > 0) this.perGroup.set(group, left);
    else this.perGroup.delete(group);
    if (this.again.delete(key)) this.add(key);
    if (!this.queued.has(key) && !this.running.has(key)) {
      for (const w of this.idle.get(key) ?? []) w();
      this.idle.delete(key);
    }
    if (!this.stopped) this.pump();
  }
}
