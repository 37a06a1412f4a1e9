import type { Logger } from '../log.js';

export interface PeriodicController {
  name: string;
  intervalMs: number;
  reconcile(): Promise<unknown>;
}

/**
 * Runs controllers while `signal` is live (this replica leads). Each pass is a full reconcile
 * from current state, so passes can be skipped, repeated or run by another replica safely.
 */
export function runControllers(controllers: PeriodicController[], signal: AbortSignal, log: Logger): void {
  for (const c of controllers) {
    const pass = async () => {
      if (signal.aborted) return;
      try {
        await c.reconcile();
      } catch (err) {
        log.warn('controller pass failed; retrying next interval', { controller: c.name, error: String(err) });
      }
      if (!signal.aborted) setTimeout(pass, c.intervalMs).unref();
    };
    void pass();
  }
}
