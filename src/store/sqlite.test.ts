import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testDir } from '../../test/helpers/control-plane.js';
import { describeStoreConformance } from './conformance.js';
import { openSqliteStore, type SqliteStore } from './sqlite.js';
import { StoreError, type NewObject, type Store, type WatchEvent } from './types.js';

describeStoreConformance('sqlite', async () => {
  const dir = await testDir('sqlite-store');
  const store = await openSqliteStore({ path: join(dir, 'corral.db') });
  return {
    store,
    compact: () => store.compact(),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const user = (name: string): NewObject => ({ type: 'user', metadata: { name }, spec: {} });

async function openTemp(historyLimit?: number): Promise<{ store: SqliteStore; path: string }> {
  const path = join(await testDir('sqlite-store'), 'corral.db');
  const store = await openSqliteStore({ path, historyLimit });
  onTestFinished(() => store.close());
  return { store, path };
}

async function take(store: Store, resourceVersion: string, n: number, type?: string): Promise<WatchEvent[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 20_000);
  const events: WatchEvent[] = [];
  try {
    for await (const e of store.watch({ resourceVersion, signal: stop.signal, ...(type && { type }) })) {
      if (events.push(e) >= n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

describe('SqliteStore', () => {
  it('an equality selector is matched on labels even when its text appears elsewhere in the object', async () => {
    const { store } = await openTemp();
    const mk = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}) =>
      store.create({ type: 'project', metadata: { name, namespace: 'c-1', labels }, spec });
    await mk('a', { 'corral.io/cluster': 'c-1' });
    // The selector's text in the spec or an annotation, or in another label's value, is not a match.
    await mk('b', {}, { note: '"corral.io/cluster":"c-1"' });
    await store.create({
      type: 'project',
      metadata: { name: 'c', namespace: 'c-1', labels: { other: 'c-1' }, annotations: { 'corral.io/cluster': 'c-1' } },
      spec: {},
    });
    await mk('d', { 'corral.io/cluster': 'c-2' });
    await mk('e', { 'corral.io/cluster': 'c-1', tier: 'x' });
    const list = async (labelSelector: string, namespace?: string, limit?: number) =>
      (await store.list('project', { labelSelector, namespace, limit })).items.map((o) => o.id);
    expect(await list('corral.io/cluster=c-1')).toEqual(['c-1:a', 'c-1:e']);
    expect(await list('corral.io/cluster=c-1', 'c-1')).toEqual(['c-1:a', 'c-1:e']);
    expect(await list('corral.io/cluster=c-1,tier=x')).toEqual(['c-1:e']);
    expect(await list('corral.io/cluster=c-1', undefined, 1)).toEqual(['c-1:a']);
    expect(await list('corral.io/cluster in (c-1,c-2)')).toEqual(['c-1:a', 'c-1:d', 'c-1:e']);
  });

  it('keeps objects, the revision and the history across a reopen', async () => {
    const { store, path } = await openTemp();
    const a = await store.create(user('a'));
    const b = await store.update({ ...a, spec: { changed: true } });
    await store.close();
    const reopened = await openSqliteStore({ path });
    onTestFinished(() => reopened.close());
    expect(await reopened.get('user', 'a')).toEqual(b);
    expect(await reopened.currentRevision()).toBe(b.metadata.resourceVersion);
    const events = await take(reopened, '0', 2);
    expect(events.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([
      ['ADDED', a.metadata.resourceVersion],
      ['MODIFIED', b.metadata.resourceVersion],
    ]);
    const c = await reopened.create(user('c'));
    expect(BigInt(c.metadata.resourceVersion)).toBeGreaterThan(BigInt(b.metadata.resourceVersion));
  });

  it('writes through WAL and fsyncs every commit (synchronous=FULL)', async () => {
    const { store, path } = await openTemp();
    await store.create(user('a'));
    // A per-connection setting, so it can only be read through the store's own connection.
    const own = (store as unknown as { db: DatabaseSync }).db;
    expect(own.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });

  it('keeps only historyLimit events: older watches get Gone, recent ones replay', async () => {
    const { store } = await openTemp(20);
    const created = [];
    for (let i = 0; i < 60; i++) created.push(await store.create(user(`u-${String(i).padStart(2, '0')}`)));
    const err = await take(store, '0', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('Gone');
    const recent = created.slice(-20);
    const from = created[created.length - 21]?.metadata.resourceVersion as string;
    expect((await take(store, from, 20)).map((e) => e.object)).toEqual(recent);
  });

  it('a watch of a quiet type is not made Gone by compaction of other types', async () => {
    const { store } = await openTemp(10);
    const from = await store.currentRevision();
    const groups = take(store, from, 1, 'group');
    for (let i = 0; i < 50; i++) await store.create(user(`u-${i}`));
    const group = await store.create({ type: 'group', metadata: { name: 'g' }, spec: {} });
    expect((await groups).map((e) => e.object)).toEqual([group]);
  });

  it('a watch catches up over more events than one read', async () => {
    const { store } = await openTemp();
    const from = await store.currentRevision();
    const created = [];
    for (let i = 0; i < 600; i++) created.push(await store.create(user(`u-${String(i).padStart(3, '0')}`)));
    const events = await take(store, from, 600);
    expect(events.map((e) => e.object)).toEqual(created);
  });

  it('rejects a database written with another schema version', async () => {
    const { store, path } = await openTemp();
    await store.close();
    const db = new DatabaseSync(path);
    db.prepare("UPDATE meta SET value = '999' WHERE key = 'schema'").run();
    db.close();
    await expect(openSqliteStore({ path })).rejects.toThrow(/schema 999/);
  });
  it('keeps the label index true through updates and deletes, and fills it for a store written before it existed', async () => {
    const { store, path } = await openTemp();
    const labelled = (name: string, team: string): NewObject => ({
      type: 'user',
      metadata: { name, labels: { team } },
      spec: {},
    });
    const names = async (s: Store, selector: string) =>
      (await s.list('user', { labelSelector: selector })).items.map((o) => o.id);
    await store.create(labelled('a', 'red'));
    const b = await store.create(labelled('b', 'red'));
    await store.create(labelled('c', 'blue'));
    expect(await names(store, 'team=red')).toEqual(['a', 'b']);
    await store.update({ ...b, metadata: { ...b.metadata, labels: { team: 'blue' } } });
    expect(await names(store, 'team=red')).toEqual(['a']);
    expect(await names(store, 'team=blue')).toEqual(['b', 'c']);
    await store.delete('user', 'c');
    expect(await names(store, 'team=blue')).toEqual(['b']);
    await store.close();

    // A store from before the index: no index rows and no mark. Opening it fills the index.
    const db = new DatabaseSync(path);
    db.prepare('DELETE FROM labels').run();
    db.prepare("DELETE FROM meta WHERE key = 'labels'").run();
    db.close();
    const reopened = await openSqliteStore({ path });
    onTestFinished(() => reopened.close());
    expect(await names(reopened, 'team=red')).toEqual(['a']);
    expect(await names(reopened, 'team=blue')).toEqual(['b']);
  });
});
