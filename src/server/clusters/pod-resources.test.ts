import { expect, test } from 'vitest';
import { holdsNodeResources, isTerminated, podResources } from './pod-resources.js';

const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({
  resources: { requests, limits },
});

test('app containers add up; cpu in millicores, memory in bytes', () => {
  expect(
    podResources({
      spec: {
        containers: [
          res({ cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' }),
          res({ cpu: '0.1', memory: '1Gi' }),
          {},
        ],
      },
    }),
  ).toEqual({
    requests: { cpu: 350, memory: 64 * 2 ** 20 + 2 ** 30 },
    limits: { cpu: 500, memory: 128 * 2 ** 20 },
  });
});

test('an init container counts only where it needs more than the app containers', () => {
  const pod = {
    spec: {
      containers: [res({ cpu: '100m', memory: '1Gi' }), res({ cpu: '100m' })],
      initContainers: [res({ cpu: '1', memory: '10Mi' }, { cpu: '2' }), res({ cpu: '300m' })],
    },
  };
  // cpu: max(200m, 1000m, 300m); memory: max(1Gi, 10Mi); limits: max(0, 2 cores).
  expect(podResources(pod)).toEqual({ requests: { cpu: 1000, memory: 2 ** 30 }, limits: { cpu: 2000 } });
});

test('sidecars (restartPolicy Always) run beside the app and beside later init containers', () => {
  const pod = {
    spec: {
      containers: [res({ cpu: '500m' })],
      initContainers: [
        { restartPolicy: 'Always', ...res({ cpu: '200m' }) },
        res({ cpu: '600m' }), // runs beside the sidecar: 800m at its peak
      ],
    },
  };
  expect(podResources(pod).requests).toEqual({ cpu: 800 });
  // A later init container that needs less than app + sidecars changes nothing.
  pod.spec.initContainers[1] = res({ cpu: '100m' });
  expect(podResources(pod).requests).toEqual({ cpu: 700 });
});

test('overhead adds to requests, and to limits only where a limit is set', () => {
  expect(
    podResources({
      spec: {
        containers: [res({ cpu: '100m', memory: '10Mi' }, { memory: '20Mi' })],
        overhead: { cpu: '50m', memory: '1Mi' },
      },
    }),
  ).toEqual({ requests: { cpu: 150, memory: 11 * 2 ** 20 }, limits: { memory: 21 * 2 ** 20 } });
});

test('extended resources and odd values', () => {
  expect(
    podResources({ spec: { containers: [res({ 'nvidia.com/gpu': '1', cpu: 'lots' }, { 'nvidia.com/gpu': '1' })] } }),
  ).toEqual({ requests: { 'nvidia.com/gpu': 1 }, limits: { 'nvidia.com/gpu': 1 } });
  expect(podResources({})).toEqual({ requests: {}, limits: {} });
});

test('finished pods are terminated, others not', () => {
  expect(isTerminated({ status: { phase: 'Succeeded' } })).toBe(true);
  expect(isTerminated({ status: { phase: 'Failed' } })).toBe(true);
  expect(isTerminated({ status: { phase: 'Running' } })).toBe(false);
  expect(isTerminated({ status: { phase: 'Pending' } })).toBe(false);
  expect(isTerminated({})).toBe(false);
});

test('only pods placed on a node and not finished hold resources', () => {
  expect(holdsNodeResources({ spec: { nodeName: 'n1' }, status: { phase: 'Running' } })).toBe(true);
  expect(holdsNodeResources({ spec: { nodeName: 'n1' }, status: { phase: 'Pending' } })).toBe(true);
  expect(holdsNodeResources({ spec: {}, status: { phase: 'Pending' } })).toBe(false);
  expect(holdsNodeResources({ spec: { nodeName: 'n1' }, status: { phase: 'Succeeded' } })).toBe(false);
});
