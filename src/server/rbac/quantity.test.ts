import { expect, test } from 'vitest';
import { parseQuantity } from '../../kube/quantity.js';
import { formatNano, toNano } from './quantity.js';

test.each<[string, bigint]>([
  ['0', 0n],
  ['2', 2_000_000_000n],
  ['500m', 500_000_000n],
  ['0.5', 500_000_000n],
  ['.5', 500_000_000n],
  ['1.', 1_000_000_000n],
  ['100u', 100_000n],
  ['7n', 7n],
  ['1Ki', 1024n * 10n ** 9n],
  ['1.5Gi', 1536n * 2n ** 20n * 10n ** 9n],
  ['16Gi', 16n * 2n ** 30n * 10n ** 9n],
  ['1k', 10n ** 12n],
  ['1M', 10n ** 15n],
  ['1E', 10n ** 27n],
  ['1e3', 10n ** 12n],
  ['1E3', 10n ** 12n],
  ['2e-3', 2_000_000n],
  ['+3', 3_000_000_000n],
  ['-2', -2_000_000_000n],
  // finer than a nano-unit rounds up, as Kubernetes does
  ['0.1n', 1n],
  ['1.0000000001', 1_000_000_001n],
])('toNano(%j)', (q, nano) => {
  expect(toNano(q)).toBe(nano);
});

test('agrees with parseQuantity on the amounts both represent', () => {
  for (const q of ['500m', '2', '1.5Gi', '16Gi', '1k', '1e3', '250M', '3Ti', '100m', '0.25']) {
    expect(Number(toNano(q)) / 1e9).toBeCloseTo(parseQuantity(q), 6);
  }
});

test.each(['', 'lots', '1.2.3', '1Kb', '1 Gi', 'Gi', '1e', '--1', '1e999', ' 4 ', '1e3Ki'])(
  'toNano(%j) throws',
  (q) => {
    expect(() => toNano(q)).toThrow(/is not a Kubernetes quantity|out of range/);
  },
);

test.each<[string, 'cpu' | 'bytes' | 'count', string]>([
  ['0', 'cpu', '0'],
  ['2', 'cpu', '2'],
  ['1500m', 'cpu', '1500m'],
  ['0.25', 'cpu', '250m'],
  ['1u', 'cpu', '1u'],
  ['1Gi', 'bytes', '1Gi'],
  ['1536Mi', 'bytes', '1536Mi'],
  ['1024Mi', 'bytes', '1Gi'],
  ['1G', 'bytes', '1G'],
  ['1500M', 'bytes', '1500M'],
  ['1000', 'bytes', '1k'],
  ['1001', 'bytes', '1001'],
  ['1E', 'bytes', '1E'],
  ['0.5', 'bytes', '500m'],
  ['12', 'count', '12'],
  ['12k', 'count', '12000'],
  ['-3', 'count', '-3'],
])('formatNano(%j, %s) is %j', (q, unit, expected) => {
  expect(formatNano(toNano(q), unit)).toBe(expected);
  expect(toNano(expected)).toBe(toNano(q));
});
