import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { launchBrowser, screenshot, signIn, startUiServer } from './helpers/browser.js';
import { importWithAgent, registerDirect, waitForState } from './helpers/clusters.js';
import { binaryPath } from '../src/kube/binaries.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { startTestEtcd } from './helpers/etcd.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

const execFileP = promisify(execFile);

interface Message {
  id?: string;
  events?: { type: string; object: Record<string, any> }[];
  resync?: boolean;
  reason?: string;
  error?: { status: number; code: string; message: string };
}

interface Subscription {
  messages: Message[];
  send(msg: unknown): void;
  /** Waits until the messages so far satisfy `check`, and returns what it returns. */
  until<T>(what: string, check: (messages: Message[]) => T | undefined): Promise<T>;
  /** Stops reading from the socket (the server's side of it fills up), and starts again. */
  pause(): void;
  resume(): void;
  close(): void;
}

/** Opens /v3/subscribe with a real ws client; rejects with the HTTP status when the upgrade is refused. */
function subscribe(server: TestServer, headers: Record<string, string>): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(new URL('/v3/subscribe', server.url.replace(/^https/, 'wss')), {
      ca: server.ca,
      headers,
    });
    const messages: Message[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Message));
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        reject(Object.assign(new Error(Buffer.concat(chunks).toString()), { status: res.statusCode })),
      );
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        messages,
        send: (msg) => ws.send(JSON.stringify(msg)),
        until: (what, check) =>
          eventually(async () => {
            const out = check(messages);
            if (out === undefined || out === false)
              throw new Error(`not yet: ${JSON.stringify(messages).slice(-2000)}`);
            return out;
          }, what),
        pause: () => ws.pause(),
        resume: () => ws.resume(),
        close: () => ws.close(),
      }),
    );
  });
}

