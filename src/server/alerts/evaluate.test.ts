import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { alertmanagerConfig } from './alertmanager.js';
import {
  RestartHistory,
  nodeNotReady,
  nodeReservedOver,
  podsNotRunning,
  podsNotScheduled,
  recentEvents,
  systemServiceUnhealthy,
  workloadsUnavailable,
} from './evaluate.js';

const node = (name: string, ready: string | undefined, labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  status: { conditions: ready ? [{ type: 'Ready', status: ready, message: 'kubelet stopped posting' }] : [] },
});

describe('alert conditions', () => {
  test('nodes not ready: one node, a selector, a missing Ready condition', () => {
    const nodes = [
      node('a', 'True', { pool: 'x' }),
      node('b', 'False', { pool: 'x' }),
      node('c', 'Unknown'),
      node('d', undefined),
    ];
    expect(nodeNotReady(nodes, {}).map((i) => i.key)).toEqual(['node/b', 'node/c', 'node/d']);
    expect(nodeNotReady(nodes, { selector: { pool: 'x' } }).map((i) => i.key)).toEqual(['node/b']);
    expect(nodeNotReady(nodes, { nodeId: 'c-abcde:c' })).toEqual([
      { key: 'node/c', message: 'node c is not ready: kubelet stopped posting' },
    ]);
    expect(nodeNotReady(nodes, { nodeId: 'd' })[0]!.message).toBe('node d is not ready (no Ready condition)');
  });

  test('events: type, kind, reason and the time window', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const ev = (reason: string, at: string, type = 'Warning', kind = 'Pod') => ({
      type,
      reason,
      message: 'm',
      involvedObject: { kind, name: 'web', namespace: 'shop' },
      lastTimestamp: at,
    });
    const events = [
      ev('BackOff', '2026-01-01T00:09:00Z'),
      ev('BackOff', '2026-01-01T00:09:30Z'),
      ev('Failed', '2026-01-01T00:00:00Z'),
      ev('Scheduled', '2026-01-01T00:09:00Z', 'Normal'),
      ev('NodeNotReady', '2026-01-01T00:09:00Z', 'Warning', 'Node'),
    ];
    const warnings = recentEvents(events, { resourceKind: 'pod' }, now, 5 * 60_000);
    // One alert per object and reason; the old one is out of the window.
    expect(warnings.map((i) => i.key)).toEqual(['event/Pod/shop/web/BackOff']);
    expect(recentEvents(events, { resourceKind: 'Pod', eventType: 'Normal' }, now, 300_000)).toHaveLength(1);
    expect(recentEvents(events, { resourceKind: 'Pod', reason: 'Failed' }, now, 300_000)).toHaveLength(0);
  });

  test('pods: not running, not scheduled, restarting N times within the window', () => {
    const pod = (name: string, phase: string, restarts = 0, created = '2026-01-01T00:00:00Z', scheduled = 'True') => ({
      metadata: { name, namespace: 'ns', uid: name, creationTimestamp: created },
      status: {
        phase,
        conditions: [{ type: 'PodScheduled', status: scheduled, message: '0/3 nodes are available' }],
        containerStatuses: [
          {
            name: 'c',
            restartCount: restarts,
            state: phase === 'Pending' ? { waiting: { reason: 'ImagePullBackOff' } } : {},
          },
        ],
      },
    });
    expect(podsNotRunning([pod('a', 'Running'), pod('b', 'Pending'), pod('c', 'Succeeded')])).toEqual([
      { key: 'pod/ns/b', message: 'pod ns/b is Pending (ImagePullBackOff), not running' },
    ]);
    expect(podsNotScheduled([pod('a', 'Pending', 0, undefined, 'False')])[0]!.message).toMatch(/not scheduled: 0\/3/);

    const h = new RestartHistory();
    const t0 = Date.parse('2026-01-01T01:00:00Z');
    // An old pod with 10 restarts already: only restarts seen within the window count.
    h.record([pod('old', 'Running', 10)], t0, 86_400_000);
    expect(h.restarting([pod('old', 'Running', 10)], 3, 600_000, t0)).toEqual([]);
    h.record([pod('old', 'Running', 12)], t0 + 60_000, 86_400_000);
    expect(h.restarting([pod('old', 'Running', 12)], 3, 600_000, t0 + 60_000)).toEqual([]);
    h.record([pod('old', 'Running', 13)], t0 + 120_000, 86_400_000);
    expect(h.restarting([pod('old', 'Running', 13)], 3, 600_000, t0 + 120_000)[0]!.message).toBe(
      'pod ns/old restarted 3 times in 600s',
    );
    // Ten minutes later the window holds no restart any more.
    h.record([pod('old', 'Running', 13)], t0 + 900_000, 86_400_000);
    expect(h.restarting([pod('old', 'Running', 13)], 3, 600_000, t0 + 900_000)).toEqual([]);
    // A pod younger than the window counts from zero.
    const young = pod('new', 'Running', 4, new Date(t0 - 60_000).toISOString());
    h.record([young], t0, 86_400_000);
    expect(h.restarting([young], 3, 600_000, t0)).toHaveLength(1);
  });

  test('workloads below the available percentage', () => {
    const d = (name: string, want: number, have: number, labels = {}) => ({
      metadata: { name, namespace: 'shop', labels },
      spec: { replicas: want },
      status: { availableReplicas: have },
    });
    const all = [d('web', 4, 2, { tier: 'front' }), d('api', 2, 2), d('idle', 0, 0)];
    expect(workloadsUnavailable(all, { availablePercentage: 70 }).map((i) => i.message)).toEqual([
      'deployment shop/web has 2 of 4 replicas available (50% < 70%)',
    ]);
    expect(workloadsUnavailable(all, { availablePercentage: 50 })).toEqual([]);
    expect(workloadsUnavailable(all, { workloadId: 'deployment:shop:api', availablePercentage: 100 })).toEqual([]);
    expect(workloadsUnavailable(all, { selector: { tier: 'back' }, availablePercentage: 70 })).toEqual([]);
  });
});

