import { pollUntil } from '../../src/util/poll.js';

/**
 * Retries `check` until it passes or the deadline passes, then fails with its last error: for
 * convergence of real systems, never a fixed sleep. The deadline is generous on purpose; speed is
 * measured in bench/, not here.
 */
export function eventually<T>(check: () => Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  return pollUntil(check, { what, timeoutMs, intervalMs: 200 });
}
