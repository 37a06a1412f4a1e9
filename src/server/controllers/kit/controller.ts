import type { Logger } from '../../log.js';
import type { BackoffOptions } from './backoff.js';
import type { InformerHandlers } from './cache.js';
import { ControllerMetrics, type Registry } from './metrics.js';
import { WorkQueue, type ReconcileResult } from './workqueue.js';

export interface ReconcileContext {
  /** Aborts when the controller stops: long reconciles should give up. */
  signal: AbortSignal;
}

/** Anything that tells subscribers about objects: a StoreInformer, a K8sInformer, a cache. */
export interface EventSource<T> {
  on(handlers: InformerHandlers<T>): () => void;
}

export interface ControllerSpec {
  name: string;
  /** Reads the current state of `key` and makes the world match it (level-triggered). */
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void>;
  /** Every key to reconcile on each resync (and at start). */
  resyncKeys?(): string[] | Promise<string[]>;
  resyncMs?: number;
  groupOf?(key: string): string;
  maxConcurrent?: number;
  maxPerGroup?: number;
  backoff?: BackoffOptions;
  isGone?(err: unknown): boolean;
  log: Logger;
  registry?: Registry;
}

export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  enqueue(key: string): void;
  enqueueAfter(key: string, ms: number): void;
  /** Enqueues now even if the key is backing off: what made it fail has changed (a new connection). */
  retryNow(key: string): void;
  /** Resolves once the key is neither queued nor being reconciled. */
  settle(key: string): Promise<void>;
  /** Feeds the queue from a source: each added, changed or deleted object enqueues the keys `keysOf` gives. */
  watch<T>(source: EventSource<T>, keysOf: (object: T) => string[]): () => void;
}

/**
 * Wires event sources → keys → one WorkQueue → reconcile, plus a periodic resync so that a
 * missed event is repaired within `resyncMs`. Controllers stay level-triggered: the key carries no
 * event, the reconcile reads what is true now.
 */
export function defineController(spec: ControllerSpec): Controller {
  const abort = new AbortController();
  const unsubscribe: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let lastError = new Map<string, string>();
  const queue = new WorkQueue({
    name: spec.name,
    reconcile: (key) => spec.reconcile(key, { signal: abort.signal }),
    groupOf: spec.groupOf,
    maxConcurrent: spec.maxConcurrent,
    maxPerGroup: spec.maxPerGroup,
    backoff: spec.backoff,
    isGone: spec.isGone,
    metrics: spec.registry ? new ControllerMetrics(spec.registry) : undefined,
    onSuccess: (key) => lastError.delete(key),
    onError: (key, err, retryInMs) => {
      // The same failure over and over (a cluster answering 429) is logged when it changes, not every retry.
      const text = String(err);
      if (lastError.get(key) === text) return;
      lastError.set(key, text);
      spec.log.warn('reconcile failed; retrying', { controller: spec.name, key, error: text, retryInMs });
    },
  });

  const resync = async () => {
    if (abort.signal.aborted) return;
    try {
      for (const key of (await spec.resyncKeys?.()) ?? []) queue.add(key);
      if (lastError.size > 1000) lastError = new Map();
    } catch (err) {
      spec.log.warn('controller resync failed', { controller: spec.name, error: String(err) });
    }
    if (!abort.signal.aborted && spec.resyncMs) timer = setTimeout(() => void resync(), spec.resyncMs).unref();
  };

  return {
    name: spec.name,
    start: () => void resync(),
    stop: async () => {
      abort.abort();
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      await queue.shutdown();
    },
    enqueue: (key) => queue.add(key),
    enqueueAfter: (key, ms) => queue.addAfter(key, ms),
    retryNow: (key) => {
      queue.forget(key);
      queue.add(key);
    },
    settle: (key) => queue.settle(key),
    watch: (source, keysOf) => {
      const enqueue = (o: Parameters<typeof keysOf>[0]) => {
        for (const k of keysOf(o)) queue.add(k);
      };
      const off = source.on({ onAdd: enqueue, onUpdate: (_p, o) => enqueue(o), onDelete: enqueue });
      unsubscribe.push(off);
      return off;
    },
  };
}
