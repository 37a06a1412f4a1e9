export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs?: number;
  /** Cap on any delay. */
  maxMs?: number;
  /** A number in [0, 1); injected by tests. */
  random?: () => number;
}

/**
 * Exponential delay with jitter for the n-th consecutive failure (n ≥ 1). The delay is drawn from
 * [d/2, d] so that many keys or clusters failing together (an API server answering 429 to all)
 * spread their retries instead of coming back in one wave.
 */
export function backoffDelay(failures: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 300_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}

/** Consecutive failures of one thing (a key, a watch), reset by a success. */
export class Backoff {
  private failures = 0;

  constructor(private readonly opts: BackoffOptions = {}) {}

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    this.failures++;
    return backoffDelay(this.failures, this.opts);
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
