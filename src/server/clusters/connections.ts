import { EventEmitter } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import type { Upstream } from '../../kube/forward.js';
import { kubeTargetFromKubeconfig } from '../../kube/kubeconfig-target.js';
import { upstreamFor } from '../../kube/upstream.js';
import type { Tunnel } from '../../tunnel/index.js';

export type ConnectionKind = 'tunnel' | 'direct';

export interface ClusterConnection {
  kind: ConnectionKind;
  upstream: Upstream;
  /** For tunnels: when the agent connected. */
  since: number;
  tunnel?: Tunnel;
  /** The registration token the agent proved; regenerating it cuts this connection. */
  registrationTokenId?: string;
  close(): void;
}

/**
 * A tunnel as an HTTP upstream: every request rides a stream of the agent's tunnel, kept alive
 * and reused like sockets in a pool, so a burst of requests does not open a stream each.
 */
class TunnelAgent extends HttpAgent {
  constructor(private readonly tunnel: Tunnel) {
    super({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
  }

  override createConnection(): ReturnType<HttpAgent['createConnection']> {
    return this.tunnel.openStream({ kind: 'http' }) as unknown as ReturnType<HttpAgent['createConnection']>;
  }
}

export function tunnelConnection(tunnel: Tunnel, registrationTokenId?: string): ClusterConnection {
  const agent = new TunnelAgent(tunnel);
  return {
    kind: 'tunnel',
    tunnel,
    registrationTokenId,
    since: Date.now(),
    upstream: { protocol: 'http:', host: 'cluster.tunnel', port: 80, options: { agent } },
    close: () => {
      agent.destroy();
      tunnel.close(1000, 'replaced');
    },
  };
}

/** A cluster the server reaches itself, from a kubeconfig (token, client certificate, or both). */
export function directConnection(kubeconfigYaml: string): ClusterConnection {
  const { upstream, close } = upstreamFor(kubeTargetFromKubeconfig(kubeconfigYaml));
  return { kind: 'direct', since: Date.now(), upstream, close };
}

/** Which clusters this replica can reach now, and how. Emits 'change' with the cluster id. */
export class ClusterConnections extends EventEmitter {
  private readonly byCluster = new Map<string, ClusterConnection>();

  get(clusterId: string): ClusterConnection | undefined {
    return this.byCluster.get(clusterId);
  }

  set(clusterId: string, connection: ClusterConnection): void {
    const old = this.byCluster.get(clusterId);
    this.byCluster.set(clusterId, connection);
    if (old && old !== connection) old.close();
    this.emit('change', clusterId);
  }

  /** Removes the connection if it is still the current one (a newer agent connection stays). */
  remove(clusterId: string, connection?: ClusterConnection): void {
    const current = this.byCluster.get(clusterId);
    if (!current || (connection && current !== connection)) return;
    this.byCluster.delete(clusterId);
    current.close();
    this.emit('change', clusterId);
  }

  ids(): string[] {
    return [...this.byCluster.keys()];
  }

  closeAll(): void {
    for (const id of this.ids()) this.remove(id);
  }
}
