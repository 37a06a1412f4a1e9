import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { eventually } from '../../test/helpers/eventually.js';
import { describeStoreConformance } from './conformance.js';
import { connectEtcd, EtcdLeaderElector, openEtcdStore, type EtcdStore } from './etcd.js';
import { createLeaderElector, openStore } from './index.js';
import type { LeaderElector } from './types.js';

let etcd: TestEtcd;
beforeAll(async () => {
  etcd = await startTestEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

const connection = () => ({ endpoints: [etcd.endpoint], ca: etcd.ca, cert: etcd.cert, key: etcd.key });
// Each test gets its own prefix: tests share one etcd but never see each other's objects.
const freshPrefix = () => `/corral-test-${randomBytes(6).toString('hex')}`;

describeStoreConformance('etcd', async () => {
  const store = await openEtcdStore({ ...connection(), prefix: freshPrefix() });
  return { store, compact: () => store.compact(), cleanup: () => store.close() };
});

describe('openStore with etcd', () => {
  it('reads the PEM files and connects', async () => {
    const store = await openStore({
      kind: 'etcd',
      endpoints: [etcd.endpoint],
      caFile: etcd.caFile,
      certFile: etcd.certFile,
      keyFile: etcd.keyFile,
      prefix: freshPrefix(),
    });
    try {
      const created = await store.create({ type: 'user', metadata: { name: 'u-1' }, spec: {} });
      expect(await store.get('user', 'u-1')).toEqual(created);
      expect(createLeaderElector(store, { name: 'controllers' })).toBeInstanceOf(EtcdLeaderElector);
    } finally {
      await store.close();
    }
  });

  it('fails at once, naming the endpoint, when etcd does not trust the client', async () => {
    const err = await openEtcdStore({ endpoints: [etcd.endpoint], ca: etcd.ca, callTimeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(etcd.endpoint);
  });
});

describe('EtcdStore', () => {
  it('a continue token whose revision was compacted fails with Gone', async () => {
    const store = await openEtcdStore({ ...connection(), prefix: freshPrefix() });
    try {
      for (let i = 0; i < 15; i++) await store.create({ type: 'user', metadata: { name: `u-${i}` }, spec: {} });
      const first = await store.list('user', { limit: 5 });
      // The snapshot holds: a page after a write still shows the list's revision.
      await store.create({ type: 'user', metadata: { name: 'u-new' }, spec: {} });
      const second = await store.list('user', { limit: 5, continue: first.continue });
      expect(second.resourceVersion).toBe(first.resourceVersion);
      expect(second.items.map((o) => o.id)).toEqual(['u-13', 'u-14', 'u-2', 'u-3', 'u-4']);
      await store.compact();
      const err = await store.list('user', { limit: 5, continue: second.continue }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'Gone', status: 410 });
      expect((err as Error).message).toContain('list again');
    } finally {
      await store.close();
    }
  });

  it('a watch resumes after its connection breaks, missing and repeating nothing', async () => {
    const proxy = await tcpProxy(etcd.endpoint);
    const prefix = freshPrefix();
    const watching = await openEtcdStore({ ...connection(), endpoints: [proxy.endpoint], prefix });
    const writing = await openEtcdStore({ ...connection(), prefix });
    try {
      const from = await writing.currentRevision();
      const stop = new AbortController();
      const seen: string[] = [];
      const consumer = (async () => {
        for await (const e of watching.watch({ type: 'user', resourceVersion: from, signal: stop.signal })) {
          seen.push(e.object.id);
        }
      })();
      const made: string[] = [];
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) {
          made.push((await writing.create({ type: 'user', metadata: { name: `u-${made.length}` }, spec: {} })).id);
        }
      };
      await write(5);
      await eventually(async () => expect(seen).toHaveLength(5), 'the first events');
      proxy.reset();
      await write(5);
      proxy.reset();
      await write(5);
      await eventually(async () => expect(seen).toEqual(made), 'every event exactly once, in order');
      stop.abort();
      await consumer;
    } finally {
      proxy.cut();
      await Promise.all([watching.close(), writing.close()]);
    }
  });

  it('close() stops its leader electors, releasing leadership at once', async () => {
    const prefix = freshPrefix();
    const a = await openEtcdStore({ ...connection(), prefix });
    const b = await openEtcdStore({ ...connection(), prefix });
    const electorA = a.leaderElector('controllers', { ttlSeconds: 30 });
    const electorB = b.leaderElector('controllers', { ttlSeconds: 30 });
    let stoppedA = 0;
    try {
      electorA.start({ onStartedLeading: () => undefined, onStoppedLeading: () => stoppedA++ });
      await eventually(async () => expect(electorA.isLeader()).toBe(true), 'the first store to lead');
      electorB.start({ onStartedLeading: () => undefined });
      await a.close();
      expect(electorA.isLeader()).toBe(false);
      expect(stoppedA).toBe(1);
      // The lease was revoked, not left to expire in 30 s: the key no longer names the first store.
      expect(await holder(b, `${prefix}-leader/controllers`)).not.toBe(electorA.identity);
      await eventually(async () => expect(electorB.isLeader()).toBe(true), 'the other store to lead');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('EtcdLeaderElector', () => {
  const TTL_SECONDS = 2;

  interface Replica {
    name: string;
    elector: LeaderElector;
    close(): void;
    terms: number;
    stoppedTerms: number;
    signal?: AbortSignal;
  }

  function replica(key: string, name: string, endpoint = etcd.endpoint, onStart?: () => void): Replica {
    const client = connectEtcd({ ...connection(), endpoints: [endpoint] });
    const r: Replica = {
      name,
      elector: new EtcdLeaderElector(client, { key, ttlSeconds: TTL_SECONDS, identity: name }),
      close: () => client.close(),
      terms: 0,
      stoppedTerms: 0,
    };
    r.elector.start({
      onStartedLeading: (signal) => {
        onStart?.();
        r.terms++;
        r.signal = signal;
      },
      onStoppedLeading: () => r.stoppedTerms++,
    });
    return r;
  }

  async function leaderOf(replicas: Replica[]): Promise<Replica> {
    return eventually(async () => {
      const leaders = replicas.filter((r) => r.elector.isLeader());
      if (leaders.length !== 1) throw new Error(`${leaders.length} leaders`);
      return leaders[0] as Replica;
    }, 'exactly one leader');
  }

  it('elects exactly one leader; stop() hands over to the other', async () => {
    const key = `${freshPrefix()}-leader/controllers`;
    const a = replica(key, 'a');
    const b = replica(key, 'b');
    const observer = await openEtcdStore(connection());
    try {
      const first = await leaderOf([a, b]);
      expect(await holder(observer, key)).toBe(first.name);
      const second = first === a ? b : a;
      expect(first.terms).toBe(1);
      expect(second.terms).toBe(0);
      await first.elector.stop();
      expect(await holder(observer, key)).not.toBe(first.name);
      expect(first.elector.isLeader()).toBe(false);
      expect(first.signal?.aborted).toBe(true);
      expect(first.stoppedTerms).toBe(1);
      await eventually(async () => expect(second.elector.isLeader()).toBe(true), 'the other replica to lead');
      expect(second.terms).toBe(1);
      expect(first.elector.isLeader()).toBe(false);
    } finally {
      await Promise.all([a.elector.stop(), b.elector.stop(), observer.close()]);
      a.close();
      b.close();
    }
  });

  it('a leader cut off from etcd is replaced once its lease expires, and steps down itself', async () => {
    const key = `${freshPrefix()}-leader/controllers`;
    // Closing an etcd3 client lets its open streams (the lease keepalive) run on, so a crash is
    // made by cutting the leader's TCP connections: it can neither renew nor revoke its lease.
    const proxy = await tcpProxy(etcd.endpoint);
    const a = replica(key, 'a', proxy.endpoint);
    const b = { current: undefined as Replica | undefined };
    try {
      await eventually(async () => expect(a.elector.isLeader()).toBe(true), 'the first replica to lead');
      let overlapped: boolean | undefined;
      b.current = replica(key, 'b', etcd.endpoint, () => (overlapped = a.elector.isLeader()));
      proxy.cut();
      await eventually(async () => expect(b.current?.elector.isLeader()).toBe(true), 'the other replica to lead');
      // It gave up before its lease could expire: never two leaders at once.
      expect(overlapped).toBe(false);
      await eventually(async () => expect(a.elector.isLeader()).toBe(false), 'the cut-off leader to step down');
      expect(a.signal?.aborted).toBe(true);
      expect(a.stoppedTerms).toBe(1);
    } finally {
      proxy.cut();
      await Promise.all([a.elector.stop(), b.current?.elector.stop()]);
      a.close();
      b.current?.close();
    }
  });
});

/** The identity held in an election key, if any. */
async function holder(store: EtcdStore, key: string): Promise<string | undefined> {
  const res = await store.client.kv.range({ key: Buffer.from(key) });
  return res.kvs[0]?.value.toString();
}

/** A TCP proxy to `endpoint`: reset() drops its connections; cut() also refuses new ones. */
async function tcpProxy(endpoint: string): Promise<{ endpoint: string; reset(): void; cut(): void }> {
  const target = new URL(endpoint);
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(downstream).add(upstream);
    downstream.pipe(upstream).pipe(downstream);
    const drop = () => {
      downstream.destroy();
      upstream.destroy();
    };
    for (const s of [downstream, upstream]) s.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    reset: () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
