import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';

/** Writes a cluster's status when it differs in anything but condition times. */
export async function writeClusterStatus(
  store: Store,
  cluster: StoredObject,
  status: Record<string, unknown>,
): Promise<void> {
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
