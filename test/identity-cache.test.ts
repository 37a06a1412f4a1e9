import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestEtcd, type TestEtcd } from './helpers/etcd.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';
import { servingCertFiles } from './helpers/tls-files.js';

// Tokens, users and clusters are served from memory (src/server/hot-objects.ts). These tests show
// the cache is used, and that it never lets a deleted token or a disabled user through: the very
// next request after the change is refused, on the replica that made it and on another one.

async function reads(server: TestServer, token: string): Promise<{ memory: number; store: number }> {
  const text = (await server.call('/metrics', { token })).text;
  const value = (from: string) =>
    Number(new RegExp(`^corral_hot_object_reads_total\\{from="${from}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { memory: value('memory'), store: value('fill') + value('store') };
}

async function newUser(server: TestServer, admin: string, username: string) {
  const u = await server.call('/v3/users', { token: admin, body: { username, password: `${username}-password-1` } });
  expect(u.status, u.text).toBe(201);
  const token = await server.login(username, `${username}-password-1`);
  return { id: u.json.id as string, token };
}

/** A cluster with no agent: an authenticated proxy request gets 503, an unauthenticated one 401. */
async function pendingCluster(server: TestServer, admin: string): Promise<string> {
  const c = await server.call('/v3/clusters', { token: admin, body: { name: `pending-${Date.now()}` } });
  expect(c.status, c.text).toBe(201);
  return c.json.id as string;
}

async function expectLetIn(server: TestServer, token: string, userId: string, clusterId: string) {
  const own = await server.call(`/v3/users/${userId}`, { token });
  expect(own.status, own.text).toBe(200);
  const proxied = await server.call(`/k8s/clusters/${clusterId}/api/v1/namespaces`, { token });
  expect(proxied.status, proxied.text).toBe(503);
}

async function expectShutOut(server: TestServer, token: string, userId: string, clusterId: string, why: string) {
  const own = await server.call(`/v3/users/${userId}`, { token });
  expect(own.status, own.text).toBe(401);
  expect(own.json.message).toContain(why);
  const proxied = await server.call(`/k8s/clusters/${clusterId}/api/v1/namespaces`, { token });
  expect(proxied.status, proxied.text).toBe(401);
  expect(proxied.json.message).toContain(why);
}

describe('one replica (SQLite)', () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startTestServer({ manual: true });
    admin = await adminToken(server);
    return () => server.kill9();
  });

  test('repeated requests read the caller from memory, not the store', async () => {
    const cluster = await pendingCluster(server, admin);
    const dora = await newUser(server, admin, 'dora');
    await expectLetIn(server, dora.token, dora.id, cluster);
    const before = await reads(server, admin);
    for (let i = 0; i < 20; i++) await expectLetIn(server, dora.token, dora.id, cluster);
    const after = await reads(server, admin);
    // Each pair of requests reads a token, a user and a user or cluster: 120 reads, from memory.
    expect(after.memory - before.memory).toBeGreaterThanOrEqual(100);
    expect(after.store - before.store).toBeLessThan(20);
  });

  test('a disabled user and a deleted token are refused by the very next request', async () => {
    const cluster = await pendingCluster(server, admin);
    const ed = await newUser(server, admin, 'ed');
    for (let i = 0; i < 3; i++) await expectLetIn(server, ed.token, ed.id, cluster);
    const off = await server.call(`/v3/users/${ed.id}`, { method: 'PUT', token: admin, body: { enabled: false } });
    expect(off.status, off.text).toBe(200);
    await expectShutOut(server, ed.token, ed.id, cluster, 'disabled');
    const on = await server.call(`/v3/users/${ed.id}`, { method: 'PUT', token: admin, body: { enabled: true } });
    expect(on.status, on.text).toBe(200);
    await expectLetIn(server, ed.token, ed.id, cluster);

    const tokenId = ed.token.split(':')[0]!;
    expect((await server.call(`/v3/tokens/${tokenId}`, { method: 'DELETE', token: admin })).status).toBe(200);
    await expectShutOut(server, ed.token, ed.id, cluster, 'not valid');
  });

  test('a deleted cluster is gone for the proxy at once', async () => {
    const cluster = await pendingCluster(server, admin);
    for (let i = 0; i < 3; i++) {
      expect((await server.call(`/k8s/clusters/${cluster}/api`, { token: admin })).status).toBe(503);
    }
    const del = await server.call(`/v3/clusters/${cluster}?force=true`, { method: 'DELETE', token: admin });
    expect(del.status, del.text).toBe(200);
    const r = await server.call(`/k8s/clusters/${cluster}/api`, { token: admin });
    expect(r.status, r.text).toBe(404);
  });
});

describe('two replicas on one etcd', () => {
  let etcd: TestEtcd;
  beforeAll(async () => {
    etcd = await startTestEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  test('a user disabled and a token deleted on one replica are refused by the next request on the other', async () => {
    const tls = await servingCertFiles();
    const args = [...etcd.serverArgs, '--tls-cert', tls.cert, '--tls-key', tls.key];
    const [a, b] = await Promise.all([
      startTestServer({ args, ca: tls.caPem }),
      startTestServer({ args, ca: tls.caPem }),
    ]);
    const admin = await adminToken(a);
    const cluster = await pendingCluster(a, admin);
    const fay = await newUser(a, admin, 'fay');
    // Warm both replicas' caches, and show that b answers from memory.
    for (let i = 0; i < 5; i++) {
      await expectLetIn(a, fay.token, fay.id, cluster);
      await expectLetIn(b, fay.token, fay.id, cluster);
    }
    const before = await reads(b, admin);
    for (let i = 0; i < 10; i++) await expectLetIn(b, fay.token, fay.id, cluster);
    expect((await reads(b, admin)).memory - before.memory).toBeGreaterThan(0);

    for (let round = 0; round < 3; round++) {
      const off = await a.call(`/v3/users/${fay.id}`, { method: 'PUT', token: admin, body: { enabled: false } });
      expect(off.status, off.text).toBe(200);
      await expectShutOut(b, fay.token, fay.id, cluster, 'disabled');
      const on = await b.call(`/v3/users/${fay.id}`, { method: 'PUT', token: admin, body: { enabled: true } });
      expect(on.status, on.text).toBe(200);
      await expectLetIn(a, fay.token, fay.id, cluster);
    }
    const tokenId = fay.token.split(':')[0]!;
    expect((await b.call(`/v3/tokens/${tokenId}`, { method: 'DELETE', token: admin })).status).toBe(200);
    await expectShutOut(a, fay.token, fay.id, cluster, 'not valid');
  });
});
