import type { Store, StoredObject, WatchEvent } from '../store/types.js';
import type { Registry } from './controllers/kit/metrics.js';
import type { FollowerListener, StoreFollower } from './store-follower.js';

/** What authentication and the proxy read objects through: the store itself, or a cached view of it. */
export interface ObjectReader {
  /** Rejects with StoreError 'NotFound' when absent. The result must not be modified. */
  get(type: string, id: string): Promise<StoredObject>;
}

/** The types read on every request: who is calling (token, user) and where to (cluster). */
export const HOT_TYPES = ['token', 'user', 'cluster'] as const;

/**
 * Tokens, users and clusters kept in memory from the store's one watch, so that a request's
 * identity costs no store read. It stays exact: a request may use the cache only when the watch
 * has delivered every change up to the store's revision as read after the request arrived (one
 * cheap read: a field in memory on SQLite, one key-less range on etcd, shared by requests that
 * arrive while it is in flight). Otherwise — a change this replica has not seen yet, on this
 * replica or another — the request reads the store. So a token deleted or a user disabled anywhere
 * is refused by the very next request on every replica, as before the cache.
 */
export class HotObjects implements FollowerListener {
  private readonly objects = new Map<string, StoredObject>();
  private readonly types: ReadonlySet<string>;
  /** Bumped by every change or reset: a store read may fill the cache only if none came between. */
  private generation = 0;
  private inflight: Promise<string> | undefined;
  private queued: Promise<string> | undefined;
  /** Reads answered from memory, read from the store while the cache was current, or bypassing it. */
  readonly reads = { memory: 0, filled: 0, store: 0 };

  constructor(
    private readonly store: Store,
    private readonly follower: StoreFollower,
    types: readonly string[] = HOT_TYPES,
  ) {
    this.types = new Set(types);
  }

  onEvent(event: WatchEvent): void {
    const { type, id } = event.object;
    if (!this.types.has(type)) return;
    this.generation++;
    const key = `${type}/${id}`;
    // Only objects someone asked for are kept: a change to another is not worth the memory. The
    // event's object is shared with other listeners, so the cache freezes a copy.
    if (event.type === 'DELETED') this.objects.delete(key);
    else if (this.objects.has(key)) this.objects.set(key, deepFreeze(structuredClone(event.object)));
  }

  onReset(): void {
    this.generation++;
    this.objects.clear();
  }

  /**
   * A reader consistent with the store as of now: cached objects where the watch is known to be
   * current, the store otherwise. Take one per request and use it only for reads before the
   * request writes anything.
   */
  async reader(): Promise<ObjectReader> {
    const revision = BigInt(await this.storeRevision());
    const seen = this.follower.seen;
    if (seen === undefined || seen < revision) return this.bypass;
    const generation = this.generation;
    return {
      get: (type, id) => {
        if (!this.types.has(type)) return this.store.get(type, id);
        const cached = this.objects.get(`${type}/${id}`);
        if (!cached) return this.fill(type, id, generation);
        this.reads.memory++;
        return Promise.resolve(cached);
      },
    };
  }

  /** The store itself, counted: the watch is behind (a change not seen yet) or broken. */
  private readonly bypass: ObjectReader = {
    get: (type, id) => {
      if (this.types.has(type)) this.reads.store++;
      return this.store.get(type, id);
    },
  };

  /** Publishes the read counts at `/metrics`. */
  register(registry: Registry): void {
    const reads = registry.counter(
      'corral_hot_object_reads_total',
      'Reads of tokens, users and clusters by where they were answered: memory, store (cache filled), store (cache behind).',
    );
    reads.collect({ from: 'memory' }, () => this.reads.memory);
    reads.collect({ from: 'fill' }, () => this.reads.filled);
    reads.collect({ from: 'store' }, () => this.reads.store);
  }

  private async fill(type: string, id: string, generation: number): Promise<StoredObject> {
    this.reads.filled++;
    const obj = await this.store.get(type, id);
    // Kept only if no change or reset arrived since the reader checked the revision, and the
    // object is no newer than what the watch delivered: every later change then still comes.
    const seen = this.follower.seen;
    if (generation === this.generation && seen !== undefined && BigInt(obj.metadata.resourceVersion) <= seen) {
      const frozen = deepFreeze(obj);
      this.objects.set(`${type}/${id}`, frozen);
      return frozen;
    }
    return obj;
  }

  /**
   * The store's revision, read after the call began. Callers arriving while a read is in flight
   * cannot use it (it may predate them); they share the next one.
   */
  private storeRevision(): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.store.currentRevision().finally(() => {
        this.inflight = undefined;
      });
      return this.inflight;
    }
    this.queued ??= this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.storeRevision();
      });
    return this.queued;
  }
}

/** Cached objects are shared by every request: a handler that tried to change one would throw. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The store, with `get` answered by a request's reader: for a GET, whose reads all happen after
 * the reader's revision check and before any write of its own.
 */
export function readThrough(store: Store, reader: ObjectReader): Store {
  return {
    get: (type, id) => reader.get(type, id),
    list: (type, options) => store.list(type, options),
    create: (object) => store.create(object),
    update: (object) => store.update(object),
    delete: (type, id, options) => store.delete(type, id, options),
    watch: (options) => store.watch(options),
    currentRevision: () => store.currentRevision(),
    close: () => store.close(),
  };
}
