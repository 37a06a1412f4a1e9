import { resolve } from 'node:path';
import { readClusterConfig } from './config/load.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import type { BinaryUploader } from './files.js';
import type { NodeIo } from './node-io.js';
import { consoleProgress, type Progress } from './progress.js';
import { connectAll } from './ssh/index.js';
import { clusterPaths, readState, type ClusterPaths, type ClusterState, type StateFile } from './state.js';

export type NodeConn = NodeIo & BinaryUploader & { close(): void };

export interface SessionOptions {
  configPath: string;
  /** Accept and remember host keys not yet in known_hosts (never a changed one). */
  acceptNewHostKeys?: boolean;
  knownHostsPath?: string;
  progress?: Progress;
}

/** A cluster.yml with its state file and SSH connections to its nodes: what every verb starts from. */
export interface Session {
  paths: ClusterPaths;
  config: ClusterConfig;
  stateFile: StateFile | null;
  /** What the last successful `up` left; null before the first. */
  current: ClusterState | null;
  /** By node address: every node of cluster.yml, plus reachable nodes that were removed from it. */
  conns: Map<string, NodeConn>;
  /** Nodes in the state that cluster.yml no longer lists. */
  removed: NodeConfig[];
  progress: Progress;
  close(): void;
}

export interface OpenOptions extends SessionOptions {
  /** Also connect to nodes removed from cluster.yml (best effort: a dead one is only reported). */
  includeRemoved?: boolean;
  /** Read the config and state without connecting (e.g. a state-only command). */
  connect?: boolean;
}

export async function openSession(opts: OpenOptions): Promise<Session> {
  const progress = opts.progress ?? consoleProgress();
  const paths = clusterPaths(resolve(opts.configPath));
  progress.step(`reading ${paths.config}`);
  const { config, warnings } = await readClusterConfig(paths.config);
  for (const w of warnings) progress.warn(`${paths.config}:${w.line}:${w.column}: ${w.path}: ${w.message}`);
  const stateFile = await readState(paths.state);
  const current = stateFile?.currentState ?? null;
  const removed = current
    ? current.rkeConfig.nodes.filter((old) => !config.nodes.some((n) => n.address === old.address))
    : [];
  const conns = new Map<string, NodeConn>();
  const session: Session = {
    paths,
    config,
    stateFile,
    current,
    conns,
    removed,
    progress,
    close: () => {
      for (const c of conns.values()) c.close();
    },
  };
  if (opts.connect === false) return session;

  progress.step(`connecting to ${config.nodes.length} node(s) over SSH`);
  const sshOptions = {
    sshAgentAuth: config.ssh_agent_auth,
    acceptNewHostKey: opts.acceptNewHostKeys ?? false,
    knownHostsPath: opts.knownHostsPath,
  };
  const { connected, failures } = await connectAll(config.nodes, sshOptions);
  for (const [address, conn] of connected) conns.set(address, conn);
  if (failures.length) {
    session.close();
    throw new ProvisionError(
      'could not reach every node; nothing was changed',
      failures.map((f) => f.message),
    );
  }
  for (const n of config.nodes) progress.node(n.address, 'connected');
  if (opts.includeRemoved && removed.length) {
    const gone = await connectAll(removed, sshOptions);
    for (const [address, conn] of gone.connected) conns.set(address, conn);
    for (const f of gone.failures) progress.warn(`removed node unreachable, not cleaned: ${f.message}`);
  }
  return session;
}
