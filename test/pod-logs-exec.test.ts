import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { ControlPlane } from '../src/localcluster/control-plane.js';
import { loggedInCli } from './helpers/cli.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

// Pod logs with their options and exec over a WebSocket, through Corral's proxy as the user, against
// a real kube-apiserver whose kwok node serves logs (a fixed file) and exec (a local process).

let server: TestServer;
let cp: ControlPlane;
let clusterId: string;
let admin: string;
let bob: { id: string; token: string };

const POD = `apiVersion: v1
kind: Pod
metadata: {name: talk, namespace: default}
spec:
  initContainers: [{name: setup, image: busybox}]
  containers: [{name: app, image: busybox}, {name: side, image: busybox}]
`;

beforeAll(async () => {
  [server, cp] = await Promise.all([
    startTestServer({ manual: true }),
    startTestControlPlane({ name: 'logs', nodes: 1, podLogsAndExec: true, manual: true }),
  ]);
  admin = await adminToken(server);
  clusterId = await registerDirect(server, admin, cp, 'logs');
  const dir = await testDir('pod');
  await writeFile(join(dir, 'pod.yaml'), POD);
  // The default ServiceAccount comes a moment after the namespace.
  await eventually(() => kubectl(cp, 'apply', '-f', join(dir, 'pod.yaml')), 'the pod to be created');
  await eventually(async () => {
    const phase = (await kubectl(cp, 'get', 'pod', 'talk', '-o', 'jsonpath={.status.phase}')).stdout;
    if (phase !== 'Running') throw new Error(`phase ${phase}`);
  }, 'the pod to run');
  const created = await server.call('/v3/users', {
    token: admin,
    body: { username: 'bob', password: 'bob-password-123' },
  });
  bob = { id: String(created.json.id), token: await server.login('bob', 'bob-password-123') };
  // A member of the cluster in Corral, with no rights on pods in Kubernetes yet.
  await server.call('/v3/clusterRoleTemplateBindings', {
    token: admin,
    body: { clusterId, userId: bob.id, roleTemplateId: 'cluster-member' },
  });
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  await server?.stop();
});

const logPath = (query: string) => `/k8s/clusters/${clusterId}/api/v1/namespaces/default/pods/talk/log?${query}`;

