import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../store/types.js';
import { backoffDelay } from './backoff.js';
import { ControllerMetrics, Registry } from './metrics.js';
import { WorkQueue } from './workqueue.js';

const until = async (f: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
};

describe('WorkQueue', () => {
  it('runs one reconcile per key at a time and once more for a key added while it ran', async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      name: 't',
      reconcile: async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push(key);
        if (runs.length === 1) await gate;
        active--;
      },
    });
    q.add('a');
    await until(() => runs.length === 1);
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await until(() => runs.length === 2);
    await q.settle('a');
    await sleep(30);
    expect(runs).toEqual(['a', 'a']);
    expect(maxActive).toBe(1);
  });

  it('queues a key added several times while waiting once', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      name: 't',
      maxConcurrent: 1,
      reconcile: async (key) => {
        runs.push(key);
        if (key === 'block') await gate;
      },
    });
    q.add('block');
    q.add('b');
    q.add('b');
    q.add('c');
    q.add('b');
    expect(q.depth).toBe(2);
    release();
    await until(() => runs.length === 3);
    await sleep(30);
    expect(runs).toEqual(['block', 'b', 'c']);
  });

  it('retries a failing key with growing delays, resets on success, and ignores adds while backing off', async () => {
    const times: number[] = [];
    let fail = 3;
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    const q = new WorkQueue({
      name: 'flaky',
      backoff: { baseMs: 40, maxMs: 1000, random: () => 0.999 },
      metrics,
      reconcile: async () => {
        times.push(Date.now());
        if (fail-- > 0) throw new Error('boom');
      },
    });
    q.add('k');
    await until(() => times.length === 1);
    q.add('k'); // during the backoff: must not run at once
    await sleep(15);
    expect(times.length).toBe(1);
    await until(() => times.length === 4, 3000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    expect(metrics.retries.get({ controller: 'flaky' })).toBe(3);
    expect(metrics.reconciles.get({ controller: 'flaky', result: 'success' })).toBe(1);
    // Reset: a new add runs at once.
    q.add('k');
    await until(() => times.length === 5, 100);
    expect(registry.render()).toContain('corral_controller_reconciles_total{controller="flaky",result="error"} 3');
    await q.shutdown();
  });

  it('does not retry a key whose object is gone', async () => {
    let runs = 0;
    const q = new WorkQueue({
      name: 't',
      backoff: { baseMs: 10 },
      reconcile: async () => {
        runs++;
        throw new StoreError('NotFound', 'gone');
      },
    });
    q.add('k');
    await sleep(100);
    expect(runs).toBe(1);
  });

  it('runs a key again after requeueAfter', async () => {
    const times: number[] = [];
    const q = new WorkQueue({
      name: 't',
      reconcile: async () => {
        times.push(Date.now());
        return times.length < 3 ? { requeueAfter: 50 } : undefined;
      },
    });
    q.add('k');
    await until(() => times.length === 3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    await sleep(120);
    expect(times.length).toBe(3);
  });

  it('bounds reconciles per group and in all', async () => {
    let active = 0;
    const perGroup = new Map<string, number>();
    let maxActive = 0;
    let maxGroup = 0;
    const q = new WorkQueue({
      name: 't',
      maxConcurrent: 3,
      maxPerGroup: 1,
      groupOf: (key) => key.split('/')[0]!,
      reconcile: async (key) => {
        const g = key.split('/')[0]!;
        active++;
        perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
        maxActive = Math.max(maxActive, active);
        maxGroup = Math.max(maxGroup, perGroup.get(g)!);
        await sleep(20);
        perGroup.set(g, perGroup.get(g)! - 1);
        active--;
      },
    });
    const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1', 'd/1', 'e/1'];
    for (const k of keys) q.add(k);
    await Promise.all(keys.map(async (k) => q.settle(k)));
    expect(maxGroup).toBe(1);
    expect(maxActive).toBe(3);
  });

  it('stops on shutdown: no pending retries run', async () => {
    let runs = 0;
    const q = new WorkQueue({
      name: 't',
      backoff: { baseMs: 20 },
      reconcile: async () => {
        runs++;
        throw new Error('x');
      },
    });
    q.add('k');
    await until(() => runs === 1);
    await q.shutdown();
    q.add('k');
    await sleep(80);
    expect(runs).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('doubles, caps and jitters within [d/2, d]', () => {
    expect(backoffDelay(1, { baseMs: 1000, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { baseMs: 1000, random: () => 0.9999 })).toBe(1000);
    expect(backoffDelay(3, { baseMs: 1000, random: () => 0.9999 })).toBe(4000);
    expect(backoffDelay(30, { baseMs: 1000, maxMs: 300_000, random: () => 0 })).toBe(150_000);
  });
});
