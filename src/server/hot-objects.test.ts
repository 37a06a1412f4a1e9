import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testDir } from '../../test/helpers/control-plane.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
import { HotObjects, readThrough } from './hot-objects.js';
import { StoreFollower } from './store-follower.js';

/**
 * A real SQLite store, whose reads are counted and whose watch can be held back: a replica whose
 * watch lags behind a write, which on one machine otherwise arrives within microseconds.
 */
async function setup() {
  const real = await openSqliteStore({ path: join(await testDir('hot-objects'), 'corral.db') });
  const storeGets: string[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const store: Store = {
    ...readThrough(real, {
      get: (type, id) => {
        storeGets.push(`${type}/${id}`);
        return real.get(type, id);
      },
    }),
    watch: (options) =>
      (async function* () {
        for await (const event of real.watch(options)) {
          await gate;
          yield event;
        }
      })(),
  };
  const follower = new StoreFollower(store);
  const hot = new HotObjects(store, follower);
  follower.add(hot);
  await follower.start();
  onTestFinished(async () => {
    open();
    follower.stop();
    await real.close();
  });
  const user = await real.create({ type: 'user', id: 'u-1', metadata: { name: 'u-1' }, spec: { enabled: true } });
  const caughtUp = async (revision: string) => {
    while ((follower.seen ?? 0n) < BigInt(revision)) await sleep(2);
  };
  await caughtUp(user.metadata.resourceVersion);
  const holdWatch = () => {
    gate = new Promise((resolve) => (open = resolve));
  };
  return { real, hot, storeGets, holdWatch, releaseWatch: () => open(), caughtUp };
}

describe('HotObjects', () => {
  it('answers repeated reads from memory', async () => {
    const { hot, storeGets } = await setup();
    expect((await (await hot.reader()).get('user', 'u-1')).spec.enabled).toBe(true);
    for (let i = 0; i < 10; i++) expect((await (await hot.reader()).get('user', 'u-1')).spec.enabled).toBe(true);
    expect(storeGets).toEqual(['user/u-1']);
    expect(hot.reads.memory).toBe(10);
  });

  it('sees a change the watch has not delivered yet: the store is read instead', async () => {
    const { real, hot, storeGets, holdWatch, releaseWatch, caughtUp } = await setup();
    await (await hot.reader()).get('user', 'u-1');
    holdWatch();
    const current = await real.get('user', 'u-1');
    const disabled = await real.update({ ...current, spec: { enabled: false } });
    expect((await (await hot.reader()).get('user', 'u-1')).spec.enabled).toBe(false);
    expect(storeGets).toEqual(['user/u-1', 'user/u-1']);
    // Once the watch caught up, memory answers again, with the new object.
    releaseWatch();
    await caughtUp(disabled.metadata.resourceVersion);
    expect((await (await hot.reader()).get('user', 'u-1')).spec.enabled).toBe(false);
    expect(storeGets).toHaveLength(2);

    holdWatch();
    await real.delete('user', 'u-1');
    await expect((await hot.reader()).get('user', 'u-1')).rejects.toMatchObject({ code: 'NotFound' });
    releaseWatch();
  });

  it('forgets everything when the watch breaks, and reads the store until it follows again', async () => {
    const { hot, storeGets } = await setup();
    await (await hot.reader()).get('user', 'u-1');
    hot.onReset();
    await (await hot.reader()).get('user', 'u-1');
    expect(storeGets).toEqual(['user/u-1', 'user/u-1']);
  });

  it('hands out frozen objects, so no request can change what the next one reads', async () => {
    const { hot } = await setup();
    const user = await (await hot.reader()).get('user', 'u-1');
    expect(() => {
      (user.spec as { enabled: boolean }).enabled = false;
    }).toThrow(TypeError);
    expect((await (await hot.reader()).get('user', 'u-1')).spec.enabled).toBe(true);
  });
});
