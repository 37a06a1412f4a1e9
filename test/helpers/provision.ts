import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaryPath } from '../../src/kube/binaries.js';
import { corral, type CliResult } from './cli.js';
import type { NodeSet } from './nodes.js';

const execFileP = promisify(execFile);

export interface NodeSpec {
  index: number;
  role: ('etcd' | 'controlplane' | 'worker')[];
  /** The SSH user; default root. */
  user?: string;
}

/**
 * A cluster.yml for nodes of a test set (root, or each node's `user`, over SSH with the set's key).
 * By default the nodes run no containers (container_runtime: existing, and they have none), which
 * is all the control-plane tests need; `containers: true` gives them Corral's containerd, flannel,
 * CoreDNS and metrics-server. `corral` adds lines under the `corral:` key.
 */
export function clusterYml(
  set: NodeSet,
  nodes: NodeSpec[],
  extra = '',
  opts: { containers?: boolean; corral?: string[] } = {},
): string {
  const lines = [
    `cluster_name: ${set.name}`,
    `ssh_key_path: ${set.privateKeyPath}`,
    'network:',
    `  plugin: ${opts.containers ? 'flannel' : 'none'}`,
    'corral:',
    `  container_runtime: ${opts.containers ? 'containerd' : 'existing'}`,
    ...(opts.corral ?? []).map((l) => `  ${l}`),
    'nodes:',
  ];
  for (const n of nodes) {
    const node = set.nodes[n.index]!;
    lines.push(
      `  - address: ${node.address}`,
      `    hostname_override: ${node.name}`,
      `    user: ${n.user ?? 'root'}`,
      `    role: [${n.role.join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n${extra}`;
}

export async function writeClusterYml(dir: string, text: string): Promise<string> {
  const path = join(dir, 'cluster.yml');
  await writeFile(path, text);
  return path;
}

/** The real `corral` with a cluster verb, trusting the set's host keys on first use. */
export function corralCluster(
  set: NodeSet,
  configPath: string,
  verb: string[],
  extra: string[] = [],
): Promise<CliResult> {
  return corral([
    ...verb,
    '--config',
    configPath,
    '--known-hosts',
    set.knownHostsPath,
    '--accept-new-host-keys',
    ...extra,
  ]);
}

/** The real kubectl with the kubeconfig `corral up` wrote; never throws, returns the exit code. */
export async function kubectlAt(kubeconfig: string, ...args: string[]): Promise<CliResult> {
  const bin = await binaryPath('kubectl');
  try {
    const { stdout, stderr } = await execFileP(bin, [`--kubeconfig=${kubeconfig}`, '--request-timeout=20s', ...args], {
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The pid the node's supervisor records for a component ('' when none). */
export async function componentPid(set: NodeSet, index: number, component: string): Promise<string> {
  const r = await set.exec(index, `cat /opt/rke/run/${component}.pid 2>/dev/null`);
  return r.stdout.trim();
}

/** Whether a pid is a live (not zombie) process inside the node. */
export async function alive(set: NodeSet, index: number, pid: string): Promise<boolean> {
  if (!pid) return false;
  const r = await set.exec(index, `awk '{print $3}' /proc/${pid}/stat 2>/dev/null`);
  return r.stdout.trim() !== '' && r.stdout.trim() !== 'Z';
}

export function expectOk(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