/** Compacts an etcd's history up to its current revision, as its periodic compaction eventually would. */
async function compactEtcd(endpoint: string, tls: { ca: string; cert: string; key: string }): Promise<void> {
  const etcdctl = async (...args: string[]) =>
    (
      await execFileP(await binaryPath('etcdctl'), [
        `--endpoints=${endpoint}`,
        `--cacert=${tls.ca}`,
        `--cert=${tls.cert}`,
        `--key=${tls.key}`,
        ...args,
      ])
    ).stdout;
  const status = JSON.parse(await etcdctl('endpoint', 'status', '-w', 'json')) as {
    Status: { header: { revision: number } };
  }[];
  await etcdctl('compact', String(status[0]!.Status.header.revision));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every event delivered for a watch id, in order. */
const eventsOf = (messages: Message[], id: string) =>
  messages.filter((m) => m.id === id).flatMap((m) => m.events ?? []);

async function refusal(p: Promise<Subscription>): Promise<number> {
  try {
    (await p).close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

async function cookieFor(server: TestServer, username: string, password: string): Promise<string> {
  const r = await server.call('/v3-public/localProviders/local?action=login', {
    body: { username, password, responseType: 'cookie' },
  });
  return ([] as string[])
    .concat(r.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function createUser(server: TestServer, admin: string, username: string, extra: Record<string, unknown> = {}) {
  const r = await server.call('/v3/users', {
    token: admin,
    body: { username, password: `${username}-password-123`, ...extra },
  });
  if (r.status !== 201) throw new Error(`create user: ${r.status} ${r.text}`);
  return r.json.id as string;
}

describe('/v3/subscribe', () => {
  test('v3 watch: a cluster created, updated and deleted is seen rendered as GET renders it; a user who may not read it never sees it', async () => {
    const server = await startTestServer();
    const admin = await adminToken(server);
    const bobId = await createUser(server, admin, 'bob');
    const shared = await server.call('/v3/clusters', { token: admin, body: { name: 'shared' } });
    expect(shared.status).toBe(201);
    await server.call('/v3/clusterRoleTemplateBindings', {
      token: admin,
      body: { clusterId: shared.json.id, userId: bobId, roleTemplateId: 'cluster-member' },
    });
    const bob = await server.login('bob', 'bob-password-123');

    const adminList = await server.call('/v3/clusters', { token: admin });
    const bobList = await server.call('/v3/clusters', { token: bob });
    expect(adminList.json.revision).toMatch(/^\d+$/);
    expect(bobList.json.data.map((c: { name: string }) => c.name)).toEqual(['shared']);

    const adminSub = await subscribe(server, bearer(admin));
    const bobSub = await subscribe(server, bearer(bob));
    adminSub.send({
      op: 'watch',
      id: 'c',
      target: { kind: 'v3', type: 'cluster' },
      resourceVersion: adminList.json.revision,
    });
    bobSub.send({
      op: 'watch',
      id: 'c',
      target: { kind: 'v3', type: 'cluster' },
      resourceVersion: bobList.json.revision,
    });

    const hidden = await server.call('/v3/clusters', { token: admin, body: { name: 'hidden' } });
    const hiddenId = hidden.json.id as string;
    const updated = await server.call(`/v3/clusters/${hiddenId}`, {
      method: 'PUT',
      token: admin,
      body: { description: 'changed' },
    });
    expect(updated.status).toBe(200);
    const added = await adminSub.until('the admin sees the new cluster', (m) =>
      eventsOf(m, 'c').find((e) => e.type === 'ADDED' && e.object.id === hiddenId),
    );
    expect(added.object.name).toBe('hidden');
    const modified = await adminSub.until('the admin sees the update', (m) =>
      eventsOf(m, 'c').find((e) => e.type === 'MODIFIED' && e.object.description === 'changed'),
    );
    // Rendered exactly as GET renders it (same links, actions and fields), as of that revision.
    const got = await server.call(`/v3/clusters/${hiddenId}`, { token: admin });
    expect(Object.keys(modified.object).sort()).toEqual(Object.keys(got.json).sort());
    expect(modified.object.links).toEqual(got.json.links);
    expect(modified.object.actions).toEqual(got.json.actions);
    expect(modified.object.type).toBe('cluster');

    expect((await server.call(`/v3/clusters/${hiddenId}?force=true`, { method: 'DELETE', token: admin })).status).toBe(
      200,
    );
    await adminSub.until('the admin sees the deletion', (m) =>
      eventsOf(m, 'c').find((e) => e.type === 'DELETED' && e.object.id === hiddenId),
    );

    // Then a change bob may see: once it arrives, everything before it has been through his filter.
    const sharedUpdate = await server.call(`/v3/clusters/${shared.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { description: 'for bob' },
    });
    expect(sharedUpdate.status).toBe(200);
    await bobSub.until('bob sees the shared cluster change', (m) =>
      eventsOf(m, 'c').find((e) => e.object.id === shared.json.id && e.object.description === 'for bob'),
    );
    expect(JSON.stringify(bobSub.messages)).not.toContain(hiddenId);
    expect(eventsOf(bobSub.messages, 'c').every((e) => e.object.id === shared.json.id)).toBe(true);
    // A type bob may not list at all is refused outright.
    bobSub.send({ op: 'watch', id: 'grb', target: { kind: 'v3', type: 'globalRoleBinding' } });
    const denied = await bobSub.until('a refusal', (m) => m.find((x) => x.id === 'grb' && x.error));
    expect(denied.error).toMatchObject({ status: 403, code: 'PermissionDenied' });

    // Events are batched: changes replayed from an old revision arrive in fewer messages than events.
    const from = (await server.call('/v3/users?limit=1', { token: admin })).json.revision as string;
    for (let i = 0; i < 10; i++) await createUser(server, admin, `batch${i}`);
    adminSub.send({ op: 'watch', id: 'u', target: { kind: 'v3', type: 'user' }, resourceVersion: from });
    await adminSub.until(
      'ten user creations',
      (m) => eventsOf(m, 'u').filter((e) => e.type === 'ADDED' && e.object.username?.startsWith('batch')).length >= 10,
    );
    expect(adminSub.messages.filter((m) => m.id === 'u').length).toBeLessThan(10);

    // Stop ends a watch: later changes are not sent.
    adminSub.send({ op: 'stop', id: 'u' });
    await createUser(server, admin, 'afterstop');
    const marker = await server.call('/v3/clusters', { token: admin, body: { name: 'marker' } });
    await adminSub.until('the marker cluster', (m) => eventsOf(m, 'c').find((e) => e.object.id === marker.json.id));
    expect(JSON.stringify(adminSub.messages.filter((m) => m.id === 'u'))).not.toContain('afterstop');
    adminSub.close();
    bobSub.close();
  });

  test('k8s watch through a cluster: kubectl changes arrive batched as ADDED/MODIFIED/DELETED; downstream RBAC refuses with 403; an expired resourceVersion resyncs', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'uiwatch' })]);
    const admin = await adminToken(server);
    const adminId = (await server.call('/v3/users?username=admin', { token: admin })).json.data[0].id as string;
    const clusterId = await registerDirect(server, admin, cp, 'uiwatch');
    await kubectl(
      cp,
      'create',
      'clusterrolebinding',
      'corral-admin',
      '--clusterrole=cluster-admin',
      `--user=${adminId}`,
    );
    await kubectl(cp, 'create', 'namespace', 'live');
    const bobId = await createUser(server, admin, 'bob');
    await server.call('/v3/clusterRoleTemplateBindings', {
      token: admin,
      body: { clusterId, userId: bobId, roleTemplateId: 'cluster-member' },
    });
    const bob = await server.login('bob', 'bob-password-123');

    const path = '/api/v1/namespaces/live/configmaps';
    const list = await eventually(async () => {
      const r = await server.call(`/k8s/clusters/${clusterId}${path}?limit=500`, { token: admin });
      if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
      return r.json;
    }, 'the configmap list');
    const rv = list.metadata.resourceVersion as string;

    const sub = await subscribe(server, bearer(admin));
    sub.send({ op: 'watch', id: 'cm', target: { kind: 'k8s', cluster: clusterId, path }, resourceVersion: rv });
    await kubectl(cp, 'create', 'configmap', 'one', '-n', 'live', '--from-literal=a=1');
    await kubectl(cp, 'patch', 'configmap', 'one', '-n', 'live', '-p', '{"data":{"a":"2"}}');
    await kubectl(cp, 'delete', 'configmap', 'one', '-n', 'live');
    const seen = await sub.until('ADDED, MODIFIED, DELETED of configmap one', (m) => {
      const events = eventsOf(m, 'cm').filter((e) => e.object.metadata.name === 'one');
      return events.length >= 3 ? events : undefined;
    });
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(seen[1]!.object.data).toEqual({ a: '2' });
    expect(seen[0]!.object.kind).toBe('ConfigMap');

    // Batching: twenty creations replayed from the old version come in fewer messages than events.
    for (let i = 0; i < 20; i++) await kubectl(cp, 'create', 'configmap', `many-${i}`, '-n', 'live');
    sub.send({ op: 'watch', id: 'replay', target: { kind: 'k8s', cluster: clusterId, path }, resourceVersion: rv });
    await sub.until(
      'the replayed creations',
      (m) =>
        eventsOf(m, 'replay').filter((e) => e.type === 'ADDED' && e.object.metadata.name.startsWith('many-')).length ===
        20,
    );
    expect(sub.messages.filter((m) => m.id === 'replay' && m.events).length).toBeLessThan(20);

    // A label selector narrows the watch, as on the cluster itself.
    sub.send({
      op: 'watch',
      id: 'sel',
      target: { kind: 'k8s', cluster: clusterId, path, labelSelector: 'pick=yes' },
      resourceVersion: rv,
    });
    await kubectl(cp, 'create', 'configmap', 'picked', '-n', 'live');
    await kubectl(cp, 'label', 'configmap', 'picked', '-n', 'live', 'pick=yes');
    await sub.until('the picked configmap', (m) => eventsOf(m, 'sel').find((e) => e.object.metadata.name === 'picked'));
    expect(eventsOf(sub.messages, 'sel').every((e) => e.object.metadata.labels?.pick === 'yes')).toBe(true);

    // Bob has no rights in the cluster itself: the cluster says no, as it would to kubectl.
    const bobSub = await subscribe(server, bearer(bob));
    bobSub.send({ op: 'watch', id: 'cm', target: { kind: 'k8s', cluster: clusterId, path }, resourceVersion: rv });
    const forbidden = await bobSub.until('a refusal', (m) => m.find((x) => x.id === 'cm' && x.error));
    expect(forbidden.error).toMatchObject({ status: 403, code: 'PermissionDenied' });
    expect(forbidden.error!.message).toContain(`User "${bobId}"`);
    // Unknown clusters and malformed paths are refused too.
    bobSub.send({ op: 'watch', id: 'x', target: { kind: 'k8s', cluster: 'c-nope0', path } });
    bobSub.send({ op: 'watch', id: 'y', target: { kind: 'k8s', cluster: clusterId, path: '/api/v1/../../v3' } });
    const unknown = await bobSub.until('unknown cluster', (m) => m.find((x) => x.id === 'x' && x.error));
    expect(unknown.error!.status).toBe(404);
    const malformed = await bobSub.until('malformed path', (m) => m.find((x) => x.id === 'y' && x.error));
    expect(malformed.error!.status).toBe(422);

    // Once the cluster's watch window has moved past an old version (kube-apiserver's watch cache
    // keeps a bounded window, grown only for recent events), a watch from it is 410 Gone and the
    // client is told to list again. Writes move the window; the apiserver decides when, so keep
    // writing until it says so.
    let round = 0;
    const probe = await subscribe(server, bearer(admin));
    const stale = await eventually(
      async () => {
        round++;
        await kubectl(cp, 'create', 'configmap', `churn-${round}`, '-n', 'live');
        const id = `old-${round}`;
        probe.messages.length = 0;
        probe.send({ op: 'watch', id, target: { kind: 'k8s', cluster: clusterId, path }, resourceVersion: rv });
        const end = await probe.until('the watch to start', (m) =>
          m.find((x) => x.id === id && (x.resync || x.error || x.events)),
        );
        probe.send({ op: 'stop', id });
        if (!end.resync) throw new Error('the old version is still in the window');
        return end;
      },
      'an old resourceVersion to be gone',
      240_000,
    );
    expect(stale.reason).toContain('410');
    probe.close();
    sub.close();
    bobSub.close();
  }, 360_000);

  test('a client that stops reading loses its watch with a resync instead of the server buffering without bound', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'uislow' })]);
    const admin = await adminToken(server);
    const adminId = (await server.call('/v3/users?username=admin', { token: admin })).json.data[0].id as string;
    const clusterId = await registerDirect(server, admin, cp, 'uislow');
    await kubectl(
      cp,
      'create',
      'clusterrolebinding',
      'corral-admin',
      '--clusterrole=cluster-admin',
      `--user=${adminId}`,
    );
    await kubectl(cp, 'create', 'namespace', 'big');
    const path = '/api/v1/namespaces/big/configmaps';
    const rv = (await server.call(`/k8s/clusters/${clusterId}${path}`, { token: admin })).json.metadata
      .resourceVersion as string;
    // 1,100 changes of 20 kB (22 MB): at least three batches (500 events at most each), and
    // whatever the split, those before the last are far more than the socket buffers of both ends
    // hold, so the last one finds the socket full.
    const file = join(await testDir('big'), 'configmaps.json');
    const data = { blob: 'x'.repeat(20 * 1024) };
    const items = Array.from({ length: 1100 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `big-${i}`, namespace: 'big' },
      data,
    }));
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    await kubectl(cp, 'create', '-f', file);
    // The client cannot see anything while it does not read; the cluster can: its count of open
    // namespaced configmap watches goes up when the server starts this one and down when it gives up.
    const watchesOnCluster = async () => {
      const metrics = (await kubectl(cp, 'get', '--raw', '/metrics')).stdout;
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith('apiserver_longrunning_requests{') &&
            l.includes('resource="configmaps"') &&
            l.includes('scope="namespace"') &&
            l.includes('verb="WATCH"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await watchesOnCluster();
    const sub = await subscribe(server, bearer(admin));
    sub.pause();
    sub.send({ op: 'watch', id: 'big', target: { kind: 'k8s', cluster: clusterId, path }, resourceVersion: rv });
    await eventually(async () => {
      if ((await watchesOnCluster()) <= before) throw new Error('not started');
    }, 'the watch to start on the cluster');
    await eventually(async () => {
      if ((await watchesOnCluster()) > before) throw new Error('still open');
    }, 'the server to give the watch up');
    sub.resume();
    const end = await sub.until('a resync', (m) => m.find((x) => x.id === 'big' && (x.resync || x.error)));
    expect(end.resync).toBe(true);
    expect(end.reason).toContain('not reading fast enough');
    // What was sent before arrived whole; the watch was not continued behind the client's back.
    const names = eventsOf(sub.messages, 'big').map((e) => e.object.metadata.name as string);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(1100);
    sub.close();
  });

  test("when a cluster's agent connection drops its watches resync, and once it is back a new watch works", async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'uiagent' })]);
    const admin = await adminToken(server);
    const adminId = (await server.call('/v3/users?username=admin', { token: admin })).json.data[0].id as string;
    const imported = await importWithAgent(server, admin, cp, 'uiagent');
    const clusterId = imported.clusterId;
    await kubectl(
      cp,
      'create',
      'clusterrolebinding',
      'corral-admin',
      '--clusterrole=cluster-admin',
      `--user=${adminId}`,
    );
    const path = '/api/v1/namespaces/default/configmaps';
    const listRv = async () =>
      eventually(async () => {
        const r = await server.call(`/k8s/clusters/${clusterId}${path}`, { token: admin });
        if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
        return r.json.metadata.resourceVersion as string;
      }, 'the configmap list');
    const sub = await subscribe(server, bearer(admin));
    sub.send({
      op: 'watch',
      id: 'a',
      target: { kind: 'k8s', cluster: clusterId, path },
      resourceVersion: await listRv(),
    });
    await kubectl(cp, 'create', 'configmap', 'before', '-n', 'default');
    await sub.until('the first configmap', (m) => eventsOf(m, 'a').find((e) => e.object.metadata.name === 'before'));

    await imported.killAgent();
    const end = await sub.until('a resync', (m) => m.find((x) => x.id === 'a' && (x.resync || x.error)));
    expect(end.resync).toBe(true);
    expect(end.reason).toContain('connection');
    // While it is away, a new watch is refused as unavailable rather than left hanging.
    sub.send({ op: 'watch', id: 'away', target: { kind: 'k8s', cluster: clusterId, path } });
    const away = await sub.until('a refusal', (m) => m.find((x) => x.id === 'away' && x.error));
    expect(away.error!.status).toBe(503);

    await imported.startAgent();
    await waitForState(server, admin, clusterId, 'active');
    sub.send({
      op: 'watch',
      id: 'a',
      target: { kind: 'k8s', cluster: clusterId, path },
      resourceVersion: await listRv(),
    });
    await kubectl(cp, 'create', 'configmap', 'after', '-n', 'default');
    await sub.until('the configmap made after the reconnection', (m) =>
      eventsOf(m, 'a').find((e) => e.object.metadata.name === 'after'),
    );
    sub.close();
  });

  test('v3 watch from a compacted store revision (etcd store) resyncs', async () => {
    const etcd = await startTestEtcd();
    const server = await startTestServer({ args: etcd.serverArgs });
    const admin = await adminToken(server);
    const old = (await server.call('/v3/clusters', { token: admin })).json.revision as string;
    await server.call('/v3/clusters', { token: admin, body: { name: 'after' } });
    await compactEtcd(etcd.endpoint, { ca: etcd.caFile, cert: etcd.certFile, key: etcd.keyFile });
    const sub = await subscribe(server, bearer(admin));
    sub.send({ op: 'watch', id: 'c', target: { kind: 'v3', type: 'cluster' }, resourceVersion: old });
    const end = await sub.until('a resync', (m) => m.find((x) => x.id === 'c' && (x.resync || x.error)));
    expect(end.resync).toBe(true);
    expect(end.reason).toContain('compacted');
    // The new list's revision works.
    const now = (await server.call('/v3/clusters', { token: admin })).json.revision as string;
    sub.send({ op: 'watch', id: 'c2', target: { kind: 'v3', type: 'cluster' }, resourceVersion: now });
    const later = await server.call('/v3/clusters', { token: admin, body: { name: 'later' } });
    await sub.until('the new cluster', (m) => eventsOf(m, 'c2').find((e) => e.object.id === later.json.id));
    sub.close();
    await etcd.stop();
  });

  test('the upgrade is refused without credentials, from another origin with a cookie, and before the password change', async () => {
    const server = await startTestServer();
    expect(await refusal(subscribe(server, {}))).toBe(401);
    expect(await refusal(subscribe(server, bearer('token-abcde:wrongsecret')))).toBe(401);
    const first = await server.login('admin', 'admin-password-for-tests');
    expect(await refusal(subscribe(server, bearer(first)))).toBe(403);
    await adminToken(server);
    const cookie = await cookieFor(server, 'admin', 'admin-password-changed-1');
    expect(await refusal(subscribe(server, { cookie, origin: 'https://evil.example' }))).toBe(403);
    // From the server's own origin the same cookie is welcome, and so is a bearer token from anywhere.
    expect(await refusal(subscribe(server, { cookie, origin: new URL(server.url).origin }))).toBe(101);
    expect(await refusal(subscribe(server, { ...bearer(first), origin: 'https://elsewhere.example' }))).toBe(101);

    // A socket does not outlive its session: after logout, the next watch ends the socket.
    const sub = await subscribe(server, bearer(first));
    expect((await server.call('/v3/tokens?action=logout', { token: first, body: {} })).status).toBe(200);
    sub.send({ op: 'watch', id: 'u', target: { kind: 'k8s', cluster: 'c-any00', path: '/api/v1/pods' } });
    await sub.until('the socket to be ended', (m) => m.find((x) => !x.id && x.error?.status === 401));
  });
});

/** A tiny built UI: an index page, a hashed script big enough to compress, and a favicon. */
async function tinyDist(): Promise<{ dir: string; script: string }> {
  const base = await testDir('ui');
  const dir = join(base, 'dist');
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(base, 'outside-secret.txt'), 'do not serve me');
  // The page lists clusters, then watches them live over /v3/subscribe, as the SPA does.
  const script = `// ${'padding so the file is worth compressing. '.repeat(40)}
const out = document.getElementById('out');
const log = (t) => { const li = document.createElement('li'); li.textContent = t; out.appendChild(li); };
document.getElementById('status').textContent = 'script ran';
fetch('/v3/clusters').then((r) => r.json()).then((list) => {
  const ws = new WebSocket('wss://' + location.host + '/v3/subscribe');
  ws.onopen = () => {
    ws.send(JSON.stringify({ op: 'watch', id: 'c', target: { kind: 'v3', type: 'cluster' }, resourceVersion: list.revision }));
    document.getElementById('status').textContent = 'watching';
  };
  ws.onmessage = (m) => { const msg = JSON.parse(m.data); for (const e of msg.events || []) log(e.type + ' ' + e.object.name); };
});
`;
  await writeFile(join(dir, 'assets', 'app-3f9a1c.js'), script);
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>Corral test page</title><script type="module" src="/assets/app-3f9a1c.js"></script></head>' +
      '<body><p id="status">loading</p><ul id="out"></ul></body></html>',
  );
  await writeFile(join(dir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  return { dir, script };
}

/** A GET with the path sent exactly as given (no client-side normalisation of dot segments). */
function rawGet(server: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, any>; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, ca: server.ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web UI files', () => {
  test('served with SPA fallback, caching, compression and security headers; API paths are not shadowed; traversal refused', async () => {
    const { dir, script } = await tinyDist();
    const server = await startTestServer({ env: { CORRAL_UI_DIR: dir } });

    const index = await rawGet(server, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.body.toString()).toContain('Corral test page');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['referrer-policy']).toBe('same-origin');

    // Client-side routes get the page.
    for (const route of ['/c/x/y', '/clusters', '/c/c-abcde/explorer/pods?ns=default']) {
      const r = await rawGet(server, route);
      expect(r.status, route).toBe(200);
      expect(r.body.toString(), route).toContain('Corral test page');
    }

    // Hashed assets: long cache, compressed for clients that accept it.
    const plain = await rawGet(server, '/assets/app-3f9a1c.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toContain('text/javascript');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    const gz = await rawGet(server, '/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.body.length).toBeLessThan(Buffer.byteLength(script));
    expect(gunzipSync(gz.body).toString()).toBe(script);
    const br = await rawGet(server, '/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    // A precompressed file from the build is sent as it is.
    await writeFile(join(dir, 'assets', 'app-3f9a1c.js.gz'), gzipSync('precompressed by the build'));
    const pre = await rawGet(server, '/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(pre.body).toString()).toBe('precompressed by the build');
    // HEAD: the same headers, no body; revalidation with the ETag.
    const head = await rawGet(server, '/assets/app-3f9a1c.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(script)));
    expect(head.body.length).toBe(0);
    const again = await rawGet(server, '/assets/app-3f9a1c.js', { 'if-none-match': plain.headers.etag });
    expect(again.status).toBe(304);
    // A missing hashed asset is a 404, never the page.
    expect((await rawGet(server, '/assets/app-000000.js')).status).toBe(404);
    const icon = await rawGet(server, '/favicon.ico');
    expect(icon.headers['content-type']).toBe('image/x-icon');
    expect(icon.headers['cache-control']).toBe('no-cache');

    // API paths answer as the API, whatever the UI folder holds.
    expect((await rawGet(server, '/healthz')).body.toString()).toBe('ok');
    const v3 = await rawGet(server, '/v3/nosuchtype');
    expect(v3.status).toBe(401);
    expect(v3.headers['content-type']).toBe('application/json');
    expect((await rawGet(server, '/v3-public/nothing')).headers['content-type']).toBe('application/json');
    expect((await rawGet(server, '/k8s/clusters/c-abcde/api')).status).toBe(401);
    expect((await rawGet(server, '/metrics')).status).toBe(401);
    expect((await rawGet(server, '/cacerts')).body.toString()).toContain('BEGIN CERTIFICATE');
    expect((await rawGet(server, '/v3-public/authProviders')).headers['content-type']).toBe('application/json');

    // Nothing outside the folder is served, however the path is spelled.
    for (const path of [
      '/../outside-secret.txt',
      '/%2e%2e/outside-secret.txt',
      '/assets/..%2f..%2foutside-secret.txt',
      '/..%5coutside-secret.txt',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd',
      '/assets/%00.js',
    ]) {
      const r = await rawGet(server, path);
      expect(r.body.toString(), path).not.toContain('do not serve me');
      expect(r.body.toString(), path).not.toContain('root:');
      // Either refused, or normalised by URL parsing into a path inside the folder (the page).
      expect(r.status === 404 || r.body.toString().includes('Corral test page'), path).toBe(true);
    }
  });

  test('without a built UI the page says how to build it, and the API still works', async () => {
    const server = await startTestServer({ env: { CORRAL_UI_DIR: join(await testDir('nodist'), 'missing') } });
    const r = await rawGet(server, '/');
    expect(r.status).toBe(503);
    expect(r.body.toString()).toContain('the web UI is not built: run npm run build:ui');
    expect((await rawGet(server, '/healthz')).status).toBe(200);
  });

  test('Chromium loads the page from the server, and its live socket shows a cluster created meanwhile', async () => {
    const { dir } = await tinyDist();
    const ui = await startUiServer({ env: { CORRAL_UI_DIR: dir } });
    const { context, page, errors } = await launchBrowser({ baseURL: ui.url });
    await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
    await page.goto('/c/local/anything');
    // The page listed clusters and asked to watch from the list's revision: what is created now shows up.
    await page.getByText('watching').waitFor();
    expect(await page.title()).toBe('Corral test page');
    const created = await ui.server.call('/v3/clusters', { token: ui.adminToken, body: { name: 'from-the-api' } });
    expect(created.status).toBe(201);
    await page.getByText('ADDED from-the-api').waitFor();
    const shot = await screenshot(page, 'ui-server-smoke');
    expect(shot).toMatch(/artifacts\/screenshots\/ui-server-smoke\.png$/);
    expect(errors).toEqual([]);
  });
});
