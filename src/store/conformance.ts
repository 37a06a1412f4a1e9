/**
 * The behaviour every Store backend must have, as vitest tests. A backend's test file calls
 * describeStoreConformance with a function that opens a fresh, empty store for each test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  STORE_ERROR_STATUS,
  StoreError,
  type ListOptions,
  type NewObject,
  type Store,
  type StoreErrorCode,
  type StoredObject,
  type WatchEvent,
  type WatchOptions,
} from './types.js';

export interface ConformanceBackend {
  store: Store;
  /** Drops the store's change history up to its current revision, as aging out would. */
  compact?(): Promise<void>;
  /** Closes the store (it may already be closed) and removes what open() made. */
  cleanup(): Promise<void>;
}

/** Generous: a watch that delivers nothing for this long is broken, not slow. */
const WATCH_DEADLINE_MS = 20_000;

async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const err = await promise.then(
    (value) => {
      throw new Error(`expected StoreError ${code}, but it succeeded with ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  const storeError = err as StoreError;
  expect({ code: storeError.code, status: storeError.status }).toEqual({ code, status: STORE_ERROR_STATUS[code] });
  return storeError;
}

/** The first `n` events of a watch (fewer only if nothing more comes before the deadline). */
async function takeEvents(store: Store, options: Omit<WatchOptions, 'signal'>, n: number): Promise<WatchEvent[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), WATCH_DEADLINE_MS);
  const events: WatchEvent[] = [];
  try {
    for await (const event of store.watch({ ...options, signal: stop.signal })) {
      events.push(event);
      if (events.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  return events;
}

/** Resolves with `promise`, or fails naming `what` when it takes longer than the watch deadline. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not happen within ${WATCH_DEADLINE_MS} ms`)),
      WATCH_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function listPages(store: Store, type: string, options: ListOptions): Promise<StoredObject[][]> {
  const pages: StoredObject[][] = [];
  let token: string | undefined;
  do {
    const page = await store.list(type, { ...options, ...(token && { continue: token }) });
    pages.push(page.items);
    token = page.continue;
    if (pages.length > 1_000) throw new Error('list never ended: the continue token does not advance');
  } while (token);
  return pages;
}

const user = (name: string, labels: Record<string, string> = {}, extra: Partial<NewObject> = {}): NewObject => ({
  type: 'user',
  metadata: { name, labels },
  spec: { displayName: `User ${name}` },
  ...extra,
});

const ids = (objects: StoredObject[]) => objects.map((o) => o.id);
const summary = (e: WatchEvent) => ({
  type: e.type,
  kind: e.object.type,
  id: e.object.id,
  rv: e.object.metadata.resourceVersion,
});
const rv = (o: StoredObject) => BigInt(o.metadata.resourceVersion);

/** Creates objects a few at a time (a backend may be slow per write, e.g. fsync). */
async function createAll(store: Store, objects: NewObject[]): Promise<StoredObject[]> {
  const created: StoredObject[] = [];
  for (let i = 0; i < objects.length; i += 25) {
    created.push(...(await Promise.all(objects.slice(i, i + 25).map((o) => store.create(o)))));
  }
  return created;
}

export function describeStoreConformance(name: string, open: () => Promise<ConformanceBackend>): void {
  describe(`Store conformance: ${name}`, () => {
    let backend: ConformanceBackend;
    let store: Store;

    beforeEach(async () => {
      backend = await open();
      store = backend.store;
    });
    afterEach(async () => {
      await backend.cleanup();
    });

    describe('create, get and list', () => {
      it('create fills in uid, creationTimestamp and resourceVersion; get returns the same object', async () => {
        const before = BigInt(await store.currentRevision());
        const created = await store.create(user('u-alice', { team: 'a' }));
        expect(created).toMatchObject({
          type: 'user',
          id: 'u-alice',
          metadata: { name: 'u-alice', labels: { team: 'a' }, annotations: {}, finalizers: [] },
          spec: { displayName: 'User u-alice' },
          status: {},
        });
        expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(Number.isNaN(Date.parse(created.metadata.creationTimestamp))).toBe(false);
        expect(rv(created)).toBeGreaterThan(before);
        expect(BigInt(await store.currentRevision())).toBe(rv(created));
        expect(await store.get('user', 'u-alice')).toEqual(created);
        const other = await store.create(user('u-bob'));
        expect(other.metadata.uid).not.toBe(created.metadata.uid);
        expect(rv(other)).toBeGreaterThan(rv(created));
      });

      it('get of an absent object fails with NotFound (404)', async () => {
        await rejectsWith(store.get('user', 'u-nobody'), 'NotFound');
      });

      it('derives the id from namespace and name, and namespace and name from the id', async () => {
        const fromName = await store.create({ type: 'project', metadata: { name: 'p-1', namespace: 'c-1' }, spec: {} });
        expect(fromName.id).toBe('c-1:p-1');
        const fromId = await store.create({ type: 'project', id: 'c-2:p-2', metadata: { name: 'p-2' }, spec: {} });
        expect(fromId.metadata).toMatchObject({ name: 'p-2', namespace: 'c-2' });
        expect(await store.get('project', 'c-2:p-2')).toEqual(fromId);
        await rejectsWith(
          store.create({ type: 'project', id: 'c-3:p-3', metadata: { name: 'p-4' }, spec: {} }),
          'Invalid',
        );
        await rejectsWith(store.create({ type: 'project', metadata: { name: 'a/b' }, spec: {} }), 'Invalid');
      });

      it('list returns the objects of one type in id order, optionally of one namespace', async () => {
        await createAll(store, [
          user('u-b'),
          user('u-a'),
          { type: 'project', metadata: { name: 'p-x', namespace: 'c-1' }, spec: {} },
          { type: 'project', metadata: { name: 'p-y', namespace: 'c-2' }, spec: {} },
          { type: 'project', metadata: { name: 'p-z', namespace: 'c-1' }, spec: {} },
          { type: 'project', metadata: { name: 'p-w', namespace: 'c-10' }, spec: {} },
        ]);
        const users = await store.list('user');
        expect(ids(users.items)).toEqual(['u-a', 'u-b']);
        expect(users.continue).toBeUndefined();
        expect(users.resourceVersion).toBe(await store.currentRevision());
        // Byte order of the ids: "0" sorts before ":".
        expect(ids((await store.list('project')).items)).toEqual(['c-10:p-w', 'c-1:p-x', 'c-1:p-z', 'c-2:p-y']);
        expect(ids((await store.list('project', { namespace: 'c-1' })).items)).toEqual(['c-1:p-x', 'c-1:p-z']);
        expect((await store.list('group')).items).toEqual([]);
      });
    });

    describe('label selectors', () => {
      it('select by equality, inequality, set membership and existence', async () => {
        await createAll(store, [
          user('a', { env: 'prod', tier: 'web' }),
          user('b', { env: 'dev', tier: 'web' }),
          user('c', { env: 'prod' }),
          user('d', { tier: 'db', 'corral.io/owner': 'x' }),
          user('e'),
        ]);
        const cases: [string, string[]][] = [
          ['', ['a', 'b', 'c', 'd', 'e']],
          ['env=prod', ['a', 'c']],
          ['env==prod', ['a', 'c']],
          ['env!=prod', ['b', 'd', 'e']],
          ['env in (prod,dev)', ['a', 'b', 'c']],
          ['env notin (prod)', ['b', 'd', 'e']],
          ['tier', ['a', 'b', 'd']],
          ['!tier', ['c', 'e']],
          ['env=prod,tier=web', ['a']],
          ['env in (prod), !tier', ['c']],
          ['corral.io/owner=x', ['d']],
          ['env=staging', []],
        ];
        for (const [selector, expected] of cases) {
          const { items } = await store.list('user', { labelSelector: selector });
          expect({ selector, ids: ids(items) }).toEqual({ selector, ids: expected });
        }
      });

      it('an invalid selector fails with Invalid (422) saying what is wrong', async () => {
        await store.create(user('a', { env: 'prod' }));
        for (const selector of [
          'env in ()',
          'env=prod,',
          'env in (a',
          '=prod',
          'env === prod',
          'env > 1',
          'bad key=x',
        ]) {
          const err = await rejectsWith(store.list('user', { labelSelector: selector }), 'Invalid');
          expect(err.message).toContain(selector);
        }
      });

      it('objects with invalid labels are rejected with Invalid', async () => {
        await rejectsWith(store.create(user('a', { 'bad key': 'x' })), 'Invalid');
        await rejectsWith(store.create(user('a', { ok: 'not ok!' })), 'Invalid');
      });
    });

    describe('paging with limit and continue', () => {
      const names = Array.from({ length: 250 }, (_, i) => `obj-${String(i).padStart(3, '0')}`);
      const labelsOf = (i: number) => ({ parity: i % 2 ? 'odd' : 'even', ...(i % 3 === 0 && { third: 'yes' }) });

      beforeEach(async () => {
        // In reverse, so that id order is not simply creation order; other types and namespaces around them.
        await createAll(store, [
          ...names.map((n, i) => user(n, labelsOf(i))).reverse(),
          { type: 'group', metadata: { name: 'obj-100x' }, spec: {} },
          { type: 'user', metadata: { name: 'obj-050x', namespace: 'ns' }, spec: {} },
        ]);
      });

      it('pages through every object exactly once, in id order, full pages but the last', async () => {
        const pages = await listPages(store, 'user', { limit: 20 });
        expect(pages.map((p) => p.length)).toEqual([...Array(12).fill(20), 11]);
        expect(ids(pages.flat())).toEqual([...names, 'ns:obj-050x'].sort());
      });

      it('with a label selector, pages hold `limit` matching objects and only those', async () => {
        const pages = await listPages(store, 'user', { limit: 20, labelSelector: 'third=yes' });
        const expected = names.filter((_, i) => i % 3 === 0);
        expect(pages.map((p) => p.length)).toEqual([20, 20, 20, 20, expected.length - 80]);
        expect(ids(pages.flat())).toEqual(expected);
        const odd = await listPages(store, 'user', { limit: 7, labelSelector: 'parity=odd,!third' });
        expect(ids(odd.flat())).toEqual(names.filter((_, i) => i % 2 === 1 && i % 3 !== 0));
        expect(odd.slice(0, -1).every((p) => p.length === 7)).toBe(true);
      });

      it('a limit of at least the number of objects gives one page without continue', async () => {
        const page = await store.list('user', { limit: 251, namespace: undefined });
        expect(page.items).toHaveLength(251);
        expect(page.continue).toBeUndefined();
        const exact = await store.list('user', { limit: 84, labelSelector: 'third=yes' });
        expect(exact.items).toHaveLength(84);
        expect(exact.continue).toBeUndefined();
      });

      it('stays stable while objects change between pages', async () => {
        const first = await store.list('user', { limit: 50 });
        // Changes behind and ahead of the cursor: none may make an object appear twice or vanish.
        const ahead = await store.get('user', 'obj-120');
        await store.update({ ...ahead, metadata: { ...ahead.metadata, labels: { changed: 'yes' } } });
        await store.create(user('obj-000a'));
        await store.delete('user', 'obj-200');
        await store.create(user('obj-999'));
        const rest = await listPages(store, 'user', { limit: 50, continue: first.continue });
        const seen = ids([...first.items, ...rest.flat()]);
        expect([...seen].sort()).toEqual(seen);
        expect(new Set(seen).size).toBe(seen.length);
        const untouched = names.filter((n) => n !== 'obj-200');
        expect(untouched.filter((n) => !seen.includes(n))).toEqual([]);
        expect(seen).not.toContain('obj-000a');
      });

      it('a malformed continue token fails with Invalid', async () => {
        await rejectsWith(store.list('user', { limit: 10, continue: 'not-a-token' }), 'Invalid');
        await rejectsWith(store.list('user', { limit: -1 }), 'Invalid');
      });
    });

    describe('writes', () => {
      it('create of an existing id fails with AlreadyExists (409) and keeps the stored object', async () => {
        const original = await store.create(user('u-taken', { v: '1' }));
        const err = await rejectsWith(store.create(user('u-taken', { v: '2' })), 'AlreadyExists');
        expect(err.message).toContain('u-taken');
        expect(await store.get('user', 'u-taken')).toEqual(original);
      });

      it('update stores the change and bumps resourceVersion; an update changing nothing keeps it', async () => {
        const created = await store.create(user('u-1'));
        const updated = await store.update({
          ...created,
          metadata: { ...created.metadata, labels: { role: 'admin' } },
          spec: { displayName: 'Admin' },
          status: { ready: true },
        });
        expect(rv(updated)).toBeGreaterThan(rv(created));
        expect(updated).toMatchObject({ metadata: { labels: { role: 'admin' } }, spec: { displayName: 'Admin' } });
        expect(await store.get('user', 'u-1')).toEqual(updated);
        expect(BigInt(await store.currentRevision())).toBe(rv(updated));
        const reordered = { ...updated, status: { ...updated.status }, spec: { ...updated.spec } };
        const same = await store.update(reordered);
        expect(same.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
        expect(await store.currentRevision()).toBe(updated.metadata.resourceVersion);
      });

      it('update with a stale resourceVersion fails with Conflict (409) and changes nothing', async () => {
        const created = await store.create(user('u-1'));
        const current = await store.update({ ...created, spec: { displayName: 'first' } });
        const err = await rejectsWith(store.update({ ...created, spec: { displayName: 'second' } }), 'Conflict');
        expect(err.message).toContain(created.metadata.resourceVersion);
        expect(await store.get('user', 'u-1')).toEqual(current);
        await rejectsWith(
          store.update({ ...current, metadata: { ...current.metadata, resourceVersion: 'abc' } }),
          'Invalid',
        );
      });

      it('uid and creationTimestamp are immutable', async () => {
        const created = await store.create(user('u-1'));
        await rejectsWith(store.update({ ...created, metadata: { ...created.metadata, uid: 'other' } }), 'Invalid');
        await rejectsWith(
          store.update({ ...created, metadata: { ...created.metadata, creationTimestamp: '2000-01-01T00:00:00Z' } }),
          'Invalid',
        );
        expect(await store.get('user', 'u-1')).toEqual(created);
      });

      it('update and delete of an absent object fail with NotFound (404)', async () => {
        const created = await store.create(user('u-1'));
        await store.delete('user', 'u-1');
        await rejectsWith(store.update(created), 'NotFound');
        await rejectsWith(store.delete('user', 'u-1'), 'NotFound');
        await rejectsWith(store.delete('user', 'u-never'), 'NotFound');
      });

      it('delete removes an object without finalizers; a stale precondition is a Conflict', async () => {
        const created = await store.create(user('u-1'));
        const changed = await store.update({ ...created, spec: { displayName: 'changed' } });
        await rejectsWith(
          store.delete('user', 'u-1', { resourceVersion: created.metadata.resourceVersion }),
          'Conflict',
        );
        expect(await store.get('user', 'u-1')).toEqual(changed);
        const deleted = await store.delete('user', 'u-1', { resourceVersion: changed.metadata.resourceVersion });
        expect(deleted.id).toBe('u-1');
        expect(rv(deleted)).toBeGreaterThan(rv(changed));
        await rejectsWith(store.get('user', 'u-1'), 'NotFound');
        expect((await store.list('user')).items).toEqual([]);
      });

      it('delete of an object with finalizers marks it; removing the last finalizer deletes it', async () => {
        const created = await store.create(user('u-fin', {}, { metadata: { name: 'u-fin', finalizers: ['a', 'b'] } }));
        expect(created.metadata.finalizers).toEqual(['a', 'b']);
        const marked = await store.delete('user', 'u-fin');
        expect(marked.metadata.deletionTimestamp).toBeDefined();
        expect(rv(marked)).toBeGreaterThan(rv(created));
        expect(await store.get('user', 'u-fin')).toEqual(marked);
        const again = await store.delete('user', 'u-fin');
        expect(again).toEqual(marked);
        await rejectsWith(
          store.update({ ...marked, metadata: { ...marked.metadata, finalizers: ['a', 'b', 'c'] } }),
          'Invalid',
        );
        const oneLeft = await store.update({ ...marked, metadata: { ...marked.metadata, finalizers: ['b'] } });
        expect(oneLeft.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
        expect(await store.get('user', 'u-fin')).toEqual(oneLeft);
        const removed = await store.update({ ...oneLeft, metadata: { ...oneLeft.metadata, finalizers: [] } });
        expect(rv(removed)).toBeGreaterThan(rv(oneLeft));
        await rejectsWith(store.get('user', 'u-fin'), 'NotFound');

        const events = await takeEvents(store, { type: 'user', resourceVersion: created.metadata.resourceVersion }, 3);
        expect(events.map(summary)).toEqual([
          { type: 'MODIFIED', kind: 'user', id: 'u-fin', rv: marked.metadata.resourceVersion },
          { type: 'MODIFIED', kind: 'user', id: 'u-fin', rv: oneLeft.metadata.resourceVersion },
          { type: 'DELETED', kind: 'user', id: 'u-fin', rv: removed.metadata.resourceVersion },
        ]);
        expect(events[0]?.object.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
        expect(events[2]?.object.metadata.uid).toBe(created.metadata.uid);
      });

      it('generateName appends five random [a-z0-9] characters, giving unique names', async () => {
        const made = await createAll(
          store,
          Array.from({ length: 30 }, () => ({
            type: 'project',
            metadata: { generateName: 'p-', namespace: 'c-abc' },
            spec: {},
          })),
        );
        for (const o of made) {
          expect(o.metadata.name).toMatch(/^p-[a-z0-9]{5}$/);
          expect(o.id).toBe(`c-abc:${o.metadata.name}`);
          expect(o.metadata.namespace).toBe('c-abc');
        }
        expect(new Set(ids(made)).size).toBe(30);
        expect(ids((await store.list('project')).items)).toEqual(ids(made).sort());
      });
    });

    describe('watch', () => {
      it('delivers every change after a resourceVersion in order, and resumes without gaps', async () => {
        const start = await store.create(user('w-0'));
        const expected: WatchEvent[] = [];
        const all: WatchEvent[] = [];
        const record = (type: WatchEvent['type'], object: StoredObject) => {
          if (object.type === 'user') expected.push({ type, object });
          all.push({ type, object });
        };
        for (let i = 1; i <= 6; i++) {
          record('ADDED', await store.create(user(`w-${i}`)));
          record('ADDED', await store.create({ type: 'group', metadata: { name: `g-${i}` }, spec: {} }));
        }
        const w1 = await store.get('user', 'w-1');
        record('MODIFIED', await store.update({ ...w1, spec: { displayName: 'changed' } }));
        record('DELETED', await store.delete('user', 'w-2'));
        record('DELETED', await store.delete('group', 'g-3'));
        record('ADDED', await store.create(user('w-last')));

        const from = start.metadata.resourceVersion;
        const head = await takeEvents(store, { type: 'user', resourceVersion: from }, 4);
        expect(head.map(summary)).toEqual(expected.slice(0, 4).map(summary));
        expect(head).toEqual(expected.slice(0, 4));
        const resumeAt = head[3]?.object.metadata.resourceVersion as string;
        const tail = await takeEvents(store, { type: 'user', resourceVersion: resumeAt }, expected.length - 4);
        expect(tail.map(summary)).toEqual(expected.slice(4).map(summary));
        const modified = tail.find((e) => e.type === 'MODIFIED');
        expect(modified?.object.spec).toEqual({ displayName: 'changed' });

        const everything = await takeEvents(store, { resourceVersion: from }, all.length);
        expect(everything.map(summary)).toEqual(all.map(summary));
        const revisions = everything.map((e) => BigInt(e.object.metadata.resourceVersion));
        expect(revisions.every((r, i) => i === 0 || r > (revisions[i - 1] as bigint))).toBe(true);
      });

      it('keeps delivering changes made while it waits', async () => {
        const from = await store.currentRevision();
        const events = takeEvents(store, { type: 'user', resourceVersion: from }, 3);
        const made = [];
        for (const n of ['l-1', 'l-2', 'l-3']) {
          await sleep(50);
          made.push(await store.create(user(n)));
        }
        expect((await events).map((e) => e.object)).toEqual(made);
      });

      it('without a resourceVersion, delivers only changes made after the watch began', async () => {
        await store.create(user('before'));
        const stop = new AbortController();
        const iterator = store.watch({ type: 'user', signal: stop.signal })[Symbol.asyncIterator]();
        const first = iterator.next();
        let settled = false;
        void first.finally(() => (settled = true));
        // The watch starts in the background: write until it sees something.
        for (let i = 0; !settled && i < 100; i++) {
          await store.create(user(`after-${i}`));
          await Promise.race([first, sleep(100)]);
        }
        const event = await within(first, 'the first event of the watch');
        stop.abort();
        expect(event.done).toBe(false);
        expect(event.value).toMatchObject({ type: 'ADDED', object: { id: expect.stringMatching(/^after-/) } });
      });

      it('the resourceVersion of a list is where a watch picks up every later change', async () => {
        await createAll(store, [user('x-1'), user('x-2')]);
        const listed = await store.list('user');
        const later = await store.create(user('x-3'));
        const [event] = await takeEvents(store, { type: 'user', resourceVersion: listed.resourceVersion }, 1);
        expect(event).toEqual({ type: 'ADDED', object: later });
      });

      it('from a compacted revision fails with Gone (410)', async () => {
        if (!backend.compact) throw new Error(`the ${name} backend must provide compact() for this test`);
        const old = await store.create(user('c-1'));
        await store.create(user('c-2'));
        await store.create(user('c-3'));
        await backend.compact();
        const err = await rejectsWith(takeEvents(store, { resourceVersion: old.metadata.resourceVersion }, 1), 'Gone');
        expect(err.message).toContain(old.metadata.resourceVersion);
        // From the current revision, watching works again.
        const now = await store.currentRevision();
        const created = await store.create(user('c-4'));
        expect(await takeEvents(store, { type: 'user', resourceVersion: now }, 1)).toEqual([
          { type: 'ADDED', object: created },
        ]);
      });

      it('ends when its signal aborts, and when the store closes', async () => {
        const stop = new AbortController();
        const from = await store.currentRevision();
        await store.create(user('s-1'));
        const abortable = store.watch({ resourceVersion: from, signal: stop.signal })[Symbol.asyncIterator]();
        const first = await within(abortable.next(), 'the first event');
        expect(first.value).toMatchObject({ type: 'ADDED', object: { id: 's-1' } });
        const pending = abortable.next();
        stop.abort();
        expect(await within(pending, 'the watch to end on abort')).toEqual({ done: true, value: undefined });

        const closing = store.watch({ resourceVersion: await store.currentRevision() })[Symbol.asyncIterator]();
        const waiting = closing.next();
        await store.close();
        expect(await within(waiting, 'the watch to end on close()')).toEqual({ done: true, value: undefined });
        await rejectsWith(store.get('user', 's-1'), 'Unavailable');
      });
    });

    describe('concurrency', () => {
      it('concurrent read-modify-write loops retrying on Conflict lose no update', async () => {
        await store.create({ type: 'counter', metadata: { name: 'n' }, spec: { value: 0 } });
        let conflicts = 0;
        const increment = async () => {
          for (;;) {
            const current = await store.get('counter', 'n');
            try {
              await store.update({ ...current, spec: { value: (current.spec.value as number) + 1 } });
              return;
            } catch (err) {
              if (!(err instanceof StoreError) || err.code !== 'Conflict') throw err;
              conflicts++;
            }
          }
        };
        const loops = Array.from({ length: 20 }, async () => {
          for (let i = 0; i < 5; i++) await increment();
        });
        await Promise.all(loops);
        expect((await store.get('counter', 'n')).spec.value).toBe(100);
        // The loops really raced: otherwise this test proves nothing about compare-and-swap.
        expect(conflicts).toBeGreaterThan(0);
      });

      it('concurrent creates of one id: exactly one succeeds, the others get AlreadyExists', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.create(user('u-race', { writer: String(i) }))),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as StoreError).code).toBe('AlreadyExists');
        }
        expect(await store.get('user', 'u-race')).toEqual((won[0] as PromiseFulfilledResult<StoredObject>).value);
      });

      it('concurrent deletes of an object with finalizers set deletionTimestamp once', async () => {
        await store.create(user('u-d', {}, { metadata: { name: 'u-d', finalizers: ['f'] } }));
        const results = await Promise.all(Array.from({ length: 10 }, () => store.delete('user', 'u-d')));
        const stamps = new Set(results.map((r) => r.metadata.deletionTimestamp));
        expect(stamps.size).toBe(1);
        expect((await store.get('user', 'u-d')).metadata.deletionTimestamp).toBe([...stamps][0]);
      });
    });
  });
}
