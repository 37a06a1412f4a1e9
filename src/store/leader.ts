import type { LeaderCallbacks, LeaderElector } from './types.js';

/** For SQLite, where one server owns the store: it always leads, from start() until stop(). */
export class SingleLeaderElector implements LeaderElector {
  private started = false;
  private stopped = false;
  private term: { controller: AbortController; callbacks: LeaderCallbacks } | undefined;

  start(callbacks: LeaderCallbacks): void {
    if (this.started) throw new Error('this leader elector was already started: create a new one');
    this.started = true;
    // In the background, as the interface promises: start() returns before the callback runs.
    queueMicrotask(() => {
      if (this.stopped) return;
      this.term = { controller: new AbortController(), callbacks };
      callbacks.onStartedLeading(this.term.controller.signal);
    });
  }

  isLeader(): boolean {
    return this.term !== undefined && !this.stopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.term) return;
    this.term.controller.abort();
    this.term.callbacks.onStoppedLeading?.();
  }
}
