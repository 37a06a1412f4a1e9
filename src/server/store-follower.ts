import type { Store, WatchEvent } from '../store/types.js';

export interface FollowerListener {
  /** Every change, in order. */
  onEvent(event: WatchEvent): void;
  /** Changes may have been missed (history compacted, store unreachable): drop all caches. */
  onReset(): void;
}

/**
 * One watch on the whole store per server, shared by every in-memory cache (settings, user
 * rules). It never trusts that it saw everything: when the watch breaks it tells listeners to
 * reset and resumes from the current revision.
 */
export class StoreFollower {
  private readonly listeners: FollowerListener[] = [];
  private readonly abort = new AbortController();
  private seenRevision: bigint | undefined;

  constructor(private readonly store: Store) {}

  /**
   * The store revision up to which every change has been given to the listeners; undefined while
   * the watch is broken (changes may be missing until it resumes).
   */
  get seen(): bigint | undefined {
    return this.seenRevision;
  }

  add(listener: FollowerListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    void this.follow(await this.store.currentRevision());
  }

  private async follow(from: string): Promise<void> {
    let revision = from;
    while (!this.abort.signal.aborted) {
      this.seenRevision = BigInt(revision);
      try {
        for await (const event of this.store.watch({ resourceVersion: revision, signal: this.abort.signal })) {
          revision = event.object.metadata.resourceVersion;
          for (const l of this.listeners) l.onEvent(event);
          // Only after every listener has applied it.
          this.seenRevision = BigInt(revision);
        }
      } catch {
        if (this.abort.signal.aborted) return;
      }
      this.seenRevision = undefined;
      for (const l of this.listeners) l.onReset();
      if (this.abort.signal.aborted) return;
      await new Promise((r) => setTimeout(r, 500).unref());
      try {
        revision = await this.store.currentRevision();
      } catch {
        // the store is unreachable; the next turn tries again
      }
    }
  }

  stop(): void {
    this.seenRevision = undefined;
    this.abort.abort();
  }
}
