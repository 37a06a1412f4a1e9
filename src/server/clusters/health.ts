import type { Store } from '../../store/types.js';
import { upstreamJson } from '../../kube/upstream-client.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import type { Registry } from '../controllers/kit/metrics.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/encryption.js';
import { directConnection, type ClusterConnection, type ClusterConnections } from './connections.js';
import { ClusterNodes, summarizeNodes, type NodeSummary } from './node-summary.js';
import type { ClusterOwnership } from './ownership.js';
import { writeClusterStatus } from './status-write.js';
import { ClusterUsage, type UsageOptions } from './usage.js';

interface NodeList {
  items: { status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> } }[];
}

export interface HealthOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /**
   * How long a good answer from the API server (`/version`) stands before it is asked again; a
   * failing node watch, a new connection or a bad answer asks at once. Default 30 s.
   */
  probeMs?: number;
  usage?: UsageOptions;
}

export interface HealthDeps {
  store: Store;
  connections: ClusterConnections;
  secretBox: SecretBox;
  log: Logger;
  ownership: ClusterOwnership;
  clusters: StoreInformer;
  registry?: Registry;
}

/**
 * Keeps the status of the clusters this replica owns (see ClusterOwnership) true to what their
 * API servers say; it also connects direct clusters, on every replica, so any replica can proxy
 * to them. Clusters nobody reaches are the leader's presence controller's. Level-triggered: each
 * check reads the cluster now and writes status only when it differs; every cluster is checked
 * each interval, and at once when its connection or owner changes.
 */
export class ClusterHealth {
  private readonly controller: Controller;
  /** What the pods use, kept by an informer per owned connection; a change checks the cluster soon after. */
  private readonly usage: ClusterUsage;
  /** The cluster's nodes, kept by a watch, so a pass does not list them. */
  private readonly nodes: ClusterNodes;
  /** The last good answer per cluster, for the connection it came through. */
  private readonly probes = new Map<string, { at: number; conn: ClusterConnection; version: Record<string, string> }>();

  constructor(
    private readonly deps: HealthDeps,
    private readonly opts: HealthOptions = {},
  ) {
    this.usage = new ClusterUsage(deps.connections, deps.ownership, deps.log, (id) => this.check(id), opts.usage);
    this.nodes = new ClusterNodes(deps.connections, deps.ownership, (id, why) => {
      if (why === 'failure') this.probes.delete(id);
      this.check(id);
    });
    this.controller = defineController({
      name: 'cluster-health',
      log: deps.log,
      registry: deps.registry,
      // Changes arrive as events (connections, owners, the node and pod informers, a failing
      // watch); the pass re-checks what no event reports (a lease gone stale elsewhere, the probe
      // coming due), so it need not be more frequent than the probe.
      resyncMs: opts.intervalMs ?? 30_000,
      resyncKeys: () => deps.clusters.cache.list().map((c) => c.id),
      // A cluster's checks wait on its API server: many slow clusters must not hold up the rest forever.
      maxConcurrent: 64,
      reconcile: (clusterId) => this.reconcile(clusterId),
    });
  }

  start(): void {
    this.usage.start();
    this.nodes.start();
    this.deps.connections.on('change', this.check);
    this.deps.ownership.on('change', this.check);
    this.controller.watch(this.deps.clusters, (c) => [c.id]);
    this.controller.start();
  }

  async stop(): Promise<void> {
    this.deps.connections.off('change', this.check);
    this.deps.ownership.off('change', this.check);
    this.usage.stop();
    this.nodes.stop();
    await this.controller.stop();
  }

  readonly check = (clusterId: string): void => this.controller.enqueue(clusterId);

  private async reconcile(clusterId: string): Promise<void> {
    const { store, connections, ownership } = this.deps;
    // The informer's copy: a pass per cluster every interval must not read the store each time.
    // A stale copy only makes the status write conflict; the informer's update checks again.
    const cluster = this.deps.clusters.cache.get(clusterId) ?? (await store.get('cluster', clusterId));
    if (cluster.metadata.deletionTimestamp) return;
    const conn = connections.get(clusterId);
    if (!conn) {
      this.probes.delete(clusterId);
      if (cluster.spec.driver !== 'imported' && cluster.spec.kubeConfigEncrypted) {
        // Direct clusters are connected by the server itself, after every restart; set() fires 'change'.
        connections.set(
          clusterId,
          directConnection(this.deps.secretBox.decrypt(String(cluster.spec.kubeConfigEncrypted))),
        );
      } else {
        await ownership.release(clusterId);
      }
      return;
    }
    if (conn.kind === 'tunnel') await ownership.claim(clusterId);
    if (!ownership.owns(clusterId)) return;
    const now = new Date().toISOString();
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    let status: Record<string, unknown>;
    try {
      const [version, nodes] = await Promise.all([
        this.version(clusterId, conn, timeoutMs),
        this.nodeSummary(clusterId, conn, timeoutMs),
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
        ...nodes,
        ...this.use(clusterId, cluster.status),
        apiEndpoint,
      };
    } catch (err) {
      this.probes.delete(clusterId);
      // An API server that does not answer is a state of the cluster, not a failed reconcile.
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
    await writeClusterStatus(store, cluster, status);
  }

  /** The API server's version: asked at most once per probeMs while the answers are good. */
  private async version(clusterId: string, conn: ClusterConnection, timeoutMs: number) {
    const last = this.probes.get(clusterId);
    if (last && last.conn === conn && Date.now() - last.at < (this.opts.probeMs ?? 30_000)) return last.version;
    const version = await upstreamJson<Record<string, string>>(conn.upstream, 'GET', '/version', { timeoutMs });
    this.probes.set(clusterId, { at: Date.now(), conn, version });
    return version;
  }

  /** From the node watch; listed directly only before the watch's first list is in. */
  private async nodeSummary(clusterId: string, conn: ClusterConnection, timeoutMs: number): Promise<NodeSummary> {
    const watched = this.nodes.get(clusterId);
    if (watched) return watched;
    return summarizeNodes((await upstreamJson<NodeList>(conn.upstream, 'GET', '/api/v1/nodes', { timeoutMs })).items);
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
}
