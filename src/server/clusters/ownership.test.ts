import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testDir } from '../../../test/helpers/control-plane.js';
import { openSqliteStore } from '../../store/sqlite.js';
import { StoreInformer } from '../controllers/kit/store-informer.js';
import { StoreFollower } from '../store-follower.js';
import { ClusterConnections, type ClusterConnection } from './connections.js';
import { CLUSTER_LEASE_TYPE, ClusterOwnership, REPLICA_HEARTBEAT_TYPE } from './ownership.js';

const tunnel = (since: number): ClusterConnection => ({
  kind: 'tunnel',
  since,
  upstream: { protocol: 'http:', host: 'x', port: 1, options: {} },
  close: () => undefined,
});
const direct = (): ClusterConnection => ({ ...tunnel(0), kind: 'direct' });

/** Two replicas on one store, each with its own connections, informer and leadership flag. */
async function twoReplicas(staleMs = 200) {
  const store = await openSqliteStore({ path: join(await testDir('ownership'), 'corral.db') });
  const follower = new StoreFollower(store);
  onTestFinished(async () => {
    follower.stop();
    await store.close();
  });
  await follower.start();
  const replica = async (id: string, leading: boolean) => {
    const leases = new StoreInformer(store, CLUSTER_LEASE_TYPE);
    const heartbeats = new StoreInformer(store, REPLICA_HEARTBEAT_TYPE);
    follower.add(leases);
    follower.add(heartbeats);
    await Promise.all([leases.start(), heartbeats.start()]);
    const connections = new ClusterConnections();
    const leader = { leading, isLeader: () => leader.leading };
    const ownership = new ClusterOwnership(store, leases, heartbeats, connections, leader, id, {
      renewMs: 50,
      staleMs,
    });
    await ownership.start();
    onTestFinished(() => ownership.stop());
    return { connections, leader, ownership, store };
  };
  return { store, a: await replica('a', true), b: await replica('b', false) };
}

describe('ClusterOwnership', () => {
  it('gives a tunnel cluster to the replica holding the tunnel; the leader sees its lease as fresh', async () => {
    const { a, b } = await twoReplicas();
    b.connections.set('c-1', tunnel(Date.now()));
    expect(await b.ownership.claim('c-1')).toBe(true);
    expect(b.ownership.owns('c-1')).toBe(true);
    // The leader has no tunnel: it owns nothing and must not mark the cluster unavailable.
    expect(a.ownership.owns('c-1')).toBe(false);
    await sleep(30);
    expect(await a.ownership.leaseLeftMs('c-1')).toBeGreaterThan(0);
    // Kept fresh by b's heartbeat while b lives, long past staleMs, with no write to the lease.
    const taken = (await b.store.get(CLUSTER_LEASE_TYPE, 'c-1')).metadata.resourceVersion;
    for (let i = 0; i < 6; i++) {
      await sleep(50);
      expect(await b.ownership.claim('c-1')).toBe(true);
    }
    await sleep(30);
    expect(await a.ownership.leaseLeftMs('c-1')).toBeGreaterThan(0);
    expect((await b.store.get(CLUSTER_LEASE_TYPE, 'c-1')).metadata.resourceVersion).toBe(taken);
  });

  it('a newer tunnel on another replica takes the cluster; the older one yields', async () => {
    const { a, b } = await twoReplicas(10_000);
    a.connections.set('c-1', tunnel(1000));
    expect(await a.ownership.claim('c-1')).toBe(true);
    await sleep(30);
    b.connections.set('c-1', tunnel(2000));
    expect(await b.ownership.claim('c-1')).toBe(true);
    await sleep(30);
    expect(await a.ownership.claim('c-1')).toBe(false);
    expect(a.ownership.owns('c-1')).toBe(false);
    expect(b.ownership.owns('c-1')).toBe(true);
  });

  it('a lease of a replica that died goes stale; one whose tunnel closed is released at once', async () => {
    const { a, b } = await twoReplicas(150);
    b.connections.set('c-1', tunnel(Date.now()));
    await b.ownership.claim('c-1');
    await sleep(30);
    expect(await a.ownership.leaseLeftMs('c-1')).toBeGreaterThan(0);
    await b.ownership.stop(); // b's heartbeat ends, as a stopped replica's does
    await sleep(200);
    expect(await a.ownership.leaseLeftMs('c-1')).toBe(0);

    b.connections.set('c-2', tunnel(Date.now()));
    await b.ownership.claim('c-2');
    b.connections.remove('c-2');
    await b.ownership.claim('c-2');
    await sleep(30);
    expect(await a.ownership.leaseLeftMs('c-2')).toBe(0);
  });

  it('gives a direct cluster to the leader only, and follows leadership', async () => {
    const { a, b } = await twoReplicas();
    a.connections.set('c-d', direct());
    b.connections.set('c-d', direct());
    expect([a.ownership.owns('c-d'), b.ownership.owns('c-d')]).toEqual([true, false]);
    const changed: string[] = [];
    b.ownership.on('change', (id: string) => changed.push(id));
    a.leader.leading = false;
    b.leader.leading = true;
    b.ownership.leadershipChanged();
    expect(changed).toEqual(['c-d']);
    expect([a.ownership.owns('c-d'), b.ownership.owns('c-d')]).toEqual([false, true]);
  });
});
