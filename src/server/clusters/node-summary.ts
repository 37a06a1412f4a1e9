import { sumResources } from '../../schema/quantity.js';
import { K8sInformer } from '../controllers/kit/k8s-informer.js';
import type { ClusterConnection, ClusterConnections } from './connections.js';
import { OwnedConnectionWatchers, type ConnectionWatcher } from './owned-watchers.js';
import type { ClusterOwnership } from './ownership.js';

interface NodeLike {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> };
}

/** A cluster's nodes as its status shows them. */
export interface NodeSummary {
  nodeCount: number;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

export function summarizeNodes(nodes: NodeLike[]): NodeSummary {
  return {
    nodeCount: nodes.length,
    capacity: sumResources(nodes.map((n) => n.status?.capacity ?? {})),
    allocatable: sumResources(nodes.map((n) => n.status?.allocatable ?? {})),
  };
}

/**
 * One cluster's Node objects, kept by an informer: the health check reads the summary from memory
 * instead of listing the nodes on every pass (one list per connection, then a watch). Tells its
 * owner when the summary changes (most Node updates are heartbeats that change nothing here) and
 * when the informer fails, which is news about the cluster's API server.
 */
class NodeWatch implements ConnectionWatcher {
  private readonly informer: K8sInformer<NodeLike>;
  private summary?: NodeSummary;
  private shown = '';

  constructor(
    readonly conn: ClusterConnection,
    private readonly changed: () => void,
    failed: () => void,
  ) {
    this.informer = new K8sInformer<NodeLike>(conn.upstream, {
      path: '/api/v1/nodes',
      onSynced: () => this.recompute(),
      onFailure: () => failed(),
    });
    const recompute = () => {
      if (this.informer.synced) this.recompute();
    };
    this.informer.on({ onAdd: recompute, onUpdate: recompute, onDelete: recompute });
    this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Undefined until the first list of this connection. */
  get(): NodeSummary | undefined {
    return this.summary;
  }

  private recompute(): void {
    const next = summarizeNodes(this.informer.cache.list());
    const text = JSON.stringify(next);
    this.summary = next;
    if (text === this.shown) return;
    this.shown = text;
    this.changed();
  }
}

/** The node summaries of the clusters this replica owns (see OwnedConnectionWatchers). */
export class ClusterNodes {
  private readonly watches: OwnedConnectionWatchers<NodeWatch>;

  constructor(
    connections: ClusterConnections,
    ownership: ClusterOwnership,
    /** The summary changed, or the cluster's API server failed a list or a watch. */
    onChange: (clusterId: string, why: 'nodes' | 'failure') => void,
  ) {
    this.watches = new OwnedConnectionWatchers(
      connections,
      ownership,
      (clusterId, conn) =>
        new NodeWatch(
          conn,
          () => onChange(clusterId, 'nodes'),
          () => onChange(clusterId, 'failure'),
        ),
    );
  }

  start(): void {
    this.watches.start();
  }

  stop(): void {
    this.watches.stop();
  }

  get(clusterId: string): NodeSummary | undefined {
    return this.watches.get(clusterId)?.get();
  }
}
