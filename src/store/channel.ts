/** An unbounded queue from callbacks (stream events) to one async consumer. */
export class Channel<T> {
  private readonly items: T[] = [];
  private failure: { error: unknown } | undefined;
  private ended = false;
  private wakeup: (() => void) | undefined;

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended || this.failure) return;
    this.items.push(item);
    this.notify();
  }

  /** Ends the channel after the queued items. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Fails the channel: take() rejects with `error` once the queued items are taken. */
  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    this.notify();
  }

  /** The next item, or undefined once the channel has ended. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) return this.items.shift();
      if (this.failure) throw this.failure.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wakeup = resolve));
    }
  }

  private notify(): void {
    const wakeup = this.wakeup;
    this.wakeup = undefined;
    wakeup?.();
  }
}
