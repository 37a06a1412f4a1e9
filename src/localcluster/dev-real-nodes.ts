/**
 * `corral dev cluster up --runtime containerd`: a dev cluster whose nodes run real containers.
 * The nodes are the provisioner's test hosts (tools/netns/nodes.sh: network namespaces with their
 * own mounts, cgroups and sshd, on a bridge of this machine), and the cluster is made on them by
 * `corral up` itself, so what a dev cluster runs is exactly what a provisioned cluster runs:
 * containerd, kubelet, kube-proxy, flannel, CoreDNS and metrics-server. Needs root.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../util/package-root.js';
import { DevClusterError } from './dev-clusters.js';

const execFileP = promisify(execFile);

export const nodesScript = (): string => join(packageRoot(), 'tools', 'netns', 'nodes.sh');

/** The node set of a dev cluster: nodes.sh names are at most 30 characters. */
export function nodeSetName(cluster: string): string {
  const name = `dev-${cluster}`;
  if (name.length > 30)
    throw new DevClusterError(`--runtime containerd takes cluster names of at most 26 characters, not "${cluster}"`);
  return name;
}

interface NodeSetDescription {
  name: string;
  privateKeyPath: string;
  knownHostsPath: string;
  nodes: { name: string; address: string }[];
}

export interface RealNodesCluster {
  kubeconfig: string;
  server: string;
  nodeSet: string;
}

/** Makes `count` hosts and runs `corral up` on them: the first is control plane, etcd and worker, the rest workers. */
export async function realNodesUp(
  dir: string,
  cluster: string,
  count: number,
  onProgress: (message: string) => void,
): Promise<RealNodesCluster> {
  if (process.getuid?.() !== 0)
    throw new DevClusterError('--runtime containerd makes network namespaces and cgroups: run it as root');
  if (count < 1) throw new DevClusterError('--runtime containerd needs at least one node (--nodes 1 or more)');
  const setName = nodeSetName(cluster);
  onProgress(`making ${count} host(s) (${setName}: network namespaces with their own sshd)`);
  const set = JSON.parse(
    (await run([nodesScript(), 'up', setName, String(count), '--owner', `corral dev cluster ${cluster}`])).stdout,
  ) as NodeSetDescription;
  try {
    const config = join(dir, 'cluster.yml');
    await writeFile(
      config,
      [
        `cluster_name: ${cluster}`,
        `ssh_key_path: ${set.privateKeyPath}`,
        'nodes:',
        ...set.nodes.flatMap((n, i) => [
          `  - address: ${n.address}`,
          `    hostname_override: ${n.name}`,
          '    user: root',
          `    role: [${i === 0 ? 'controlplane, etcd, worker' : 'worker'}]`,
        ]),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const { up } = await import('../provision/up.js');
    const result = await up({
      configPath: config,
      knownHostsPath: set.knownHostsPath,
      acceptNewHostKeys: true,
      progress: {
        step: (name) => onProgress(`corral up: ${name}`),
        node: (label, message) => onProgress(`corral up:    ${label}: ${message}`),
        warn: (message) => onProgress(`corral up: WARN ${message}`),
        info: (message) => onProgress(`corral up:    ${message}`),
      },
    });
    return { kubeconfig: result.kubeconfigPath, server: `https://${set.nodes[0]!.address}:6443`, nodeSet: setName };
  } catch (err) {
    await realNodesDown(setName).catch(() => {});
    throw err;
  }
}

/** Stops every process of the hosts (containers too) and removes them. */
export async function realNodesDown(nodeSet: string): Promise<void> {
  await run([nodesScript(), 'down', nodeSet]);
}

/** Whether the hosts of a dev cluster exist. */
export async function realNodesRunning(nodeSet: string): Promise<boolean> {
  const sets = JSON.parse((await run([nodesScript(), 'ls', '--json'])).stdout) as { name: string }[];
  return sets.some((s) => s.name === nodeSet);
}

async function run(argv: string[]): Promise<{ stdout: string }> {
  try {
    return await execFileP(argv[0]!, argv.slice(1), { maxBuffer: 8 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new DevClusterError(e.stderr?.trim() || e.message);
  }
}
