import { describe, expect, test } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  test('a burst becomes few batches of at most maxEvents, in order, even with a slow asynchronous flush', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>(
      async (events) => {
        await new Promise((r) => setImmediate(r));
        batches.push(events);
      },
      () => {
        throw new Error('no overflow expected');
      },
      { delayMs: 10, maxEvents: 4, maxPending: 100 },
    );
    for (let i = 0; i < 10; i++) b.push(i);
    await b.drain();
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  test('a lone event is sent after the delay, without waiting for company', async () => {
    const sent = new Promise<number[]>((resolve) => {
      const b = new Batcher<number>(resolve, () => undefined, { delayMs: 5, maxEvents: 500, maxPending: 1000 });
      b.push(42);
    });
    expect(await sent).toEqual([42]);
  });

  test('more pending events than allowed stops the batcher and reports the overflow once', async () => {
    let overflows = 0;
    const flushed: number[] = [];
    // A flush that never finishes: nothing drains, so events pile up.
    const b = new Batcher<number>(
      (events) => {
        flushed.push(...events);
        return new Promise<void>(() => undefined);
      },
      () => overflows++,
      { delayMs: 1000, maxEvents: 10, maxPending: 25 },
    );
    for (let i = 0; i < 100; i++) b.push(i);
    expect(overflows).toBe(1);
    // The first batch went out before the pile-up; nothing after the overflow does.
    expect(flushed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
