import { expect, test } from 'vitest';
import type { Cluster } from '../api/types';
import { usedFraction } from './clusterStatus';

const cluster = (over: Partial<Cluster>) => ({ id: 'c-x', name: 'x', ...over }) as Cluster;

test('the fraction used is requested over allocatable, not capacity', () => {
  const c = cluster({
    capacity: { cpu: '64', memory: '2048Ki', pods: '110' },
    allocatable: { cpu: '32', memory: '1024Ki', pods: '100' },
    requested: { cpu: '8', memory: '256Ki', pods: '25' },
  });
  expect(usedFraction(c, 'cpu')).toBe(0.25);
  expect(usedFraction(c, 'memory')).toBe(0.25);
  expect(usedFraction(c, 'pods')).toBe(0.25);
});

test('a resource no pod requests is zero once the sums are reported; unknown before', () => {
  const allocatable = { cpu: '32', memory: '1024Ki', pods: '110' };
  expect(usedFraction(cluster({ allocatable, requested: { pods: '0' } }), 'cpu')).toBe(0);
  expect(usedFraction(cluster({ allocatable }), 'cpu')).toBeUndefined();
  // No nodes: nothing to fill, so no fraction (it sorts below every cluster that has one).
  expect(usedFraction(cluster({ allocatable: {}, requested: { pods: '3' } }), 'pods')).toBeUndefined();
});
