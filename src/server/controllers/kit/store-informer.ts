import { listAll } from '../../../store/list-all.js';
import type { Store, StoredObject, WatchEvent } from '../../../store/types.js';
import type { FollowerListener } from '../../store-follower.js';
import { ObjectCache, type InformerHandlers } from './cache.js';

const revision = (o: StoredObject) => BigInt(o.metadata.resourceVersion || '0');

/**
 * One store type kept in memory, fed by the server's one `StoreFollower` (a watch on the whole
 * store), so informers add no watches. It lists the type on start and again whenever the follower
 * resets (history compacted, store unreachable); the relist reaches subscribers as the differences.
 * Events that race the list are applied only when newer than what the list returned.
 */
export class StoreInformer implements FollowerListener {
  readonly cache = new ObjectCache<StoredObject>(
    (o) => o.id,
    (o) => o.metadata.namespace,
    (o) => o.metadata.labels,
    (a, b) => a.metadata.resourceVersion === b.metadata.resourceVersion,
  );
  synced = false;
  private listing?: Promise<void>;
  private buffered: WatchEvent[] = [];
  private relistAgain = false;

  constructor(
    private readonly store: Store,
    readonly type: string,
    private readonly onListFailed: (err: unknown) => void = () => undefined,
  ) {}

  on(handlers: InformerHandlers<StoredObject>): () => void {
    return this.cache.on(handlers);
  }

  /** Resolves after the first complete list. */
  start(): Promise<void> {
    return this.relist();
  }

  onEvent(event: WatchEvent): void {
    if (event.object.type !== this.type) return;
    if (this.listing) this.buffered.push(event);
    else this.apply(event);
  }

  onReset(): void {
    void this.relist();
  }

  private apply(event: WatchEvent): void {
    const current = this.cache.get(event.object.id);
    if (current && revision(current) >= revision(event.object)) return;
    if (event.type === 'DELETED') this.cache.remove(event.object);
    else this.cache.upsert(event.object);
  }

  private relist(): Promise<void> {
    if (this.listing) {
      this.relistAgain = true;
      return this.listing;
    }
    this.listing = (async () => {
      do {
        this.relistAgain = false;
        try {
          const objects = await listAll(this.store, this.type);
          this.cache.replace(objects);
          this.synced = true;
        } catch (err) {
          // The follower resets again when the store is back; that relists.
          this.onListFailed(err);
        }
      } while (this.relistAgain);
    })().finally(() => {
      this.listing = undefined;
      const events = this.buffered;
      this.buffered = [];
      for (const e of events) this.apply(e);
    });
    return this.listing;
  }
}
