import type { ClusterConnection, ClusterConnections } from './connections.js';
import type { ClusterOwnership } from './ownership.js';

/** Something that follows one connection of one cluster (an informer and what it sums up). */
export interface ConnectionWatcher {
  readonly conn: ClusterConnection;
  stop(): void;
}

/**
 * One watcher per cluster this replica owns (see ClusterOwnership): started when the cluster's
 * connection appears here and is owned, replaced when the connection is, torn down when it goes
 * or passes to another replica. Level-triggered: each connection or owner change re-decides that
 * cluster from what is true now.
 */
export class OwnedConnectionWatchers<W extends ConnectionWatcher> {
  private readonly watchers = new Map<string, W>();

  constructor(
    private readonly connections: ClusterConnections,
    private readonly ownership: ClusterOwnership,
    private readonly make: (clusterId: string, conn: ClusterConnection) => W,
  ) {}

  start(): void {
    this.connections.on('change', this.follow);
    this.ownership.on('change', this.follow);
    for (const id of this.connections.ids()) this.follow(id);
  }

  stop(): void {
    this.connections.off('change', this.follow);
    this.ownership.off('change', this.follow);
    for (const w of this.watchers.values()) w.stop();
    this.watchers.clear();
  }

  get(clusterId: string): W | undefined {
    return this.watchers.get(clusterId);
  }

  private readonly follow = (clusterId: string): void => {
    const conn = this.ownership.owns(clusterId) ? this.connections.get(clusterId) : undefined;
    const current = this.watchers.get(clusterId);
    if (current && current.conn === conn) return;
    current?.stop();
    this.watchers.delete(clusterId);
    if (conn) this.watchers.set(clusterId, this.make(clusterId, conn));
  };
}
