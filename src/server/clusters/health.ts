import { listAll } from '../../store/list-all.js';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import { sumResources } from '../../schema/quantity.js';
import { upstreamJson } from '../../kube/upstream-client.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/encryption.js';
import { directConnection, type ClusterConnections } from './connections.js';
import { ClusterUsage, type UsageOptions } from './usage.js';

interface NodeList {
  items: {
    status?: {
      capacity?: Record<string, string>;
      allocatable?: Record<string, string>;
      conditions?: { type: string; status: string }[];
    };
  }[];
}

export interface HealthOptions {
  intervalMs?: number;
  timeoutMs?: number;
  usage?: UsageOptions;
}

/**
 * Keeps each cluster's state and status true to what its API server says. Level-triggered: a
 * pass over every cluster runs on a timer, and a cluster whose connection changes is checked at
 * once; each check reads the cluster now and writes status only when it differs.
 */
export class ClusterHealth {
  private timer?: NodeJS.Timeout;
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  /** What the pods use, kept by a watch per connection; a change checks the cluster soon after. */
  private readonly usage: ClusterUsage;

  constructor(
    private readonly store: Store,
    private readonly connections: ClusterConnections,
    private readonly secretBox: SecretBox,
    private readonly log: Logger,
    private readonly opts: HealthOptions = {},
  ) {
    this.usage = new ClusterUsage(connections, log, (id) => void this.check(id), opts.usage);
  }

  start(): void {
    this.usage.start();
    this.connections.on('change', this.onChange);
    const pass = async () => {
      if (this.stopped) return;
      try {
        const clusters = await listAll(this.store, 'cluster');
        await Promise.all(clusters.map((c) => this.check(c.id)));
      } catch (err) {
        this.log.warn('cluster health pass failed', { error: String(err) });
      }
      if (!this.stopped) this.timer = setTimeout(pass, this.opts.intervalMs ?? 10_000);
    };
    void pass();
  }

  private readonly onChange = (clusterId: string) => void this.check(clusterId);

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.connections.off('change', this.onChange);
    this.usage.stop();
  }

  /** One check per cluster at a time; a check asked for meanwhile runs after it. */
  check(clusterId: string): Promise<void> {
    const previous = this.running.get(clusterId) ?? Promise.resolve();
    const next = previous
      .then(() => this.reconcile(clusterId))
      .catch((err: unknown) => {
        if (!(err instanceof StoreError && err.code === 'NotFound')) {
          this.log.warn('cluster health check failed', { clusterId, error: String(err) });
        }
      });
    this.running.set(clusterId, next);
    void next.finally(() => {
      if (this.running.get(clusterId) === next) this.running.delete(clusterId);
    });
    return next;
  }

  private async reconcile(clusterId: string): Promise<void> {
    const cluster = await this.store.get('cluster', clusterId);
    if (cluster.metadata.deletionTimestamp) return;
    let conn = this.connections.get(clusterId);
    if (!conn && cluster.spec.driver !== 'imported' && cluster.spec.kubeConfigEncrypted) {
      // Direct clusters are connected by the server itself, after every restart.
      conn = directConnection(this.secretBox.decrypt(String(cluster.spec.kubeConfigEncrypted)));
      this.connections.set(clusterId, conn);
      return; // set() fires 'change', which checks again with the connection
    }
    const now = new Date().toISOString();
    let status: Record<string, unknown>;
    if (!conn) {
      const everConnected = cluster.status.state && cluster.status.state !== 'pending';
      status = {
        state: everConnected ? 'unavailable' : 'pending',
        conditions: [
          {
            type: 'Connected',
            status: 'False',
            reason: 'AgentNotConnected',
            message: 'the agent is not connected',
            lastUpdateTime: now,
          },
          {
            type: 'Ready',
            status: 'False',
            reason: 'AgentNotConnected',
            message: 'the agent is not connected',
            lastUpdateTime: now,
          },
        ],
      };
    } else {
      const timeoutMs = this.opts.timeoutMs ?? 5000;
      try {
        const [version, nodes] = await Promise.all([
          upstreamJson<Record<string, string>>(conn.upstream, 'GET', '/version', { timeoutMs }),
          upstreamJson<NodeList>(conn.upstream, 'GET', '/api/v1/nodes', { timeoutMs }),
        ]);
        const apiEndpoint =
          conn.kind === 'direct'
            ? `${conn.upstream.protocol}//${conn.upstream.host}:${conn.upstream.port}`
            : 'agent tunnel';
        status = {
          state: 'active',
          conditions: [
            { type: 'Connected', status: 'True', reason: '', message: '', lastUpdateTime: now },
            { type: 'Ready', status: 'True', reason: '', message: '', lastUpdateTime: now },
          ],
          version,
          nodeCount: nodes.items.length,
          capacity: sumResources(nodes.items.map((n) => n.status?.capacity ?? {})),
          allocatable: sumResources(nodes.items.map((n) => n.status?.allocatable ?? {})),
          ...this.use(clusterId, cluster.status),
          apiEndpoint,
        };
      } catch (err) {
        status = {
          ...cluster.status,
          state: 'unavailable',
          conditions: [
            {
              type: 'Connected',
              status: conn.kind === 'tunnel' ? 'True' : 'Unknown',
              reason: '',
              message: '',
              lastUpdateTime: now,
            },
            {
              type: 'Ready',
              status: 'False',
              reason: 'APIServerNotAnswering',
              message: (err as Error).message,
              lastUpdateTime: now,
            },
          ],
        };
      }
    }
    await this.writeStatus(cluster, status);
  }

  /** The pods' use now; until the first list of a new connection, the last one written stays. */
  private use(clusterId: string, previous: Record<string, unknown>): Record<string, unknown> {
    const now = this.usage.get(clusterId);
    if (now) return { requested: now.requested, limits: now.limits };
    const kept: Record<string, unknown> = {};
    if (previous.requested) kept.requested = previous.requested;
    if (previous.limits) kept.limits = previous.limits;
    return kept;
  }

  private async writeStatus(cluster: StoredObject, status: Record<string, unknown>): Promise<void> {
    const strip = (s: Record<string, unknown>) =>
      JSON.stringify({
        ...s,
        conditions: ((s.conditions as Record<string, unknown>[]) ?? []).map(({ lastUpdateTime: _t, ...c }) => c),
      });
    if (strip(status) === strip(cluster.status)) return;
    try {
      await this.store.update({ ...cluster, status });
    } catch (err) {
      // Someone else wrote meanwhile: the next check reads the new state and decides again.
      if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
    }
  }
}
