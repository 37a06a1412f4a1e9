// `corral up` for one node and for three nodes, a second `up` with no change, and etcd snapshot
// save and restore, each side by side with its baseline in the same run: the same components
// started straight on this machine (startControlPlane), and etcdctl/etcdutl run by hand on a node.
// Nodes are the test world's network namespaces with real sshd (tools/netns/nodes.sh; needs root).
// Usage: npm run bench:provision
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { packageRoot } from '../src/util/package-root.js';

const execFileP = promisify(execFile);
const root = packageRoot();
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const nodesSh = join(root, 'tools', 'netns', 'nodes.sh');

interface NodeSet {
  name: string;
  privateKeyPath: string;
  knownHostsPath: string;
  nodes: { name: string; address: string; initPid: number }[];
}

async function nodeSet(count: number): Promise<NodeSet> {
  const name = `cbench-${Math.random().toString(36).slice(2, 7)}`;
  const { stdout } = await execFileP(nodesSh, ['up', name, String(count)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as NodeSet;
}
const down = (set: NodeSet) => execFileP(nodesSh, ['down', set.name]);
const inNode = (set: NodeSet, i: number, cmd: string) =>
  execFileP('nsenter', [
    '--target',
    String(set.nodes[i]!.initPid),
    '--net',
    '--mount',
    '--uts',
    '--pid',
    '--',
    'sh',
    '-c',
    cmd,
  ]);

function clusterYml(set: NodeSet, roles: string[][]): string {
  return [
    `cluster_name: ${set.name}`,
    `ssh_key_path: ${set.privateKeyPath}`,
    'network: {plugin: none}',
    'nodes:',
    ...roles.flatMap((r, i) => [
      `  - address: ${set.nodes[i]!.address}`,
      `    hostname_override: ${set.nodes[i]!.name}`,
      '    user: root',
      `    role: [${r.join(', ')}]`,
    ]),
    '',
  ].join('\n');
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function corral(set: NodeSet, config: string, ...args: string[]): Promise<void> {
  await execFileP(
    process.execPath,
    [cli, ...args, '--config', config, '--known-hosts', set.knownHostsPath, '--accept-new-host-keys'],
    { maxBuffer: 16 << 20 },
  );
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: [string, number, string, number][] = [];
const work = await mkdtemp(join(tmpdir(), 'corral-bench-provision-'));

// Baseline: the same control-plane components started directly on this machine.
const cpDir = await mkdtemp(join(work, 'cp-'));
let cpMs: number;
{
  const t0 = performance.now();
  const cp = await startControlPlane({ dir: cpDir, nodes: 0 });
  cpMs = performance.now() - t0;
  await cp.stop();
}

for (const count of [1, 3]) {
  const set = await nodeSet(count);
  try {
    const dir = await mkdtemp(join(work, `c${count}-`));
    const config = join(dir, 'cluster.yml');
    const roles =
      count === 1
        ? [['controlplane', 'etcd', 'worker']]
        : [
            ['controlplane', 'etcd', 'worker'],
            ['controlplane', 'etcd', 'worker'],
            ['etcd', 'worker'],
          ];
    await writeFile(config, clusterYml(set, roles));
    const upMs = await timed(() => corral(set, config, 'up'));
    rows.push([`corral up, ${count} node(s), fresh (uploads binaries)`, upMs, 'control plane started locally', cpMs]);
    const againMs = await timed(() => corral(set, config, 'up'));
    rows.push([`corral up, ${count} node(s), no change`, againMs, 'control plane started locally', cpMs]);
    if (count === 3) {
      const etcdctl =
        '/opt/rke/bin/etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/ssl/kube-ca.pem ' +
        `--cert=/etc/kubernetes/ssl/kube-etcd-${set.nodes[0]!.address.replace(/[.:]/g, '-')}.pem ` +
        `--key=/etc/kubernetes/ssl/kube-etcd-${set.nodes[0]!.address.replace(/[.:]/g, '-')}-key.pem`;
      const rawSaveMs = await timed(() => inNode(set, 0, `${etcdctl} snapshot save /tmp/raw.db >/dev/null`));
      const saveMs = await timed(() => corral(set, config, 'etcd', 'snapshot-save', '--name', 'bench'));
      rows.push(['corral etcd snapshot-save (3 members)', saveMs, 'etcdctl snapshot save on one node', rawSaveMs]);
      const rawRestoreMs = await timed(() =>
        inNode(set, 0, '/opt/rke/bin/etcdutl snapshot restore /tmp/raw.db --data-dir /tmp/raw-restore >/dev/null 2>&1'),
      );
      const restoreMs = await timed(() => corral(set, config, 'etcd', 'snapshot-restore', '--name', 'bench', '--yes'));
      rows.push([
        'corral etcd snapshot-restore (3 members)',
        restoreMs,
        'etcdutl snapshot restore on one node',
        rawRestoreMs,
      ]);
    }
    await execFileP(process.execPath, [
      cli,
      'remove',
      '--force',
      '--config',
      config,
      '--known-hosts',
      set.knownHostsPath,
    ]);
  } finally {
    await down(set);
  }
}
await rm(work, { recursive: true, force: true });

const w = Math.max(...rows.map((r) => r[0].length));
const b = Math.max(...rows.map((r) => r[2].length));
console.log(`${'operation'.padEnd(w)}   time      ${'baseline'.padEnd(b)}   time      ratio`);
for (const [name, t, base, bt] of rows)
  console.log(
    `${name.padEnd(w)}   ${sec(t).padStart(7)}   ${base.padEnd(b)}   ${sec(bt).padStart(7)}   ${(t / bt).toFixed(1)}x`,
  );