describe('system services', () => {
  test('etcd by readyz; scheduler and controller manager by their lease, else componentstatuses', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const lease = (name: string, renewTime: string) => ({
      metadata: { name, namespace: 'kube-system' },
      spec: { renewTime, leaseDurationSeconds: 15 },
    });
    expect(systemServiceUnhealthy('etcd', undefined, [], 200, now)).toEqual([]);
    expect(systemServiceUnhealthy('etcd', undefined, [], 500, now)[0]!.message).toMatch(/answered 500/);
    expect(systemServiceUnhealthy('etcd', undefined, [], 0, now)[0]!.message).toMatch(/did not answer/);
    const fresh = [lease('kube-scheduler', '2026-01-01T00:09:55Z')];
    expect(systemServiceUnhealthy('scheduler', undefined, fresh, undefined, now)).toEqual([]);
    const stale = [lease('kube-scheduler', '2026-01-01T00:09:00Z')];
    expect(systemServiceUnhealthy('scheduler', undefined, stale, undefined, now)[0]!.message).toBe(
      'scheduler is unhealthy: its leader last renewed 60s ago',
    );
    // No lease (leader election off): the API server's componentstatuses decide.
    const cs = new Map([['controller-manager', { healthy: false, message: 'connection refused' }]]);
    expect(systemServiceUnhealthy('controller-manager', cs, [], undefined, now)[0]!.message).toBe(
      'controller-manager is unhealthy: connection refused',
    );
    expect(systemServiceUnhealthy('scheduler', cs, [], undefined, now)[0]!.message).toMatch(
      /no kube-scheduler leader lease/,
    );
  });
});

describe('Alertmanager configuration', () => {
  test('one route per group, grouped by the group alone, the relay as receiver with a token file', () => {
    const cfg = parse(
      alertmanagerConfig(
        [
          { id: 'c-b:g-2', groupWaitSeconds: 30, groupIntervalSeconds: 180, repeatIntervalSeconds: 3600 },
          { id: 'c-a:g-1', groupWaitSeconds: 5, groupIntervalSeconds: 10, repeatIntervalSeconds: 60 },
        ],
        'http://127.0.0.1:9/alertmanager',
        '/data/relay-token',
      ),
    );
    expect(cfg.route.routes[0]).toEqual({
      receiver: 'c-a:g-1',
      matchers: ['group_id="c-a:g-1"'],
      group_by: ['group_id'],
      group_wait: '5s',
      group_interval: '10s',
      repeat_interval: '60s',
    });
    expect(cfg.receivers[1].webhook_configs[0]).toMatchObject({
      url: 'http://127.0.0.1:9/alertmanager/c-a%3Ag-1',
      send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/data/relay-token' } },
    });
  });
});

test('node CPU and memory: what pods on the node request against what it can allocate, finished pods left out', () => {
  const nodes = [
    { metadata: { name: 'a', labels: { pool: 'web' } }, status: { allocatable: { cpu: '2', memory: '4Gi' } } },
    { metadata: { name: 'b', labels: { pool: 'db' } }, status: { allocatable: { cpu: '1', memory: '1Gi' } } },
  ];
  const pod = (node: string, cpu: string, memory: string, phase = 'Running') => ({
    spec: { nodeName: node, containers: [{ resources: { requests: { cpu, memory } } }] },
    status: { phase },
  });
  const pods = [
    pod('a', '1500m', '1Gi'),
    pod('a', '200m', '1Gi'),
    pod('b', '500m', '900Mi'),
    // Finished: holds nothing.
    pod('b', '2', '2Gi', 'Succeeded'),
    // Not placed yet: reserves nothing.
    { spec: { containers: [{ resources: { requests: { cpu: '4' } } }] }, status: { phase: 'Pending' } },
  ];
  expect(nodeReservedOver(nodes, pods, { condition: 'cpu', cpuThreshold: 80 })).toEqual([
    { key: 'node/a/cpu', message: 'node a: 85% of its allocatable CPU is requested (threshold 80%)' },
  ]);
  expect(nodeReservedOver(nodes, pods, { condition: 'cpu', cpuThreshold: 85 })).toEqual([]);
  expect(nodeReservedOver(nodes, pods, { condition: 'mem', memThreshold: 70 }).map((i) => i.key)).toEqual([
    'node/b/memory',
  ]);
  expect(nodeReservedOver(nodes, pods, { condition: 'mem', memThreshold: 40, selector: { pool: 'web' } })).toEqual([
    { key: 'node/a/memory', message: 'node a: 50% of its allocatable memory is requested (threshold 40%)' },
  ]);
  expect(nodeReservedOver(nodes, pods, { condition: 'mem', memThreshold: 40, nodeId: 'c-x:b' })).toHaveLength(1);
});
