import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { ClusterConfig, NodeRole } from './config/types.js';
import type { ClusterPki } from './pki.js';

/** How a node's etcd member first joined; reused on every later start so members never restart for membership changes. */
export interface EtcdJoin {
  initialClusterState: 'new' | 'existing';
  members: { name: string; peerUrl: string }[];
}

export interface NodeState {
  address: string;
  hostname: string;
  roles: NodeRole[];
  /** Component name → hash of what runs (see components.ts). */
  components: Record<string, string>;
  etcdJoin?: EtcdJoin;
  /** Why the worker plane was prepared but not started, when it was not. */
  workerNotStarted?: string;
}

export interface ClusterState {
  rkeConfig: ClusterConfig;
  certificatesBundle: ClusterPki;
  nodes: Record<string, NodeState>;
}

/**
 * `cluster.rkestate`: RKE's shape (`desiredState` / `currentState`), JSON, mode 0600 because it
 * holds every private key of the cluster.
 */
export interface StateFile {
  desiredState: ClusterState;
  currentState: ClusterState | null;
}

export interface ClusterPaths {
  config: string;
  state: string;
  kubeconfig: string;
}

/** RKE's names: cluster.yml → cluster.rkestate and kube_config_cluster.yml, next to it. */
export function clusterPaths(configPath: string): ClusterPaths {
  const dir = dirname(configPath);
  const stem = basename(configPath, extname(configPath));
  return {
    config: configPath,
    state: join(dir, `${stem}.rkestate`),
    kubeconfig: join(dir, `kube_config_${stem}.yml`),
  };
}

export async function readState(path: string): Promise<StateFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as StateFile;
    if (!parsed || typeof parsed !== 'object' || !parsed.desiredState) throw new Error('no desiredState');
    return parsed;
  } catch (err) {
    throw new Error(
      `${path} is not a valid state file (${(err as Error).message}); restore it from a backup or ` +
        `from the cluster's kube-system/full-cluster-state Secret`,
      { cause: err },
    );
  }
}

/** Written to a temporary name, then renamed, so a crash never leaves half a state file. */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function writeState(path: string, state: StateFile): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeLocalFiles(paths: ClusterPaths): Promise<void> {
  await rm(paths.state, { force: true });
  await rm(paths.kubeconfig, { force: true });
}
