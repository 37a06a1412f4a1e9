import { appendFile, chmod, copyFile, mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binDir } from '../src/kube/binaries.js';
import { localFileHash } from '../src/provision/files.js';
import { corral } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';
import {
  alive,
  clusterYml,
  componentPid,
  corralCluster,
  expectOk,
  kubectlAt,
  writeClusterYml,
} from './helpers/provision.js';

/**
 * `corral up` end to end: real nodes (network namespaces with their own sshd), real etcd and
 * Kubernetes binaries uploaded over SSH, real kubectl. The state carries from test to test.
 */
describe('corral up: a three-node cluster from cluster.yml', { timeout: 600_000 }, () => {
  let set: NodeSet;
  let dir: string;
  let config: string;
  let kubeconfig: string;
  const threeNodes = [
    { index: 0, role: ['controlplane', 'etcd', 'worker'] as const },
    { index: 1, role: ['controlplane', 'etcd', 'worker'] as const },
    { index: 2, role: ['etcd', 'worker'] as const },
  ].map((n) => ({ ...n, role: [...n.role] }));
  const etcdctl = (i: number, args: string) =>
    set.exec(
      i,
      `/opt/rke/bin/etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/ssl/kube-ca.pem ` +
        `--cert=$(ls /etc/kubernetes/ssl/kube-etcd-*.pem | grep -v key | head -1) ` +
        `--key=$(ls /etc/kubernetes/ssl/kube-etcd-*-key.pem | head -1) ${args}`,
    );

  beforeAll(async () => {
    set = await startNodes(4);
    dir = await testDir('provision');
    config = await writeClusterYml(dir, clusterYml(set, threeNodes));
    kubeconfig = join(dir, 'kube_config_cluster.yml');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
  });

  it('brings up 3 etcd members and 2 control-plane nodes; kubectl works with the written kubeconfig', async () => {
    const r = expectOk(await corralCluster(set, config, ['up']), 'corral up');
    expect(r.stderr).toContain('etcd plane');
    expect(r.stderr).toContain('control plane');
    expect(r.stdout).toContain('kube_config_cluster.yml');

    const ns = await kubectlAt(kubeconfig, 'get', 'namespaces', '-o', 'name');
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toContain('namespace/kube-system');
    const members = await etcdctl(0, 'member list -w simple');
    expect(members.stdout.trim().split('\n')).toHaveLength(3);
    for (const n of set.nodes.slice(0, 3)) expect(members.stdout).toContain(`etcd-${n.name}`);

    // The state file holds every private key: only its owner may read it.
    const st = await stat(join(dir, 'cluster.rkestate'));
    expect(st.mode & 0o777).toBe(0o600);
    expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
    const state = JSON.parse(await readFile(join(dir, 'cluster.rkestate'), 'utf8'));
    expect(Object.keys(state.currentState.nodes).sort()).toEqual(
      set.nodes
        .slice(0, 3)
        .map((n) => n.address)
        .sort(),
    );
    expect(Object.keys(state.desiredState.certificatesBundle)).toContain('kube-apiserver');
    // ...and a copy lives in the cluster.
    const secret = await kubectlAt(
      kubeconfig,
      '-n',
      'kube-system',
      'get',
      'secret',
      'full-cluster-state',
      '-o',
      'name',
    );
    expect(secret.code, secret.stderr).toBe(0);

    // Both API servers answer.
    for (const n of set.nodes.slice(0, 2)) {
      const v = await kubectlAt(kubeconfig, `--server=https://${n.address}:6443`, 'get', '--raw', '/readyz');
      expect(v.stdout.trim(), v.stderr).toBe('ok');
    }
    // No container runtime here: the worker plane is configured, not started, and says so.
    expect(r.stdout).toContain('worker plane configured but not started');
    const kubeletConfig = await set.exec(2, 'ls /etc/kubernetes/ssl/kubecfg-kube-node.yaml');
    expect(kubeletConfig.code).toBe(0);
  });

  it('a second up with no change touches nothing', async () => {
    // The first up checked and recorded what it uploaded, so this one reads no binary again.
    const record = await set.exec(0, 'cut -d" " -f1 /opt/rke/bin/.corral-sha256');
    expect(record.stdout.split('\n')).toEqual(expect.arrayContaining(['etcd', 'kube-apiserver', 'kubelet']));
    const before = await Promise.all([componentPid(set, 0, 'etcd'), componentPid(set, 0, 'kube-apiserver')]);
    const certMtime = await set.exec(0, 'stat -c %Y /etc/kubernetes/ssl/kube-apiserver.pem');
    const r = expectOk(await corralCluster(set, config, ['up']), 'second corral up');
    expect(r.stdout).toMatch(/changes:\s+0/);
    expect(r.stderr).toContain('nothing changed');
    const after = await Promise.all([componentPid(set, 0, 'etcd'), componentPid(set, 0, 'kube-apiserver')]);
    expect(after).toEqual(before);
    expect((await set.exec(0, 'stat -c %Y /etc/kubernetes/ssl/kube-apiserver.pem')).stdout).toBe(certMtime.stdout);
  });

  it('the supervisor restarts a killed component', async () => {
    const pid = await componentPid(set, 0, 'kube-apiserver');
    expect(await alive(set, 0, pid)).toBe(true);
    await set.exec(0, `kill -9 ${pid}`);
    await eventually(async () => {
      const now = await componentPid(set, 0, 'kube-apiserver');
      if (now === pid || !(await alive(set, 0, now))) throw new Error('not restarted yet');
    }, 'kube-apiserver restarted by the supervisor');
    await eventually(async () => {
      const v = await kubectlAt(
        kubeconfig,
        `--server=https://${set.nodes[0]!.address}:6443`,
        'get',
        '--raw',
        '/readyz',
      );
      if (v.stdout.trim() !== 'ok') throw new Error(v.stderr);
    }, 'the restarted kube-apiserver ready');
  });

  it('a node without the controlplane role reaches the API through its proxy, also with a control-plane node down', async () => {
    // Node 2 (etcd, worker): its kubelet and kube-proxy are pointed at 127.0.0.1:6443.
    const kubeconfigOnNode = await set.exec(2, 'grep server: /etc/kubernetes/ssl/kubecfg-kube-node.yaml');
    expect(kubeconfigOnNode.stdout).toContain('https://127.0.0.1:6443');
    const viaProxy = () =>
      set.exec(
        2,
        'curl -sS --max-time 15 --cacert /etc/kubernetes/ssl/kube-ca.pem --cert /etc/kubernetes/ssl/kube-node.pem ' +
          '--key /etc/kubernetes/ssl/kube-node-key.pem https://127.0.0.1:6443/version',
      );
    const before = await viaProxy();
    expect(before.stdout, before.stderr).toContain('gitVersion');

    // Node 0's kube-apiserver goes down and stays down (its supervisor first).
    await set.exec(
      0,
      'kill -9 $(cat /opt/rke/run/kube-apiserver.supervisor.pid) $(cat /opt/rke/run/kube-apiserver.pid)',
    );
    await eventually(async () => {
      const r = await set.exec(0, 'curl -sk --max-time 2 https://127.0.0.1:6443/healthz');
      if (r.code === 0) throw new Error('still answering');
    }, 'node 0 kube-apiserver down');
    // Round robin would send every other connection to node 0: each must still be answered.
    for (let i = 0; i < 6; i++) {
      const r = await viaProxy();
      expect(r.stdout, r.stderr).toContain('gitVersion');
    }
    expectOk(await corralCluster(set, config, ['up']), 'up brings the API server back');
  });

  it('losing one etcd member leaves the cluster writable, and up brings it back', async () => {
    // Stop the supervisor first so that the member stays down.
    await set.exec(2, 'kill -9 $(cat /opt/rke/run/etcd.supervisor.pid) $(cat /opt/rke/run/etcd.pid)');
    const w = await kubectlAt(kubeconfig, 'create', 'configmap', 'written-with-one-member-down', '--from-literal=a=b');
    expect(w.code, w.stderr).toBe(0);
    expectOk(await corralCluster(set, config, ['up']), 'up after losing a member');
    const health = await etcdctl(2, 'endpoint health');
    expect(health.code, health.stderr).toBe(0);
  });

  it('snapshot save, then restore puts every member back to the snapshot', async () => {
    expectOk(await kubectlAt(kubeconfig, 'create', 'configmap', 'before-snapshot', '--from-literal=k=v'), 'create');
    expectOk(await corralCluster(set, config, ['etcd', 'snapshot-save'], ['--name', 'snap1']), 'snapshot-save');
    for (const i of [0, 1, 2]) {
      const f = await set.exec(i, 'stat -c %s /opt/rke/etcd-snapshots/snap1');
      expect(Number(f.stdout.trim())).toBeGreaterThan(0);
    }
    // The recurring-snapshot unit: one round (ONCE=1) saves a snapshot and keeps the newest 6 (RKE's retention).
    await set.exec(
      0,
      'for d in 01 02 03 04 05 06 07; do echo old > /opt/rke/etcd-snapshots/auto_etcd_snapshot_2000-01-${d}T00-00-00Z; done',
    );
    const round = await set.exec(0, 'ONCE=1 /opt/rke/units/etcd-rolling-snapshots.run');
    expect(round.code, round.stderr).toBe(0);
    const autos = (await set.exec(0, 'ls /opt/rke/etcd-snapshots | grep ^auto_')).stdout.trim().split('\n');
    expect(autos).toHaveLength(6);
    expect(autos.filter((f) => !f.startsWith('auto_etcd_snapshot_2000'))).toHaveLength(1);
    expect((await set.exec(0, 'ls /opt/rke/etcd-snapshots/snap1')).code).toBe(0); // named ones are never pruned

    expectOk(await kubectlAt(kubeconfig, 'create', 'configmap', 'after-snapshot', '--from-literal=k=v'), 'create');
    expectOk(await kubectlAt(kubeconfig, 'delete', 'configmap', 'before-snapshot'), 'delete');

    // Destructive: refused without a terminal or --yes.
    const refused = await corralCluster(set, config, ['etcd', 'snapshot-restore'], ['--name', 'snap1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');

    const r = expectOk(
      await corralCluster(set, config, ['etcd', 'snapshot-restore'], ['--name', 'snap1', '--yes']),
      'snapshot-restore',
    );
    expect(r.stdout).toContain('safety snapshot');
    const names = await kubectlAt(kubeconfig, 'get', 'configmaps', '-o', 'name');
    expect(names.stdout).toContain('configmap/before-snapshot');
    expect(names.stdout).not.toContain('configmap/after-snapshot');
    // Every member has the snapshot's data, read locally from each (serializable reads).
    for (const i of [0, 1, 2]) {
      const before = await etcdctl(i, 'get /registry/configmaps/default/before-snapshot --consistency=s --keys-only');
      const after = await etcdctl(i, 'get /registry/configmaps/default/after-snapshot --consistency=s --keys-only');
      expect(before.stdout).toContain('before-snapshot');
      expect(after.stdout.trim()).toBe('');
    }
    const members = await etcdctl(1, 'member list -w simple');
    expect(members.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('cert rotate --rotate-ca: the old certificates are refused afterwards and the cluster works', async () => {
    const oldKubeconfig = join(dir, 'old-kubeconfig.yml');
    await import('node:fs/promises').then((fs) => fs.copyFile(kubeconfig, oldKubeconfig));
    const oldSerial = await set.exec(0, 'openssl x509 -noout -serial -in /etc/kubernetes/ssl/kube-apiserver.pem');
    expectOk(await corralCluster(set, config, ['cert', 'rotate'], ['--rotate-ca']), 'cert rotate --rotate-ca');
    const newSerial = await set.exec(0, 'openssl x509 -noout -serial -in /etc/kubernetes/ssl/kube-apiserver.pem');
    expect(newSerial.stdout).not.toBe(oldSerial.stdout);
    const ok = await kubectlAt(kubeconfig, 'get', 'configmaps', '-o', 'name');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('before-snapshot');
    // The old admin certificate (and the old CA) no longer work.
    const old = await kubectlAt(oldKubeconfig, 'get', 'namespaces');
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/certificate|x509|Unauthorized/i);
  });

  it('add a node, change a role, remove a node: membership and state follow', async () => {
    // Node 3 joins as etcd + worker; node 2 stops being an etcd member (worker only).
    const changed = [
      threeNodes[0]!,
      threeNodes[1]!,
      { index: 2, role: ['worker' as const] },
      { index: 3, role: ['etcd' as const, 'worker' as const] },
    ];
    await writeClusterYml(dir, clusterYml(set, changed));
    expectOk(await corralCluster(set, config, ['up']), 'up with a new node and a role change');
    let members = await etcdctl(0, 'member list -w simple');
    expect(members.stdout).toContain(`etcd-${set.nodes[3]!.name}`);
    expect(members.stdout).not.toContain(`etcd-${set.nodes[2]!.name}`);
    expect(members.stdout.trim().split('\n')).toHaveLength(3);
    expect((await set.exec(2, 'ls /opt/rke/run/etcd.pid 2>/dev/null; ls /var/lib/etcd')).stdout.trim()).toBe('');

    // Remove node 2 altogether.
    await writeClusterYml(dir, clusterYml(set, [changed[0]!, changed[1]!, changed[3]!]));
    expectOk(await corralCluster(set, config, ['up']), 'up without node 2');
    const state = JSON.parse(await readFile(join(dir, 'cluster.rkestate'), 'utf8'));
    expect(Object.keys(state.currentState.nodes)).not.toContain(set.nodes[2]!.address);
    expect((await set.exec(2, 'find /etc/kubernetes /var/lib/etcd /opt/rke -mindepth 1')).stdout.trim()).toBe('');
    members = await etcdctl(3, 'member list -w simple');
    expect(members.stdout.trim().split('\n')).toHaveLength(3);
    const ok = await kubectlAt(kubeconfig, 'get', 'configmaps', '-o', 'name');
    expect(ok.stdout).toContain('before-snapshot');

    const again = expectOk(await corralCluster(set, config, ['up']), 'up again');
    expect(again.stdout).toMatch(/changes:\s+0/);
  });

  it('a new kube-apiserver build rolls through the control plane one node at a time; etcd is untouched', async () => {
    // Only one Kubernetes version is built here, so the "upgrade" is a different build of
    // kube-apiserver: the same program with bytes appended (an ELF runs with trailing data).
    // What an upgrade does with it is the same: a new hash, a restart, one node at a time.
    const nextBin = join(dir, 'bin-next');
    await mkdir(nextBin);
    for (const name of await readdir(binDir())) {
      if (name.startsWith('.')) continue;
      if (name === 'kube-apiserver') {
        await copyFile(join(binDir(), name), join(nextBin, name));
        await appendFile(join(nextBin, name), '\ncorral upgrade test build\n');
        await chmod(join(nextBin, name), 0o755);
      } else await symlink(join(binDir(), name), join(nextBin, name));
    }
    const layout = [threeNodes[0]!, threeNodes[1]!, { index: 3, role: ['etcd' as const, 'worker' as const] }];
    await writeClusterYml(dir, clusterYml(set, layout, '', { corral: ['binaries:', `  local_dir: ${nextBin}`] }));
    const cp = [0, 1];
    const apiBefore = await Promise.all(cp.map((i) => componentPid(set, i, 'kube-apiserver')));
    const etcdBefore = await Promise.all([0, 1, 3].map((i) => componentPid(set, i, 'etcd')));

    // Watch both API servers while the upgrade runs: at no moment may both be down.
    let bothDown = 0;
    let samples = 0;
    let watching = true;
    // kubectlAt's 20 s request timeout: a loaded machine must not pass for an API server down.
    const readyz = (i: number) =>
      kubectlAt(kubeconfig, `--server=https://${set.nodes[i]!.address}:6443`, 'get', '--raw', '/readyz').then(
        (r) => r.stdout.trim() === 'ok',
      );
    const watcher = (async () => {
      while (watching) {
        const up = await Promise.all(cp.map(readyz));
        samples++;
        if (!up.some(Boolean)) bothDown++;
      }
    })();
    const r = expectOk(await corralCluster(set, config, ['up']), 'up with a new kube-apiserver build');
    watching = false;
    await watcher;

    // Restarted in order, each ready before the next one restarts.
    const lines = r.stderr.split('\n');
    const at = (i: number, what: string) =>
      lines.findIndex((l) => l.includes(set.nodes[i]!.address) && l.includes(what));
    expect(at(0, 'kube-apiserver ready')).toBeGreaterThan(at(0, 'kube-apiserver restarted'));
    expect(at(1, 'kube-apiserver restarted')).toBeGreaterThan(at(0, 'kube-apiserver ready'));
    expect(at(1, 'kube-apiserver ready')).toBeGreaterThan(at(1, 'kube-apiserver restarted'));
    expect(samples).toBeGreaterThan(3);
    expect(bothDown).toBe(0);

    const apiAfter = await Promise.all(cp.map((i) => componentPid(set, i, 'kube-apiserver')));
    for (const k of [0, 1]) expect(apiAfter[k]).not.toBe(apiBefore[k]);
    expect(await Promise.all([0, 1, 3].map((i) => componentPid(set, i, 'etcd')))).toEqual(etcdBefore);
    const uploaded = await set.exec(0, 'sha256sum /opt/rke/bin/kube-apiserver');
    expect(uploaded.stdout.split(' ')[0]).toBe(await localFileHash(join(nextBin, 'kube-apiserver')));
    const data = await kubectlAt(kubeconfig, 'get', 'configmaps', '-o', 'name');
    expect(data.stdout).toContain('before-snapshot');
    expect((await corralCluster(set, config, ['up'])).stdout).toMatch(/changes:\s+0/);
  });

  it('version prints the cluster version; remove tears it down and cleans the hosts', async () => {
    const v = expectOk(await corral(['version', '--config', config]), 'version').stdout;
    expect(v).toMatch(/Server Version: v1\.\d+\.\d+/);
    const refused = await corralCluster(set, config, ['remove']);
    expect(refused.code).toBe(2);
    expectOk(await corralCluster(set, config, ['remove'], ['--force']), 'remove');
    for (const i of [0, 1, 3]) {
      const files = await set.exec(i, 'find /etc/kubernetes /var/lib/etcd /opt/rke -mindepth 1');
      expect(files.stdout.trim()).toBe('');
      // A stopped supervisor's kill-after-10-s watchdog may linger a few seconds; nothing may stay.
      await eventually(
        async () => {
          const left = await set.exec(i, 'ps -eo args | grep -E "[c]orral-supervise|[k]ube-|[e]tcd|[s]leep" || true');
          if (left.stdout.trim()) throw new Error(`still running on node ${i}:\n${left.stdout}`);
        },
        `node ${i} to have no Kubernetes process left`,
        30_000,
      );
    }
    await expect(stat(join(dir, 'cluster.rkestate'))).rejects.toThrow();
  });
});
