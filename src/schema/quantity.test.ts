import { expect, test } from 'vitest';
import {
  addQuantities,
  compareQuantities,
  formatNano,
  formatResource,
  isQuantity,
  quantityMilliValue,
  quantityNumber,
  quantityValue,
  sumResources,
  toNano,
} from './quantity.js';

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

test.each<[string, number]>([
  ['500m', 0.5],
  ['2', 2],
  ['16Gi', 16 * 2 ** 30],
  ['1k', 1000],
  ['1e3', 1000],
  ['3Ti', 3 * 2 ** 40],
  ['1Ei', 2 ** 60],
  [' 4 ', 4],
])('quantityNumber(%j) is %d', (q, n) => {
  expect(quantityNumber(q)).toBe(n);
});

test('quantityNumber is undefined for what is not a quantity', () => {
  expect(quantityNumber('lots')).toBeUndefined();
  expect(quantityNumber(undefined)).toBeUndefined();
  expect(quantityNumber('')).toBeUndefined();
  expect(isQuantity('lots')).toBe(false);
  expect(isQuantity(' 2Gi ')).toBe(true);
});

test('Value and MilliValue round up, as Kubernetes does', () => {
  expect(quantityValue('1500m')).toBe(2n);
  expect(quantityValue('1Ki')).toBe(1024n);
  expect(quantityMilliValue('0.5')).toBe(500n);
  expect(quantityMilliValue('1u')).toBe(1n);
  expect(quantityMilliValue('2')).toBe(2000n);
});

test('sums and comparisons are exact', () => {
  expect(addQuantities('100m', '100m', '100m')).toBe(toNano('300m'));
  expect(compareQuantities('100m', '0.1')).toBe(0);
  expect(compareQuantities('1Gi', '1G')).toBe(1);
  expect(compareQuantities('999Mi', '1Gi')).toBe(-1);
  expect(['2', '500m', '1k'].sort(compareQuantities)).toEqual(['500m', '2', '1k']);
});

test('sums node resources into Rancher display form', () => {
  expect(
    sumResources([
      { cpu: '32', memory: '256Gi', pods: '110' },
      { cpu: '1500m', memory: '1Mi', pods: '10', bogus: 'lots' },
    ]),
  ).toEqual({ cpu: '33500m', memory: `${256 * 1024 * 1024 + 1024}Ki`, pods: '120' });
  // sub-Ki memory and sub-millicore cpu round to the nearest
  expect(
    sumResources([
      { cpu: '1u', memory: '1536' },
      { cpu: '600u', memory: '1' },
    ]),
  ).toEqual({
    cpu: '1m',
    memory: '2Ki',
  });
});

test.each<[string, number, string]>([
  ['cpu', 2, '2'],
  ['cpu', 0.1, '100m'],
  ['cpu', 1.5, '1500m'],
  ['memory', 2048, '2Ki'],
  ['memory', 1535, '1Ki'],
  ['ephemeral-storage', 1536, '2Ki'],
  ['pods', 7, '7'],
])('formatResource(%j, %d) is %j', (name, total, expected) => {
  expect(formatResource(name, total)).toBe(expected);
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
