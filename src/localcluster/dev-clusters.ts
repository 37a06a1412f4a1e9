import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { binaryVersions } from '../kube/binaries.js';
import { startControlPlane, type ComponentInfo } from './control-plane.js';
import { realNodesDown, realNodesRunning, realNodesUp } from './dev-real-nodes.js';
import { commandLine, stopPid } from './processes.js';

/** Bumped when the layout of a dev cluster's folder changes incompatibly. */
export const STATE_FORMAT = 1;
const STATE_FILE = 'corral-dev-cluster.json';
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
const STOP_ORDER = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];

export interface DevClusterState {
  format: number;
  name: string;
  kubernetesVersion: string;
  server: string;
  kubeconfig: string;
  nodes: number;
  components: ComponentInfo[];
  startedAt: string;
  /** containerd: real nodes (hosts made by tools/netns/nodes.sh, provisioned by `corral up`); absent: kwok. */
  runtime?: 'containerd';
  /** The hosts of a containerd dev cluster. */
  nodeSet?: string;
}

export type DevClusterStatus = 'running' | 'stopped' | 'degraded';

export interface DevClusterListing extends DevClusterState {
  status: DevClusterStatus;
  dir: string;
}

/** A problem the user must fix; the CLI prints its message and exits non-zero. */
export class DevClusterError extends Error {}

export function devClustersRoot(): string {
  return join(process.env.CORRAL_HOME ?? join(homedir(), '.corral'), 'dev-clusters');
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new DevClusterError(
      `invalid cluster name "${name}": use 1-32 lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
}

async function readState(dir: string): Promise<DevClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as DevClusterState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DevClusterError(`cannot read ${join(dir, STATE_FILE)}: ${(err as Error).message}`);
  }
}

// A pid counts as a component of this cluster only while its command line still names the
// cluster's folder: pids are reused, and `down` must never signal an unrelated process.
async function liveComponents(state: DevClusterState, dir: string): Promise<ComponentInfo[]> {
  const live = await Promise.all(
    state.components.map(async (c) => ((await commandLine(c.pid))?.some((a) => a.includes(dir)) ? c : undefined)),
  );
  return live.filter((c): c is ComponentInfo => c !== undefined);
}

export interface UpOptions {
  name: string;
  nodes: number;
  /** kwok (default): simulated nodes; containerd: real nodes that run containers (root only). */
  runtime?: 'kwok' | 'containerd';
  port?: number;
  root?: string;
  onProgress?: (message: string) => void;
}

export async function devClusterUp(opts: UpOptions): Promise<DevClusterState> {
  checkName(opts.name);
  const dir = join(opts.root ?? devClustersRoot(), opts.name);
  const versions = await binaryVersions();
  const existing = await readState(dir);
  if (existing) {
    if ((await liveComponents(existing, dir)).length > 0) {
      throw new DevClusterError(
        `dev cluster "${opts.name}" is already running (kubeconfig ${existing.kubeconfig}); ` +
          `stop it with \`corral dev cluster down --name ${opts.name}\` or pick another --name`,
      );
    }
    if (existing.format !== STATE_FORMAT || existing.kubernetesVersion !== versions.kubernetes) {
      throw new DevClusterError(
        `the data folder ${dir} was made by another version (format ${existing.format}, Kubernetes ` +
          `${existing.kubernetesVersion}; this Corral uses format ${STATE_FORMAT}, Kubernetes ${versions.kubernetes}). ` +
          `Remove it with \`corral dev cluster down --name ${opts.name}\`, then run up again`,
      );
    }
  } else if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new DevClusterError(
      `${dir} exists but is not a Corral dev cluster folder (no ${STATE_FILE}); move it away or pick another --name`,
    );
  }

  const fresh = !existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (opts.runtime === 'containerd') return realNodesState(opts, dir, versions.kubernetes, fresh);
  try {
    const cp = await startControlPlane({
      dir,
      name: opts.name,
      nodes: opts.nodes,
      apiServerPort: opts.port,
      detached: true,
      onProgress: opts.onProgress,
    });
    const state: DevClusterState = {
      format: STATE_FORMAT,
      name: opts.name,
      kubernetesVersion: cp.versions.kubernetes,
      server: cp.server,
      kubeconfig: cp.kubeconfigPath,
      nodes: opts.nodes,
      components: cp.components,
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return state;
  } catch (err) {
    // A cluster that never came up leaves nothing behind; an existing one keeps its data.
    if (fresh) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface DownOptions {
  name: string;
  keepData?: boolean;
  root?: string;
}

/** Stops a dev cluster's processes and, unless keepData, removes its folder. */
export async function devClusterDown(opts: DownOptions): Promise<{ stopped: string[]; removed: boolean }> {
  checkName(opts.name);
  const dir = join(opts.root ?? devClustersRoot(), opts.name);
  const state = await readState(dir);
  if (!state) {
    throw new DevClusterError(`no dev cluster named "${opts.name}" in ${dir}; \`corral dev cluster ls\` lists them`);
  }
  if (state.runtime === 'containerd') {
    const running = await realNodesRunning(state.nodeSet!);
    if (running) await realNodesDown(state.nodeSet!);
    if (!opts.keepData) await rm(dir, { recursive: true, force: true });
    return { stopped: running ? [`${state.nodes} node(s) of ${state.nodeSet}`] : [], removed: !opts.keepData };
  }
  const live = await liveComponents(state, dir);
  const rank = (c: ComponentInfo) => {
    const i = STOP_ORDER.indexOf(c.name);
    return i < 0 ? -1 : i;
  };
  const stopped: string[] = [];
  for (const c of live.sort((a, b) => rank(a) - rank(b))) {
    await stopPid(c.pid);
    stopped.push(c.name);
  }
  if (!opts.keepData) await rm(dir, { recursive: true, force: true });
  return { stopped, removed: !opts.keepData };
}

export async function listDevClusters(root = devClustersRoot()): Promise<DevClusterListing[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const listings = await Promise.all(
    names.sort().map(async (name): Promise<DevClusterListing | undefined> => {
      const dir = join(root, name);
      const state = await readState(dir).catch(() => undefined);
      if (!state) return undefined;
      if (state.runtime === 'containerd') {
        const status: DevClusterStatus = (await realNodesRunning(state.nodeSet!).catch(() => false))
          ? 'running'
          : 'stopped';
        return { ...state, status, dir };
      }
      const live = (await liveComponents(state, dir)).length;
      const status: DevClusterStatus =
        live === 0 ? 'stopped' : live === state.components.length ? 'running' : 'degraded';
      return { ...state, status, dir };
    }),
  );
  return listings.filter((l): l is DevClusterListing => l !== undefined);
}

/** A dev cluster of real nodes: made by `corral up` on hosts of this machine; its state says where. */
async function realNodesState(
  opts: UpOptions,
  dir: string,
  kubernetesVersion: string,
  fresh: boolean,
): Promise<DevClusterState> {
  try {
    const made = await realNodesUp(dir, opts.name, opts.nodes, opts.onProgress ?? (() => {}));
    const state: DevClusterState = {
      format: STATE_FORMAT,
      name: opts.name,
      kubernetesVersion,
      server: made.server,
      kubeconfig: made.kubeconfig,
      nodes: opts.nodes,
      components: [],
      startedAt: new Date().toISOString(),
      runtime: 'containerd',
      nodeSet: made.nodeSet,
    };
    await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return state;
  } catch (err) {
    if (fresh) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
