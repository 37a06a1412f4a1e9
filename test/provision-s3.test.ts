import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDir } from './helpers/control-plane.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';
import { clusterYml, corralCluster, expectOk, kubectlAt, writeClusterYml } from './helpers/provision.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';

/**
 * etcd snapshots in S3: a real MinIO over HTTPS (certificate from a test CA, given as custom_ca),
 * reached by curl on a real node; what was stored is checked with an independent S3 client.
 */
describe('corral etcd snapshots with s3backupconfig', { timeout: 300_000 }, () => {
  let set: NodeSet;
  let s3: S3Server;
  let dir: string;
  let config: string;
  let kubeconfig: string;
  const bucket = 'corral-snapshots';
  const folder = 'prod/etcd';
  const node = [{ index: 0, role: ['controlplane', 'etcd', 'worker'] as ('controlplane' | 'etcd' | 'worker')[] }];

  const yml = (over: { secret?: string; ca?: string | null; s3?: boolean } = {}) => {
    const ca = over.ca === undefined ? s3.caPem : over.ca;
    const lines = ['services:', '  etcd:', '    backup_config:', '      interval_hours: 12', '      retention: 2'];
    if (over.s3 !== false)
      lines.push(
        '      s3backupconfig:',
        `        endpoint: ${s3.endpoint}`,
        `        bucket_name: ${bucket}`,
        `        access_key: ${s3.accessKey}`,
        `        secret_key: ${over.secret ?? s3.secretKey}`,
        `        region: ${s3.region}`,
        `        folder: ${folder}`,
        ...(ca
          ? [
              '        custom_ca: |',
              ...ca
                .trim()
                .split('\n')
                .map((l) => `          ${l}`),
            ]
          : []),
      );
    return clusterYml(set, node, `${lines.join('\n')}\n`);
  };
  const noSecret = (...texts: string[]) => {
    for (const t of texts) expect(t).not.toContain(s3.secretKey);
  };

  beforeAll(async () => {
    set = await startNodes(1);
    s3 = await startS3Server(set.gateway);
    await s3.createBucket(bucket);
    dir = await testDir('provision-s3');
    kubeconfig = join(dir, 'kube_config_cluster.yml');
  }, 120_000);
  afterAll(async () => {
    await s3?.stop();
    await set?.stop();
  });

  it('refuses a wrong secret key or an untrusted certificate before changing anything', async () => {
    const wrong = 'not-the-secret-key-123';
    config = await writeClusterYml(dir, yml({ secret: wrong }));
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('preflight checks failed; nothing was changed');
    expect(r.stderr).toContain(`access_key/secret_key refused by https://${s3.endpoint}`);
    expect(r.stderr + r.stdout).not.toContain(wrong);

    config = await writeClusterYml(dir, yml({ ca: null }));
    const untrusted = await corralCluster(set, config, ['up']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/certificate of https:\/\/.* is not trusted.*set custom_ca/);
    noSecret(untrusted.stderr, untrusted.stdout);

    const left = await set.exec(0, 'ls -A /etc/kubernetes /opt/rke /var/lib/etcd');
    expect(left.stdout.replace(/^\/.*:$/gm, '').trim(), 'the node was changed').toBe('');
  });

  it('up writes the credentials file for the recurring loop; no process shows the secret', async () => {
    config = await writeClusterYml(dir, yml());
    const r = expectOk(await corralCluster(set, config, ['up']), 'corral up');
    expect(r.stderr).toContain(`uploaded to s3://${bucket}/${folder}/`);
    noSecret(r.stderr, r.stdout);
    const cred = await set.exec(0, 'stat -c %a /opt/rke/s3/credentials');
    expect(cred.stdout.trim()).toBe('600');
    const ps = await set.exec(0, 'ps -eo args');
    expect(ps.stdout).toContain('s3put'); // the rolling loop runs, its script is in its arguments...
    noSecret(ps.stdout); // ...without the secret
  });

  it('snapshot-save uploads; the object is in the bucket; snapshot-ls lists it', async () => {
    const r = expectOk(
      await corralCluster(set, config, ['etcd', 'snapshot-save'], ['--name', 'snap-s3']),
      'snapshot-save',
    );
    expect(r.stderr).toContain(`uploaded /opt/rke/etcd-snapshots/snap-s3 to s3://${bucket}/${folder}/snap-s3`);
    noSecret(r.stderr, r.stdout);
    expect(await s3.listKeys(bucket, `${folder}/`)).toContain(`${folder}/snap-s3`);

    const ls = expectOk(await corralCluster(set, config, ['etcd', 'snapshot-ls'], ['-o', 'json']), 'snapshot-ls');
    const rows = JSON.parse(ls.stdout) as { path: string; node: string; bytes: number }[];
    const local = rows.find((x) => x.path === '/opt/rke/etcd-snapshots/snap-s3');
    const remote = rows.find((x) => x.path === `s3://${bucket}/${folder}/snap-s3`);
    expect(local?.node).toBe(set.nodes[0]!.address);
    expect(remote?.node).toBe('s3');
    expect(remote?.bytes).toBe(local?.bytes);
    const table = expectOk(await corralCluster(set, config, ['etcd', 'snapshot-ls']), 'snapshot-ls');
    expect(table.stdout).toMatch(/snap-s3\s+s3\s+\d+/);
  });

  it('snapshot-restore downloads a snapshot the node lacks, then restores it', async () => {
    expectOk(await kubectlAt(kubeconfig, 'create', 'configmap', 'after-snapshot', '--from-literal=k=v'), 'create');
    await set.exec(0, 'rm -f /opt/rke/etcd-snapshots/snap-s3');
    // Sample every process's arguments on the node while curl runs.
    await set.exec(
      0,
      '(for i in $(seq 1 600); do ps -eo args; sleep 0.05; done > /tmp/ps-samples 2>&1) >/dev/null 2>&1 &',
    );
    const r = expectOk(
      await corralCluster(set, config, ['etcd', 'snapshot-restore'], ['--name', 'snap-s3', '--yes']),
      'snapshot-restore',
    );
    expect(r.stderr).toContain(`downloaded s3://${bucket}/${folder}/snap-s3`);
    noSecret(r.stderr, r.stdout);
    const names = await kubectlAt(kubeconfig, 'get', 'configmaps', '-o', 'name');
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).not.toContain('configmap/after-snapshot');
    const samples = await set.exec(0, 'cat /tmp/ps-samples');
    expect(samples.stdout).toContain('ps -eo args');
    noSecret(samples.stdout);
  });

  it('a snapshot in neither place is refused, nothing changed', async () => {
    const r = await corralCluster(set, config, ['etcd', 'snapshot-restore'], ['--name', 'never-saved', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/snapshot "never-saved" is neither in .* nor in S3 .*nothing was changed/);
  });

  it('a recurring round uploads its snapshot and prunes S3 beyond retention', async () => {
    for (const d of ['01', '02', '03'])
      await s3.putObject(bucket, `${folder}/auto_etcd_snapshot_2000-01-${d}T00-00-00Z`, 'old');
    const round = await set.exec(0, 'ONCE=1 /opt/rke/units/etcd-rolling-snapshots.run');
    expect(round.code, round.stderr).toBe(0);
    expect(round.stdout).toMatch(/uploaded auto_etcd_snapshot_\S+ to s3:\/\//);
    noSecret(round.stdout, round.stderr);
    const autos = (await s3.listKeys(bucket, `${folder}/auto_`)).map((k) => k.slice(folder.length + 1));
    // retention 2: the new one and the newest old one; named snapshots are never pruned.
    expect(autos).toHaveLength(2);
    expect(autos[0]).toBe('auto_etcd_snapshot_2000-01-03T00-00-00Z');
    expect(autos[1]).not.toMatch(/2000-01/);
    expect(await s3.listKeys(bucket, `${folder}/`)).toContain(`${folder}/snap-s3`);
  });

  it('turning S3 off removes the credentials file', async () => {
    config = await writeClusterYml(dir, yml({ s3: false }));
    expectOk(await corralCluster(set, config, ['up']), 'up without S3');
    expect((await set.exec(0, 'test -e /opt/rke/s3')).code).not.toBe(0);
    const ps = await set.exec(0, 'ps -eo args');
    expect(ps.stdout).not.toContain('s3put');
  });
});
