import type { NodeConfig } from '../config/types.js';
import { SshConnection, type SshConnectOptions } from './connection.js';
import { SshError } from './errors.js';

export interface ConnectAllOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** `--accept-new-host-keys`: trust and record hosts not on file yet. */
  acceptNewHostKey?: boolean;
  readyTimeoutMs?: number;
  /** cluster.yml's ssh_agent_auth: authenticate with ssh-agent ($SSH_AUTH_SOCK). */
  sshAgentAuth?: boolean;
}

export type SshNode = Pick<NodeConfig, 'address' | 'port' | 'user' | 'ssh_key_path' | 'ssh_key' | 'hostname_override'>;

/** How to reach one node of cluster.yml: the inline ssh_key wins over ssh_key_path, as in RKE. */
export function connectOptionsFor(node: SshNode, options: ConnectAllOptions = {}): SshConnectOptions {
  const privateKey = node.ssh_key || node.ssh_key_path || undefined;
  return {
    host: node.address,
    port: node.port,
    username: node.user,
    // With the agent on, a key path that is only a default must not be required to exist.
    ...(privateKey && !(options.sshAgentAuth && !node.ssh_key) ? { privateKey } : {}),
    useAgent: options.sshAgentAuth ?? false,
    name: node.hostname_override,
    ...(options.knownHostsPath !== undefined ? { knownHostsPath: options.knownHostsPath } : {}),
    acceptNewHostKey: options.acceptNewHostKey ?? false,
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  };
}

export interface ConnectAllResult {
  /** By node address. */
  connected: Map<string, SshConnection>;
  /** One per node that failed, in node order; each message names its node and what to fix. */
  failures: SshError[];
}

/**
 * Connects to every node at once and reports every failure together, so that `corral up` can
 * refuse before it has changed anything on any host (it then closes `connected`), while a
 * best-effort caller (cleaning removed nodes) keeps what it reached.
 */
export async function connectAll(nodes: SshNode[], options: ConnectAllOptions = {}): Promise<ConnectAllResult> {
  const results = await Promise.allSettled(
    nodes.map((node) => SshConnection.connect(connectOptionsFor(node, options))),
  );
  const connected = new Map<string, SshConnection>();
  const failures: SshError[] = [];
  results.forEach((result, i) => {
    const node = nodes[i]!;
    if (result.status === 'fulfilled') connected.set(node.address, result.value);
    else
      failures.push(
        result.reason instanceof SshError
          ? result.reason
          : new SshError('Unreachable', `${node.address}: ${String(result.reason)}`, {
              node: node.address,
              cause: result.reason,
            }),
      );
  });
  return { connected, failures };
}
