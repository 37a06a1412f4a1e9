import { readFile } from 'node:fs/promises';
import { kubeTargetFromKubeconfig } from '../../src/kube/kubeconfig-target.js';
import { upstreamJson, UpstreamError } from '../../src/kube/upstream-client.js';
import { upstreamFor } from '../../src/kube/upstream.js';
import { pollUntil } from '../../src/util/poll.js';

export const podName = (i: number) => `pod-${String(i).padStart(5, '0')}`;

/**
 * Creates `count` bare pods (pod-00000, pod-00001, …) straight through a control plane's API
 * server, `concurrency` at a time. Without a scheduler they stay Pending, which is all a list
 * needs; no nodeName, because the pod garbage collector deletes pods bound to missing nodes.
 * Pods that exist already are left alone, so a second run only fills gaps.
 */
export async function createPods(
  kubeconfigPath: string,
  namespace: string,
  count: number,
  concurrency = 32,
): Promise<void> {
  const { upstream, close } = upstreamFor(kubeTargetFromKubeconfig(await readFile(kubeconfigPath, 'utf8')));
  let next = 0;
  try {
    // Pods are refused until the controller manager has made the namespace's default account.
    await pollUntil(() => upstreamJson(upstream, 'GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`), {
      what: `the default service account of ${namespace}`,
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < count; i = next++) {
          const body = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: podName(i), labels: { app: 'scale' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          };
          await upstreamJson(upstream, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
            body,
            timeoutMs: 60_000,
          }).catch((err: unknown) => {
            if (!(err instanceof UpstreamError && err.status === 409)) throw err;
          });
        }
      }),
    );
  } finally {
    close();
  }
}
