import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';
import { clusterYml, corralCluster, expectOk, kubectlAt, writeClusterYml } from './helpers/provision.js';
import { ensureUser } from './helpers/users.js';

/**
 * `corral up` logged in as a non-root user with passwordless sudo, as operators of RKE and most
 * cloud images do: the same cluster as with root, every file and process root's.
 */
describe('corral up as a non-root SSH user with sudo', { timeout: 300_000 }, () => {
  let set: NodeSet;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    await ensureUser('corral-ops', { sudo: true });
    set = await startNodes(1);
    dir = await testDir('provision-sudo');
    config = await writeClusterYml(
      dir,
      clusterYml(set, [{ index: 0, role: ['controlplane', 'etcd', 'worker'], user: 'corral-ops' }]),
    );
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
  });

  it('brings the cluster up, snapshots it and removes it; everything on the node is root’s', async () => {
    expectOk(await corralCluster(set, config, ['up']), 'corral up as corral-ops');
    const kubeconfig = join(dir, 'kube_config_cluster.yml');
    const ns = await kubectlAt(kubeconfig, 'get', 'namespace', 'kube-system', '-o', 'name');
    expect(ns.stdout.trim(), ns.stderr).toBe('namespace/kube-system');

    // Certificates, binaries and the running components belong to root, not the login user.
    const owners = await set.exec(
      0,
      'stat -c "%U %a %n" /etc/kubernetes/ssl/kube-ca.pem /etc/kubernetes/ssl/kube-apiserver-key.pem /opt/rke/bin/etcd',
    );
    expect(owners.stdout).toMatch(/^root \d+ \/etc\/kubernetes\/ssl\/kube-ca\.pem$/m);
    expect(owners.stdout).toMatch(/^root 600 \/etc\/kubernetes\/ssl\/kube-apiserver-key\.pem$/m);
    expect(owners.stdout).toMatch(/^root 755 \/opt\/rke\/bin\/etcd$/m);
    const procs = await set.exec(
      0,
      'ps -eo user=,args= | grep -E "[k]ube-apiserver|[e]tcd --" | cut -d" " -f1 | sort -u',
    );
    expect(procs.stdout.trim()).toBe('root');

    const saved = expectOk(await corralCluster(set, config, ['etcd', 'snapshot-save'], ['--name', 'as-ops']), 'save');
    expect(saved.stderr + saved.stdout).toContain('as-ops');
    expect((await set.exec(0, 'stat -c %U /opt/rke/etcd-snapshots/as-ops')).stdout.trim()).toBe('root');

    expectOk(await corralCluster(set, config, ['remove'], ['--force']), 'remove');
    expect((await set.exec(0, 'find /etc/kubernetes /var/lib/etcd /opt/rke -mindepth 1')).stdout.trim()).toBe('');
    await eventually(
      async () => {
        const left = await set.exec(0, 'ps -eo args | grep -E "[c]orral-supervise|[k]ube-|[e]tcd" || true');
        if (left.stdout.trim()) throw new Error(`still running:\n${left.stdout}`);
      },
      'no Kubernetes process left',
      30_000,
    );
  });
});