describe('pod logs through the proxy', () => {
  test('container choice (app and init), tail lines, timestamps; a pod of several containers needs one named', async () => {
    const none = await server.call(logPath(''), { token: admin });
    expect(none.status).toBe(400);
    expect(none.json.message).toContain('a container name must be specified');
    expect(none.json.message).toContain('app side');

    const all = await server.call(logPath('container=app'), { token: admin });
    expect(all.status).toBe(200);
    expect(all.text).toBe('kwok pod log line 1\nkwok pod log line 2\n');
    const last = await server.call(logPath('container=app&tailLines=1'), { token: admin });
    expect(last.text).toBe('kwok pod log line 2\n');
    const stamped = await server.call(logPath('container=side&tailLines=1&timestamps=true'), { token: admin });
    expect(stamped.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z kwok pod log line 2\n$/);
    const init = await server.call(logPath('container=setup&tailLines=1'), { token: admin });
    expect(init.status).toBe(200);
    expect(init.text).toBe('kwok pod log line 2\n');
    const wrong = await server.call(logPath('container=nope'), { token: admin });
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toContain('container nope is not valid for pod talk');
  });

  test('follow streams and stays open until the client leaves', async () => {
    const abort = new AbortController();
    const res = await server.client(admin).stream(logPath('container=app&follow=true'), abort.signal);
    let text = '';
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('line 2')) resolve();
      });
      res.on('end', () => reject(new Error(`the stream ended: ${text}`)));
      res.on('error', reject);
    });
    expect(res.readableEnded).toBe(false);
    abort.abort();
    expect(text).toBe('kwok pod log line 1\nkwok pod log line 2\n');
  });

  test('as the user: 403 without pods/log, in words from the CLI; allowed once the cluster grants it', async () => {
    const denied = await server.call(logPath('container=app'), {
      token: bob.token,
      headers: { 'impersonate-user': 'admin', 'impersonate-group': 'system:masters' },
    });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toContain(`User "${bob.id}" cannot get resource "pods/log"`);

    const { run: cli } = await loggedInCli(server, { admin, bob: bob.token }, await testDir('cli-logs'));

    const asAdmin = ['--server', 'admin', '--cluster', 'logs'];
    const tail = await cli(['logs', 'talk', '-c', 'app', '--tail', '1', '--timestamps', ...asAdmin]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toMatch(/^\S+Z kwok pod log line 2\n$/);
    const init = await cli(['logs', 'talk', '-n', 'default', '-c', 'setup', ...asAdmin]);
    expect(init.stdout).toBe('kwok pod log line 1\nkwok pod log line 2\n');
    const bad = await cli(['logs', 'talk', '-c', 'app', '--tail', 'x', ...asAdmin]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--tail takes a number of lines');
    const both = await cli(['logs', 'talk', '-c', 'app', '-f', '-p', ...asAdmin]);
    expect(both.stderr).toContain('--follow and --previous do not go together');
    const help = await cli(['logs', '--help']);
    expect(help.stdout).toContain('--previous');

    const asBob = ['--server', 'bob', '--cluster', clusterId];
    const refused = await cli(['logs', 'talk', '-c', 'app', ...asBob]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('your roles in cluster logs do not allow reading the logs of pod default/talk');

    await kubectl(cp, 'create', 'role', 'log-reader', '--verb=get', '--resource=pods,pods/log', '-n', 'default');
    await kubectl(cp, 'create', 'rolebinding', 'bob-logs', '--role=log-reader', `--user=${bob.id}`, '-n', 'default');
    const allowed = await eventually(async () => {
      const r = await cli(['logs', 'talk', '-c', 'app', '--tail', '1', ...asBob]);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    }, 'bob to read the logs');
    expect(allowed).toBe('kwok pod log line 2\n');
  });
});

interface ExecResult {
  status: number;
  protocol?: string;
  stdout: string;
  /** The final Status on channel 3. */
  final?: { status?: string; message?: string };
  /** The refusal's body when the upgrade was refused. */
  refusal?: { message?: string };
}

/** One exec over a WebSocket through the proxy, in Kubernetes' channel protocol. */
function exec(token: string, command: string[], opts: { headers?: Record<string, string>; stdin?: string[] } = {}) {
  const q = new URLSearchParams({ container: 'app', stdout: 'true', stderr: 'true' });
  if (opts.stdin) q.set('stdin', 'true');
  for (const c of command) q.append('command', c);
  const url = `${server.url.replace('https', 'wss')}/k8s/clusters/${clusterId}/api/v1/namespaces/default/pods/talk/exec?${q}`;
  return new Promise<ExecResult>((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      ca: server.ca,
      headers: { authorization: `Bearer ${token}`, ...opts.headers },
    });
    const result: ExecResult = { status: 101, stdout: '' };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, stdout: '', refusal: JSON.parse(body) }));
    });
    ws.on('open', () => {
      result.protocol = ws.protocol;
      for (const line of opts.stdin ?? []) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(line)]));
    });
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) result.stdout += data.subarray(1).toString();
      if (data[0] === 3) result.final = JSON.parse(data.subarray(1).toString());
    });
    ws.on('close', () => resolve(result));
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('exec over a WebSocket through the proxy', () => {
  test('runs a command in the chosen container and returns its output and final status (v5 channel protocol)', async () => {
    const r = await exec(admin, ['echo', 'hello-from-exec']);
    expect(r.status).toBe(101);
    expect(r.protocol).toBe('v5.channel.k8s.io');
    expect(r.stdout).toBe('hello-from-exec\n');
    expect(r.final?.status).toBe('Success');

    // stdin reaches the process (channel 0).
    const cat = await exec(admin, ['sh', '-c', 'read line; echo "got $line"'], { stdin: ['typed-in\n'] });
    expect(cat.stdout).toBe('got typed-in\n');
  });

  test('runs as the user: refused without pods/exec, in words, whatever Impersonate-* the client sends', async () => {
    const spoofs: Record<string, string>[] = [
      {},
      { 'impersonate-user': 'admin', 'impersonate-group': 'system:masters' },
      { 'impersonate-user': 'admin', connection: 'Upgrade, Impersonate-User' },
    ];
    for (const headers of spoofs) {
      const r = await exec(bob.token, ['echo', 'x'], { headers });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      // WebSocket upgrades are GETs: the API server asks for get (and, where so configured, create) on pods/exec.
      expect(r.refusal?.message).toMatch(new RegExp(`User "${bob.id}" cannot (get|create) resource "pods/exec"`));
      expect(r.refusal?.message).toContain('in the namespace "default"');
    }
    await kubectl(cp, 'create', 'role', 'exec', '--verb=create,get', '--resource=pods,pods/exec', '-n', 'default');
    await kubectl(cp, 'create', 'rolebinding', 'bob-exec', '--role=exec', `--user=${bob.id}`, '-n', 'default');
    const allowed = await eventually(async () => {
      const r = await exec(bob.token, ['echo', 'bob-was-here']);
      if (r.status !== 101) throw new Error(JSON.stringify(r));
      return r;
    }, 'bob to exec');
    expect(allowed.stdout).toBe('bob-was-here\n');
  });
});
