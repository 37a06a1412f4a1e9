import { describe, expect, it } from 'vitest';
import { batchSize } from './worker-plane.js';

describe('batchSize (upgrade_strategy.max_unavailable_worker)', () => {
  it('takes a percentage of the workers, rounded down, never below one', () => {
    expect(batchSize('10%', 25)).toBe(2);
    expect(batchSize('10%', 5)).toBe(1);
    expect(batchSize('50%', 4)).toBe(2);
    expect(batchSize('100%', 7)).toBe(7);
  });
  it('takes a count as it is, never below one', () => {
    expect(batchSize('3', 10)).toBe(3);
    expect(batchSize('0', 10)).toBe(1);
  });
});
