import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';

/**
 * Whether the cluster is on its way out: deleted with finalizers, or marked `status.removing` by
 * the DELETE handler while it cleans the cluster up. The projects controller leaves such a cluster
 * alone: it must not write RBAC back into a cluster that is being cleaned up.
 */
export const clusterBeingRemoved = (cluster: StoredObject): boolean =>
  Boolean(cluster.metadata.deletionTimestamp) || cluster.status.removing === true;

/**
 * Writes a cluster's status when it differs in anything but condition times. `removing` belongs
 * to the DELETE handler, not to the status writers: it is carried over, never dropped.
 */
export async function writeClusterStatus(
  store: Store,
  cluster: StoredObject,
  computed: Record<string, unknown>,
): Promise<void> {
  const status = cluster.status.removing === true ? { ...computed, removing: true } : computed;
  const strip = (s: Record<string, unknown>) =>
    JSON.stringify({
      ...s,
      conditions: ((s.conditions as Record<string, unknown>[]) ?? []).map(({ lastUpdateTime: _t, ...c }) => c),
    });
  if (strip(status) === strip(cluster.status)) return;
  try {
    await store.update({ ...cluster, status });
  } catch (err) {
    // Someone else wrote meanwhile: the next check reads the new state and decides again.
    if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
  }
}

/**
 * Sets or clears the cluster's `removing` mark (see clusterBeingRemoved), re-reading the cluster
 * when another writer (a health check) got there first: the mark must land, or the projects
 * controller would go on writing into a cluster that is being cleaned up.
 */
export async function setClusterRemoving(store: Store, clusterId: string, removing: boolean): Promise<void> {
  for (;;) {
    const cluster = await store.get('cluster', clusterId);
    if ((cluster.status.removing === true) === removing) return;
    const { removing: _was, ...rest } = cluster.status;
    try {
      await store.update({ ...cluster, status: removing ? { ...rest, removing: true } : rest });
      return;
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
    }
  }
}
