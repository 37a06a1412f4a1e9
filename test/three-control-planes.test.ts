import { CoreV1Api } from '@kubernetes/client-node';
import { expect, test } from 'vitest';
import { isPortFree } from '../src/localcluster/ports.js';
import { isAlive } from '../src/localcluster/processes.js';
import { startTestControlPlane } from './helpers/control-plane.js';

test('three control planes run side by side with their own data, and stop leaving no process or port', async () => {
  const planes = await Promise.all(
    ['one', 'two', 'three'].map((name) => startTestControlPlane({ name, manual: true })),
  );
  try {
    expect(new Set(planes.map((p) => p.server)).size).toBe(3);
    expect(new Set(planes.map((p) => p.etcdEndpoint)).size).toBe(3);

    // The same object name in each holds a different value: nothing is shared.
    await Promise.all(
      planes.map((p) =>
        p
          .kubeConfig()
          .makeApiClient(CoreV1Api)
          .createNamespacedConfigMap({
            namespace: 'default',
            body: { metadata: { name: 'whoami' }, data: { plane: p.name } },
          }),
      ),
    );
    for (const p of planes) {
      const cm = await p
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: 'whoami', namespace: 'default' });
      expect(cm.data?.plane).toBe(p.name);
    }
  } finally {
    await Promise.all(planes.map((p) => p.stop()));
  }

  const pids = planes.flatMap((p) => p.components.map((c) => c.pid));
  expect(pids.length).toBe(9); // etcd, kube-apiserver, kube-controller-manager each
  expect(pids.filter(isAlive)).toEqual([]);
  const ports = planes.flatMap((p) => [p.server, p.etcdEndpoint].map((u) => Number(new URL(u).port)));
  for (const port of ports) expect(await isPortFree(port)).toBe(true);
});
