import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestEtcd, type TestEtcd } from './helpers/etcd.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';
import { servingCertFiles } from './helpers/tls-files.js';

const LEASE_SECONDS = 3;
let etcd: TestEtcd;

beforeAll(async () => {
  etcd = await startTestEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

async function isLeader(server: TestServer, token: string): Promise<boolean> {
  const r = await server.call('/metrics', { token });
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return /^corral_leader 1$/m.test(r.text);
}

test('two replicas on one etcd both serve writes, one runs controllers, and leadership moves when it dies', async () => {
  // Replicas behind one load balancer share the serving certificate.
  const tls = await servingCertFiles();
  const args = [
    ...etcd.serverArgs,
    '--tls-cert',
    tls.cert,
    '--tls-key',
    tls.key,
    '--leader-lease-seconds',
    String(LEASE_SECONDS),
  ];
  const [a, b] = await Promise.all([
    startTestServer({ args, ca: tls.caPem }),
    startTestServer({ args, ca: tls.caPem }),
  ]);
  expect(a.ca).toBeDefined();
  // Exactly one admin was bootstrapped, whichever replica got there first.
  const token = await adminToken(a);
  const users = await b.call('/v3/users', { token });
  expect(users.json.data.filter((u: { username: string }) => u.username === 'admin').length).toBe(1);

  // Writes through either replica are seen by the other.
  const viaA = await a.call('/v3/globalRoles', { token, body: { name: 'made-on-a' } });
  const viaB = await b.call('/v3/globalRoles', { token, body: { name: 'made-on-b' } });
  expect([viaA.status, viaB.status]).toEqual([201, 201]);
  expect((await b.call(`/v3/globalRoles/${viaA.json.id}`, { token })).json.name).toBe('made-on-a');
  expect((await a.call(`/v3/globalRoles/${viaB.json.id}`, { token })).json.name).toBe('made-on-b');
  // The CA of the supplied chain is what agents pin, on both.
  expect((await a.call('/cacerts')).text).toBe(tls.caPem);
  expect((await b.call('/cacerts')).text).toBe(tls.caPem);

  const leaders = await eventually(async () => {
    const flags = await Promise.all([isLeader(a, token), isLeader(b, token)]);
    if (flags.filter(Boolean).length !== 1) throw new Error(`leaders: ${flags}`);
    return flags;
  }, 'exactly one leader');
  const [leader, follower] = leaders[0] ? [a, b] : [b, a];
  // Store-only controllers run on the leader alone; /metrics shows their reconciles there only.
  await eventually(async () => {
    const text = (await leader.call('/metrics', { token })).text;
    if (!/^corral_controller_reconciles_total\{controller="token-cleanup",result="success"\} [1-9]/m.test(text))
      throw new Error('no token cleanup yet');
  }, 'the leader to clean up tokens');
  expect((await follower.call('/metrics', { token })).text).not.toContain('controller="token-cleanup"');
  expect((await follower.call('/metrics', { token })).text).not.toContain('controller="cluster-presence"');

  // kill -9: no lease is revoked; the follower takes over once the lease runs out.
  const killedAt = Date.now();
  await leader.kill9();
  await eventually(
    async () => {
      if (!(await isLeader(follower, token))) throw new Error('not leader yet');
    },
    'the other replica to take over',
    4 * LEASE_SECONDS * 1000,
  );
  const handover = Date.now() - killedAt;
  expect(handover).toBeLessThan(4 * LEASE_SECONDS * 1000);
  const after = await follower.call('/v3/globalRoles', { token, body: { name: 'after-failover' } });
  expect(after.status).toBe(201);
});
