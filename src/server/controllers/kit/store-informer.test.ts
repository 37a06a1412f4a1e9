import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testDir } from '../../../../test/helpers/control-plane.js';
import { openSqliteStore } from '../../../store/sqlite.js';
import { StoreFollower } from '../../store-follower.js';
import { StoreInformer } from './store-informer.js';

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
};

describe('StoreInformer', () => {
  it('lists one type, follows its changes, indexes by label, and relists on reset as differences', async () => {
    const store = await openSqliteStore({ path: join(await testDir('store-informer'), 'corral.db') });
    const follower = new StoreFollower(store);
    onTestFinished(async () => {
      follower.stop();
      await store.close();
    });
    const obj = (id: string, cluster: string) => ({
      type: 'project',
      id,
      metadata: { name: id, labels: { cluster } },
      spec: {},
    });
    await store.create(obj('p1', 'c1'));
    await store.create({ type: 'token', id: 't1', metadata: { name: 't1' }, spec: {} });
    const informer = new StoreInformer(store, 'project');
    const seen: string[] = [];
    informer.on({
      onAdd: (o) => seen.push(`add ${o.id}`),
      onUpdate: (_p, o) => seen.push(`update ${o.id}`),
      onDelete: (o) => seen.push(`delete ${o.id}`),
    });
    follower.add(informer);
    await follower.start();
    await informer.start();
    expect(informer.cache.list().map((o) => o.id)).toEqual(['p1']);

    const p2 = await store.create(obj('p2', 'c2'));
    await store.update({ ...p2, spec: { x: 1 } });
    await store.delete('project', 'p1');
    await until(() => seen.length === 4);
    expect(seen).toEqual(['add p1', 'add p2', 'update p2', 'delete p1']);
    expect(informer.cache.withLabel('cluster', 'c2').map((o) => o.id)).toEqual(['p2']);
    expect(informer.cache.withLabel('cluster', 'c1')).toEqual([]);

    // A reset (changes may have been missed) lists again; only what differs is reported.
    informer.onEvent = () => undefined; // miss the next change, as a broken watch would
    await store.create(obj('p3', 'c1'));
    await sleep(50);
    expect(seen.length).toBe(4);
    informer.onReset();
    await until(() => seen.length === 5);
    expect(seen[4]).toBe('add p3');
    expect(informer.cache.withLabel('cluster', 'c1').map((o) => o.id)).toEqual(['p3']);
  });
});
