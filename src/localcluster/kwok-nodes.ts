import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';

const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
/** kwok manages only the nodes carrying this annotation, never a real one. */
export const KWOK_NODE_SELECTOR = `${KWOK_ANNOTATION}=fake`;

export function fakeNode(clusterName: string, index: number): V1Node {
  const name = `${clusterName}-node-${index}`;
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: { allocatable: resources, capacity: resources },
  };
}

/** Creates `count` fake nodes that kwok will keep Ready; ones that exist already are left alone. */
export async function createFakeNodes(kc: KubeConfig, clusterName: string, count: number): Promise<void> {
  const api = kc.makeApiClient(CoreV1Api);
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        await api.createNode({ body: fakeNode(clusterName, i) });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }),
  );
}
