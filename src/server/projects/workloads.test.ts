import { describe, expect, test } from 'vitest';
import { podWorkloadId, renderPod, renderWorkload } from './workloads.js';

const base = 'https://corral.example';
const project = 'c-abcde:p-fghij';

describe("workloads in Rancher's shape", () => {
  test('a Deployment: Rancher id, lower-case type, scale, containers, state from availability', () => {
    const dep = {
      metadata: { name: 'web', namespace: 'apps', uid: 'u1' },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } },
      status: { availableReplicas: 1 },
    };
    const w = renderWorkload(base, project, 'deployment', dep);
    expect(w).toMatchObject({
      id: 'deployment:apps:web',
      type: 'deployment',
      baseType: 'workload',
      name: 'web',
      namespaceId: 'apps',
      projectId: project,
      scale: 2,
      state: 'updating',
      containers: [{ name: 'nginx', image: 'nginx:1.27' }],
      links: { self: `${base}/v3/projects/${project}/workloads/deployment:apps:web` },
    });
    expect(renderWorkload(base, project, 'deployment', { ...dep, status: { availableReplicas: 2 } }).state).toBe(
      'active',
    );
  });

  test("a CronJob's containers are in its job template; it has no scale", () => {
    const cron = {
      metadata: { name: 'tick', namespace: 'apps' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
    };
    expect(renderWorkload(base, project, 'cronJob', cron)).toMatchObject({
      id: 'cronjob:apps:tick',
      type: 'cronjob',
      scale: null,
      containers: [{ name: 'c', image: 'busybox' }],
    });
  });

  test("a pod's workload: a ReplicaSet stands for its Deployment; no owner is null", () => {
    const owned = (kind: string, name: string) => ({
      metadata: { name: 'p', namespace: 'apps', ownerReferences: [{ kind, name, controller: true }] },
    });
    expect(podWorkloadId(owned('ReplicaSet', 'web-7d876db474'))).toBe('deployment:apps:web');
    expect(podWorkloadId(owned('StatefulSet', 'db'))).toBe('statefulset:apps:db');
    expect(podWorkloadId({ metadata: { name: 'lone', namespace: 'apps' } })).toBeNull();
    expect(
      renderPod(base, project, {
        metadata: { name: 'lone', namespace: 'apps' },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
        status: { phase: 'Running' },
      }),
    ).toMatchObject({ id: 'apps:lone', type: 'pod', state: 'running', workloadId: null, nodeId: 'n1' });
  });
});
