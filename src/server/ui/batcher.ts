export interface BatcherOptions {
  /** How long the first event of a batch may wait for company. */
  delayMs: number;
  /** A batch this big goes at once. */
  maxEvents: number;
  /** More than this many events waiting (a flush that cannot keep up): give up on the watch. */
  maxPending: number;
}

export const DEFAULT_BATCHING: BatcherOptions = { delayMs: 50, maxEvents: 500, maxPending: 20_000 };

/**
 * Coalesces one watch's events into batches: a burst of 10,000 changes becomes 20 messages,
 * not 10,000. One flush runs at a time, in order, even when `flush` is asynchronous; events that
 * arrive meanwhile wait in `pending`, which is what maxPending bounds.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly flush: (events: T[]) => Promise<void> | void,
    private readonly onOverflow: () => void,
    private readonly opts: BatcherOptions = DEFAULT_BATCHING,
  ) {}

  push(event: T): void {
    if (this.stopped) return;
    this.pending.push(event);
    if (this.pending.length > this.opts.maxPending) {
      this.stop();
      this.onOverflow();
      return;
    }
    if (this.pending.length >= this.opts.maxEvents) void this.drain();
    else this.timer ??= setTimeout(() => void this.drain(), this.opts.delayMs);
  }

  /** Sends what is waiting now; resolves when nothing is waiting or being sent. */
  drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    while (this.pending.length && !this.stopped) {
      const batch = this.pending.splice(0, this.opts.maxEvents);
      try {
        await this.flush(batch);
      } catch {
        // `flush` handles its own failures; one must not wedge the batches after it.
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
