import { AppsV1Api, AuthenticationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { startTestControlPlane, kubectl } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';

const execFileP = promisify(execFile);

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

describe('a real control plane', () => {
  test('runs workloads on kwok nodes, counts quota usage, issues service-account tokens and finalizes namespaces', async () => {
    const cp = await startTestControlPlane({ name: 'wl', nodes: 2 });
    const kc = cp.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const ns = 'team-a';

    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'settings' }, data: { color: 'blue' } },
    });
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'quota' }, spec: { hard: { pods: '10', configmaps: '20' } } },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
    });

    // kwok runs no containers but moves the pods through their lifecycle on its fake nodes.
    const pods = await eventually(async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      if (running.length !== 3) throw new Error(`${running.length}/3 pods running`);
      return running;
    }, 'the deployment pods to run on kwok nodes');
    for (const p of pods) expect(p.spec?.nodeName).toMatch(/^wl-node-[01]$/);
    const deployment = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      if (d.status?.readyReplicas !== 3) throw new Error(`ready ${d.status?.readyReplicas ?? 0}/3`);
      return d;
    }, 'the deployment to report 3 ready replicas');
    expect(deployment.status?.availableReplicas).toBe(3);

    // The real kubectl, with the admin kubeconfig, sees the same pods.
    const { stdout } = await kubectl(cp, 'get', 'pods', '-n', ns, '-o', 'json');
    const names = (JSON.parse(stdout) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    expect(names.sort()).toEqual(pods.map((p) => p.metadata!.name!).sort());
    const nodes = await kubectl(cp, 'get', 'nodes', '-o', 'name');
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(['node/wl-node-0', 'node/wl-node-1']);

    // The controller manager's quota controller fills in usage.
    await eventually(async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'quota', namespace: ns });
      const used = q.status?.used ?? {};
      // 3 pods; the ConfigMap we made plus kube-root-ca.crt, which the controller manager publishes.
      if (used.pods !== '3' || used.configmaps !== '2') throw new Error(`used ${JSON.stringify(used)}`);
    }, 'the quota to show usage');

    // Service-account tokens: the controller manager creates `default`, the API server signs a
    // token for it, and RBAC gives that identity nothing beyond discovery.
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), 'the default SA');
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status!.token;
    const saKc = new KubeConfig();
    saKc.loadFromOptions({
      clusters: [{ name: 'c', server: cp.server, caData: kc.getCurrentCluster()!.caData }],
      users: [{ name: 'sa', token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'sa' }],
      currentContext: 'c',
    });
    const review = await saKc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:default`);
    await expect(
      saKc.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' }),
    ).rejects.toMatchObject({ code: 403 });

    // Deleting the namespace runs its finalizer: everything in it goes, then the namespace.
    await core.deleteNamespace({ name: ns });
    await eventually(async () => {
      try {
        const n = await core.readNamespace({ name: ns });
        throw new Error(`namespace still ${n.status?.phase}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }, 'the namespace to be finalized and gone');
  });

  test('serves the aggregation layer front-proxy configuration and writes a private kubeconfig', async () => {
    const cp = await startTestControlPlane({ name: 'agg' });
    const { stdout } = await kubectl(
      cp,
      'get',
      'configmap',
      'extension-apiserver-authentication',
      '-n',
      'kube-system',
      '-o',
      'jsonpath={.data.requestheader-allowed-names}',
    );
    expect(stdout).toBe('["front-proxy-client"]');
    const { stat } = await import('node:fs/promises');
    expect((await stat(cp.kubeconfigPath)).mode & 0o777).toBe(0o600);
    const version = await execFileP(await binaryPath('kubectl'), [
      `--kubeconfig=${cp.kubeconfigPath}`,
      'version',
      '-o',
      'json',
    ]);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe(cp.versions.kubernetes);
  });
});
