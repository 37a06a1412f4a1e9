import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is being waited for, for the error message. */
  what: string;
  /** Called before each attempt; throw to give up early (for example, a process exited). */
  abortIf?: () => void;
}

/**
 * Calls `attempt` until it returns without throwing, or the deadline passes; then throws with the
 * last failure. For convergence and readiness, never as a sleep.
 */
export async function pollUntil<T>(attempt: () => Promise<T>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let last: unknown;
  for (;;) {
    options.abortIf?.();
    try {
      return await attempt();
    } catch (err) {
      last = err;
    }
    if (Date.now() + interval > deadline) break;
    await sleep(interval);
  }
  const reason = last instanceof Error ? last.message : String(last);
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}: ${reason}`);
}
