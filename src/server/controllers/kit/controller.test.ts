import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../log.js';
import { ObjectCache } from './cache.js';
import { defineController } from './controller.js';
import { Registry } from './metrics.js';

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('defineController', () => {
  it('turns source events into keys, resyncs, and reports metrics', async () => {
    const reconciled: string[] = [];
    const registry = new Registry();
    const source = new ObjectCache<{ id: string; cluster: string }>(
      (o) => o.id,
      () => undefined,
      () => undefined,
      (a, b) => a.cluster === b.cluster,
    );
    const c = defineController({
      name: 'demo',
      log: log as unknown as Logger,
      registry,
      resyncMs: 60,
      resyncKeys: () => ['resynced'],
      reconcile: async (key) => void reconciled.push(key),
    });
    c.watch(source, (o) => [o.cluster]);
    c.start();
    source.upsert({ id: 'a', cluster: 'c1' });
    source.upsert({ id: 'b', cluster: 'c2' });
    await c.settle('c2');
    await sleep(150);
    expect(reconciled.filter((k) => k === 'resynced').length).toBeGreaterThanOrEqual(2);
    expect(reconciled).toContain('c1');
    expect(reconciled).toContain('c2');
    expect(registry.render()).toMatch(/corral_controller_reconciles_total\{controller="demo",result="success"\} \d+/);
    expect(registry.render()).toContain('corral_controller_queue_depth{controller="demo"} 0');
    await c.stop();
    const after = reconciled.length;
    source.upsert({ id: 'c', cluster: 'c3' });
    await sleep(100);
    expect(reconciled.length).toBe(after);
  });

  it('retryNow cuts a backoff short; a plain enqueue does not', async () => {
    let runs = 0;
    const c = defineController({
      name: 'flaky',
      log: log as unknown as Logger,
      backoff: { baseMs: 10_000 },
      reconcile: async () => {
        runs++;
        throw new Error('down');
      },
    });
    c.enqueue('k');
    await sleep(30);
    expect(runs).toBe(1);
    c.enqueue('k');
    await sleep(30);
    expect(runs).toBe(1);
    c.retryNow('k');
    await sleep(30);
    expect(runs).toBe(2);
    await c.stop();
  });
});
