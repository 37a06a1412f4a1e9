import { expect, test } from 'vitest';
import { parseQuantity, sumResources } from './quantity.js';

test('parses Kubernetes quantities', () => {
  expect(parseQuantity('500m')).toBe(0.5);
  expect(parseQuantity('2')).toBe(2);
  expect(parseQuantity('16Gi')).toBe(16 * 2 ** 30);
  expect(parseQuantity('1k')).toBe(1000);
  expect(parseQuantity('1e3')).toBe(1000);
  expect(() => parseQuantity('lots')).toThrow(/not a Kubernetes quantity/);
});

test('sums node resources into Rancher display form', () => {
  expect(
    sumResources([
      { cpu: '32', memory: '256Gi', pods: '110' },
      { cpu: '1500m', memory: '1Mi', pods: '10' },
    ]),
  ).toEqual({ cpu: '33500m', memory: `${256 * 1024 * 1024 + 1024}Ki`, pods: '120' });
});
