import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';
import { clusterYml, corralCluster, writeClusterYml } from './helpers/provision.js';

/** Every refusal happens before any node is changed: nodes are checked for leftovers after each. */
describe('corral up refuses bad input before touching any host', { timeout: 300_000 }, () => {
  let set: NodeSet;
  let dir: string;
  const untouched = async () => {
    for (const i of [0, 1]) {
      const r = await set.exec(i, 'ls -A /etc/kubernetes /opt/rke /var/lib/etcd');
      expect(r.stdout.replace(/^\/.*:$/gm, '').trim(), `node ${i} was changed`).toBe('');
    }
  };

  beforeAll(async () => {
    set = await startNodes(2);
    dir = await testDir('provision-bad');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
  });

  it('an invalid cluster.yml: every problem with its key and line', async () => {
    const text = [
      `ssh_key_path: ${set.privateKeyPath}`,
      'nodes:',
      `  - address: ${set.nodes[0]!.address}`,
      '    user: root',
      '    role: [worker]',
      '    colour: blue',
      '  - user: root',
      '    role: [controlplane]',
      '',
    ].join('\n');
    const config = join(dir, 'invalid.yml');
    await writeFile(config, text);
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid\.yml:6:\d+: nodes\[0\]\.colour/);
    expect(r.stderr).toMatch(/invalid\.yml:7:\d+: nodes\[1\]/); // no address
    expect(r.stderr).toMatch(/etcd/); // no etcd node
    await untouched();
  });

  it('duplicate nodes are refused', async () => {
    const n = { index: 0, role: ['controlplane', 'etcd', 'worker'] as ('controlplane' | 'etcd' | 'worker')[] };
    const config = await writeClusterYml(dir, clusterYml(set, [n, n]));
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nodes\[1\].*(duplicate|same)/i);
    await untouched();
  });

  it('an unreachable host is named and nothing is changed on the others', async () => {
    const text = clusterYml(set, [{ index: 0, role: ['controlplane', 'etcd', 'worker'] }]).replace(
      'nodes:\n',
      `nodes:\n  - address: ${set.subnet.replace(/\.0\/24$/, '.250')}\n    user: root\n    role: [worker]\n`,
    );
    const config = await writeClusterYml(dir, text);
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(set.subnet.replace(/\.0\/24$/, '.250'));
    expect(r.stderr).toMatch(/nothing was changed/);
    await untouched();
  });

  it('a wrong SSH key is refused as an authentication failure', async () => {
    const other = join(dir, 'other_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const config = await writeClusterYml(
      dir,
      clusterYml(set, [{ index: 0, role: ['controlplane', 'etcd', 'worker'] }]).replace(set.privateKeyPath, other),
    );
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/auth/i);
    expect(r.stderr).toContain(set.nodes[0]!.address);
    await untouched();
  });

  it('a port in use is reported by preflight before anything starts', async () => {
    await set.exec(
      1,
      'setsid nohup python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\'0.0.0.0\', 6443)); s.listen(); time.sleep(600)" >/dev/null 2>&1 &',
    );
    await eventually(async () => {
      const r = await set.exec(1, 'ss -Htln | grep -q ":6443 "');
      if (r.code !== 0) throw new Error('not listening yet');
    }, 'the listener on 6443');
    const config = await writeClusterYml(
      dir,
      clusterYml(set, [
        { index: 0, role: ['etcd', 'worker'] },
        { index: 1, role: ['controlplane', 'worker'] },
      ]),
    );
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/6443/);
    expect(r.stderr).toContain(set.nodes[1]!.address);
    await untouched();
  });
});
