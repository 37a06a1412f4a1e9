// `corral up` for one node and for three nodes, a second `up` with no change, and etcd snapshot
// save and restore, each side by side with its baseline in the same run: the same components
// started straight on this machine (startControlPlane), and etcdctl/etcdutl run by hand on a node.
// Then real worker nodes: `corral up` of 3 bare nodes (1 control plane + etcd, 2 workers) until
// every node is Ready and CoreDNS and metrics-server are available, pod start latency (create to
// Running, 50 pods of the toolbox image, image present) against Kubernetes' SLO (p99 <= 5 s), and
// the memory each node's processes take.
// Nodes are the test world's network namespaces with real sshd (tools/netns/nodes.sh; needs root).
// Usage: npm run bench:provision [-- --only-containers]
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { TOOLBOX_IMAGE } from '../src/images/system-images.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { nodesScript } from '../src/localcluster/dev-real-nodes.js';
import { packageRoot } from '../src/util/package-root.js';

const execFileP = promisify(execFile);
const root = packageRoot();
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const nodesSh = nodesScript();

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

function clusterYml(set: NodeSet, roles: string[][], containers = false): string {
  return [
    `cluster_name: ${set.name}`,
    `ssh_key_path: ${set.privateKeyPath}`,
    `network: {plugin: ${containers ? 'flannel' : 'none'}}`,
    `corral: {container_runtime: ${containers ? 'containerd' : 'existing'}}`,
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

const remove = (set: NodeSet, config: string) =>
  execFileP(process.execPath, [cli, 'remove', '--force', '--config', config, '--known-hosts', set.knownHostsPath]);

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

const onlyContainers = process.argv.includes('--only-containers');
for (const count of onlyContainers ? [] : [1, 3]) {
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
    await remove(set, config);
  } finally {
    await down(set);
  }
}
const extra: string[] = [];
{
  const set = await nodeSet(3);
  try {
    const dir = await mkdtemp(join(work, 'containers-'));
    const config = join(dir, 'cluster.yml');
    await writeFile(config, clusterYml(set, [['controlplane', 'etcd'], ['worker'], ['worker']], true));
    const upMs = await timed(() => corral(set, config, 'up'));
    rows.push([
      'corral up, 3 bare nodes to all Ready + CoreDNS and metrics-server available',
      upMs,
      'control plane started locally',
      cpMs,
    ]);
    const latencies = await podStartLatencies(join(dir, 'kube_config_cluster.yml'), 50);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    extra.push(
      `pod start latency, 50 pods created at once on 2 workers (create -> Running seen by a watch): ` +
        `p50 ${sec(p(0.5))}, p99 ${sec(p(0.99))}, max ${sec(latencies.at(-1)!)}; ` +
        `Kubernetes SLO p99 <= 5.00 s: ${(p(0.99) / 5000).toFixed(2)}x of it`,
    );
    for (const [i, node] of set.nodes.entries()) {
      // Every process of the node (its own PID namespace): runtime, kubelet, kube-proxy, flannel, pods.
      const { stdout } = await inNode(set, i, 'ps -eo rss=,comm=');
      const procs = stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([, c]) => c !== 'sshd' && c !== 'perl' && c !== 'ps' && c !== 'sh');
      const mib = procs.reduce((a, [rss]) => a + Number(rss), 0) / 1024;
      extra.push(
        `memory on ${node.name} (${i === 0 ? 'control plane + etcd' : 'worker'}): ${mib.toFixed(0)} MiB RSS in ${procs.length} processes`,
      );
    }
    await remove(set, config);
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
for (const line of extra) console.log(line);

/** Creates `count` pods at once and reports, sorted, the time from each create call to a watch seeing it Running. */
async function podStartLatencies(kubeconfig: string, count: number): Promise<number[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = 'bench-pods';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  const req = await new Watch(kc).watch(
    `/api/v1/namespaces/${ns}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const name = pod.metadata!.name!;
      if (pod.status?.phase === 'Running' && !running.has(name)) {
        running.set(name, performance.now());
        if (running.size === count) done();
      }
    },
    () => {},
  );
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `p${i}`;
      created.set(name, performance.now());
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [
              { name: 'c', image: TOOLBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
            ],
          },
        },
      });
    }),
  );
  await Promise.race([all, new Promise((r) => setTimeout(r, 300_000))]);
  req.abort();
  await core.deleteNamespace({ name: ns });
  if (running.size < count) throw new Error(`only ${running.size} of ${count} pods ran within 5 minutes`);
  return [...running].map(([name, t]) => t - created.get(name)!).sort((a, b) => a - b);
}
