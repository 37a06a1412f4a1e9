import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../store/sqlite.js';
import { clusterBeingRemoved, setClusterRemoving, writeClusterStatus } from './status-write.js';

async function storeWithCluster() {
  const store = await openSqliteStore({ path: ':memory:' });
  onTestFinished(() => store.close());
  await store.create({
    type: 'cluster',
    id: 'c-1',
    metadata: { name: 'c-1' },
    spec: { name: 'one' },
    status: { state: 'active', conditions: [] },
  });
  return store;
}

describe('cluster status writes', () => {
  it('a status writer keeps the removing mark: a health check during a delete does not clear it', async () => {
    const store = await storeWithCluster();
    await setClusterRemoving(store, 'c-1', true);
    const marked = await store.get('cluster', 'c-1');
    expect(clusterBeingRemoved(marked)).toBe(true);
    await writeClusterStatus(store, marked, { state: 'unavailable', conditions: [] });
    const after = await store.get('cluster', 'c-1');
    expect(after.status).toEqual({ state: 'unavailable', conditions: [], removing: true });
    expect(clusterBeingRemoved(after)).toBe(true);
  });

  it('a status computed from a copy read before the mark does not overwrite it', async () => {
    const store = await storeWithCluster();
    const before = await store.get('cluster', 'c-1');
    await setClusterRemoving(store, 'c-1', true);
    await writeClusterStatus(store, before, { state: 'unavailable', conditions: [] });
    expect((await store.get('cluster', 'c-1')).status).toEqual({ state: 'active', conditions: [], removing: true });
  });

  it('setting the mark lands even after another writer changed the cluster; clearing it removes it', async () => {
    const store = await storeWithCluster();
    const stale = await store.get('cluster', 'c-1');
    await store.update({ ...stale, status: { ...stale.status, nodeCount: 1 } });
    await setClusterRemoving(store, 'c-1', true);
    expect((await store.get('cluster', 'c-1')).status).toMatchObject({ nodeCount: 1, removing: true });
    await setClusterRemoving(store, 'c-1', false);
    const cleared = await store.get('cluster', 'c-1');
    expect(cleared.status).toEqual({ state: 'active', conditions: [], nodeCount: 1 });
    expect(clusterBeingRemoved(cleared)).toBe(false);
  });
});
