import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { generatedKubeconfig, importWithAgent, kubectlWith, registerDirect, waitForState } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

async function userId(
  server: Awaited<ReturnType<typeof startTestServer>>,
  token: string,
  username: string,
): Promise<string> {
  const r = await server.call(`/v3/users?username=${username}`, { token });
  return r.json.data[0].id;
}

describe('clusters', () => {
  test('two imported with the agent and one registered directly: kubectl through the proxy lists, creates and streams', async () => {
    const [server, cpA, cpB, cpC] = await Promise.all([
      startTestServer(),
      startTestControlPlane({ name: 'alpha', nodes: 1, podLogsAndExec: true }),
      startTestControlPlane({ name: 'beta' }),
      startTestControlPlane({ name: 'gamma', nodes: 1, podLogsAndExec: true }),
    ]);
    const admin = await adminToken(server);
    const adminId = await userId(server, admin, 'admin');
    const [a, b] = await Promise.all([
      importWithAgent(server, admin, cpA, 'alpha'),
      importWithAgent(server, admin, cpB, 'beta'),
    ]);
    const c = await registerDirect(server, admin, cpC, 'gamma');

    // The status comes from the cluster itself.
    const alpha = await server.call(`/v3/clusters/${a.clusterId}`, { token: admin });
    expect(alpha.json.version.gitVersion).toBe(cpA.versions.kubernetes);
    expect(alpha.json.nodeCount).toBe(1);
    expect(alpha.json.capacity).toMatchObject({ cpu: '32', pods: '110' });
    expect(alpha.json.conditions.map((x: { type: string; status: string }) => `${x.type}=${x.status}`)).toEqual([
      'Connected=True',
      'Ready=True',
    ]);
    expect(alpha.json.driver).toBe('imported');
    // A registered kubeconfig is never returned.
    const gamma = await server.call(`/v3/clusters/${c}`, { token: admin });
    expect(gamma.text).not.toContain('apiVersion: v1');
    expect(gamma.json.importedConfig).toBeUndefined();
    expect(gamma.json.driver).toBe('direct');

    for (const [cp, clusterId, agentNs] of [
      [cpA, a.clusterId, true],
      [cpB, b.clusterId, true],
      [cpC, c, false],
    ] as const) {
      // Downstream RBAC decides: give the admin's user id rights in the cluster itself.
      await kubectl(
        cp,
        'create',
        'clusterrolebinding',
        'corral-admin',
        '--clusterrole=cluster-admin',
        `--user=${adminId}`,
      );
      const kc = await generatedKubeconfig(server, admin, clusterId);
      expect(await readFile(kc, 'utf8')).toContain(`${server.url}/k8s/clusters/${clusterId}`);
      const ns = await eventually(async () => {
        const r = await kubectlWith(kc, 'get', 'ns', '-o', 'name');
        if (r.code !== 0) throw new Error(r.stderr);
        return r.stdout;
      }, `namespaces of ${clusterId}`);
      expect(ns).toContain('namespace/kube-system');
      expect(ns.includes('namespace/corral-system')).toBe(agentNs);
      const created = await kubectlWith(kc, 'create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=1');
      expect(created.code, created.stderr).toBe(0);
      expect((await kubectl(cp, 'get', 'deployment', 'web', '-o', 'name')).stdout.trim()).toBe('deployment.apps/web');
    }

    // A watch through the tunnel streams each event as it happens.
    const kcA = await generatedKubeconfig(server, admin, a.clusterId);
    const watch = spawn(
      await binaryPath('kubectl'),
      [`--kubeconfig=${kcA}`, 'get', 'configmaps', '-w', '-o', 'name', '-n', 'default'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let seen = '';
    watch.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await eventually(async () => {
        if (!seen.includes('configmap/kube-root-ca.crt')) throw new Error(seen);
      }, 'the initial list');
      for (const name of ['first', 'second', 'third']) {
        expect((await kubectlWith(kcA, 'create', 'configmap', name, '-n', 'default')).code).toBe(0);
        await eventually(async () => {
          if (!seen.includes(`configmap/${name}`)) throw new Error(seen);
        }, `the watch to show ${name} while still running`);
      }
      expect(watch.exitCode).toBe(null);
    } finally {
      watch.kill();
    }

    // kwok runs the Deployment's pods; logs (streamed) and exec (an upgraded connection) work
    // through the tunnel and through the direct path.
    for (const [clusterId, path] of [
      [a.clusterId, 'tunnel'],
      [c, 'direct'],
    ] as const) {
      const kc = await generatedKubeconfig(server, admin, clusterId);
      const pod = await eventually(async () => {
        const r = await kubectlWith(
          kc,
          'get',
          'pods',
          '-l',
          'app=web',
          '-o',
          'jsonpath={.items[0].metadata.name} {.items[0].status.phase}',
        );
        const [name, phase] = r.stdout.split(' ');
        if (phase !== 'Running') throw new Error(`${r.stdout} ${r.stderr}`);
        return name!;
      }, `the pod to run (${path})`);
      const logs = await kubectlWith(kc, 'logs', pod);
      expect(logs.stdout, `${path}: ${logs.stderr}`).toContain('kwok pod log line 2');
      const exec = await kubectlWith(kc, 'exec', pod, '--', 'echo', `exec-through-${path}`);
      expect(exec.stdout, `${path}: ${exec.stderr}`).toContain(`exec-through-${path}`);
    }
  });

  test("requests act as the user and nothing more: 403 until the cluster's own RBAC allows, spoofed identities ignored", async () => {
    const [server, cp] = await Promise.all([
      startTestServer(),
      startTestControlPlane({ name: 'ident', auditLog: true }),
    ]);
    const admin = await adminToken(server);
    const imported = await importWithAgent(server, admin, cp, 'ident');
    const bob = await server.call('/v3/users', {
      token: admin,
      body: { username: 'bob', password: 'bob-password-123' },
    });
    const bobId = bob.json.id as string;
    await server.call('/v3/clusterRoleTemplateBindings', {
      token: admin,
      body: { clusterId: imported.clusterId, userId: bobId, roleTemplateId: 'cluster-member' },
    });
    const bobToken = await server.login('bob', 'bob-password-123');
    const kc = await generatedKubeconfig(server, bobToken, imported.clusterId);

    const denied = await kubectlWith(kc, 'get', 'namespaces');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`User "${bobId}" cannot list resource "namespaces"`);

    // Spoofed identity headers, also named in Connection so that a naive proxy strips its own.
    const kcToken = (await readFile(kc, 'utf8')).match(/token: (\S+)/)![1]!;
    const spoofs: Record<string, string>[] = [
      { 'impersonate-user': 'admin', 'impersonate-group': 'system:masters' },
      { 'impersonate-user': 'admin', connection: 'Impersonate-User, Impersonate-Group, Impersonate-Extra-Username' },
      { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' },
    ];
    for (const headers of spoofs) {
      const r = await server.call(`/k8s/clusters/${imported.clusterId}/api/v1/namespaces/kube-system/secrets`, {
        token: kcToken,
        headers,
      });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.json.message).toContain(`User "${bobId}"`);
    }

    // The cluster's own RBAC grants, and the same request succeeds.
    await kubectl(cp, 'create', 'clusterrolebinding', 'bob-view', '--clusterrole=view', `--user=${bobId}`);
    const allowed = await eventually(async () => {
      const r = await kubectlWith(kc, 'get', 'namespaces', '-o', 'name');
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    }, 'bob to list namespaces');
    expect(allowed).toContain('namespace/default');
    expect((await kubectlWith(kc, 'get', 'secrets', '-n', 'kube-system')).code).not.toBe(0); // view has no secrets

    // The cluster's audit log: the agent's account made the call, impersonating bob.
    const audit = (await readFile(cp.auditLogPath!, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const bobs = audit.filter((e) => e.impersonatedUser?.username === bobId);
    expect(bobs.length).toBeGreaterThan(0);
    for (const e of bobs) {
      expect(e.user.username).toBe('system:serviceaccount:corral-system:corral-agent');
      expect(e.impersonatedUser.groups).toContain('system:authenticated');
      expect(e.impersonatedUser.extra.username).toEqual(['bob']);
    }
    expect(audit.some((e) => e.impersonatedUser?.username === 'admin')).toBe(false);

    // A kubeconfig token works only for its own cluster.
    const other = await server.call('/v3/clusters', { token: admin, body: { name: 'other' } });
    const elsewhere = await server.call(`/k8s/clusters/${other.json.id}/api/v1/namespaces`, { token: kcToken });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.json.message).toContain(`limited to cluster ${imported.clusterId}`);
  });

  test('an agent that dies makes the cluster unavailable with fast 503s, and it comes back by itself', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'faulty' })]);
    const admin = await adminToken(server);
    const imported = await importWithAgent(server, admin, cp, 'faulty');
    const adminId = await userId(server, admin, 'admin');
    await kubectl(
      cp,
      'create',
      'clusterrolebinding',
      'corral-admin',
      '--clusterrole=cluster-admin',
      `--user=${adminId}`,
    );
    const kc = await generatedKubeconfig(server, admin, imported.clusterId);

    // A watch in flight when the tunnel is cut ends instead of hanging.
    const watch = spawn(
      await binaryPath('kubectl'),
      [`--kubeconfig=${kc}`, 'get', 'configmaps', '-w', '-n', 'default'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const watchEnded = new Promise<number | null>((r) => watch.once('exit', r));
    let watchOut = '';
    watch.stdout.on('data', (d: Buffer) => (watchOut += d.toString()));
    await eventually(async () => {
      if (!watchOut.includes('kube-root-ca.crt')) throw new Error(watchOut);
    }, 'the watch to start');

    await imported.killAgent();
    await waitForState(server, admin, imported.clusterId, 'unavailable', 45_000);
    await watchEnded;
    const t0 = Date.now();
    const r = await server.call(`/k8s/clusters/${imported.clusterId}/api/v1/namespaces`, { token: admin });
    expect(r.status).toBe(503);
    expect(r.json.message).toContain(`cluster ${imported.clusterId} is unavailable`);
    expect(Date.now() - t0).toBeLessThan(5000); // fails fast rather than hanging

    await imported.startAgent();
    await waitForState(server, admin, imported.clusterId, 'active');
    expect((await kubectlWith(kc, 'get', 'ns', 'default', '-o', 'name')).stdout.trim()).toBe('namespace/default');
  });

  test('the agent reconnects after the server restarts, and a regenerated token shuts the old one out', async () => {
    const [server, cp] = await Promise.all([
      startTestServer({ manual: true }),
      startTestControlPlane({ name: 'restart' }),
    ]);
    const admin = await adminToken(server);
    const imported = await importWithAgent(server, admin, cp, 'restart');
    expect(await server.stop()).toBe(0);
    const again = await startTestServer({ dataDir: server.dataDir, port: server.port });
    await waitForState(again, admin, imported.clusterId, 'active');

    // Regenerate: the connected agent is cut off and cannot come back with the old token.
    const regs = await again.call(`/v3/clusterRegistrationTokens?clusterId=${imported.clusterId}`, { token: admin });
    const oldCommand = regs.json.data[0].command as string;
    const regen = await again.call(`/v3/clusterRegistrationTokens/${regs.json.data[0].id}?action=regenerate`, {
      token: admin,
      body: {},
    });
    expect(regen.status).toBe(200);
    expect(regen.json.command).not.toBe(oldCommand);
    await waitForState(again, admin, imported.clusterId, 'unavailable', 45_000);
    await eventually(async () => {
      if (!imported.agentLog().includes('registration token is not valid'))
        throw new Error(imported.agentLog().slice(-500));
    }, 'the agent to be refused');
    const oldManifest = await again.call(new URL(oldCommand.split(' ').pop()!).pathname);
    expect(oldManifest.status).toBe(404);
    const newManifest = await again.call(new URL(regen.json.manifestUrl).pathname);
    expect(newManifest.status).toBe(200);
    expect(newManifest.text).toContain('kind: Deployment');
  });

  test('deleting a cluster removes the agent from it, and its tokens and bindings from the server', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'doomed' })]);
    const admin = await adminToken(server);
    const imported = await importWithAgent(server, admin, cp, 'doomed');
    const kcToken = (await readFile(await generatedKubeconfig(server, admin, imported.clusterId), 'utf8')).match(
      /token: (\S+)/,
    )![1]!;
    const del = await server.call(`/v3/clusters/${imported.clusterId}`, { method: 'DELETE', token: admin });
    expect(del.status, del.text).toBe(200);
    await eventually(async () => {
      const r = await kubectl(cp, 'get', 'ns', 'corral-system', '-o', 'jsonpath={.status.phase}').catch((e) => ({
        stdout: String(e.stderr),
      }));
      if (!r.stdout.includes('NotFound')) throw new Error(r.stdout);
    }, 'the agent namespace to be gone');
    // The garbage collector removes the cluster-wide RBAC the namespace owned.
    await eventually(async () => {
      const left = await kubectl(
        cp,
        'get',
        'clusterrolebindings,clusterroles',
        '-l',
        'corral.io/managed=true',
        '-o',
        'name',
      );
      if (left.stdout.trim() !== '') throw new Error(left.stdout);
    }, 'the agent RBAC to be collected');
    expect(
      (await server.call(`/v3/clusterRoleTemplateBindings?clusterId=${imported.clusterId}`, { token: admin })).json
        .data,
    ).toEqual([]);
    expect((await server.call('/v3/users', { token: kcToken })).status).toBe(401);
  });
});

describe('the proxy and browsers', () => {
  test('a cookie-authenticated WebSocket upgrade from another origin is refused; from the server origin it is forwarded', async () => {
    const { request } = await import('node:https');
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'origin' })]);
    const admin = await adminToken(server);
    const clusterId = await registerDirect(server, admin, cp, 'origin');
    const login = await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'admin', password: 'admin-password-changed-1', responseType: 'cookie' },
    });
    const cookie = ([] as string[])
      .concat(login.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const upgrade = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          new URL(
            `/k8s/clusters/${clusterId}/api/v1/namespaces/default/pods/none/exec?command=ls&stdout=1`,
            server.url,
          ),
          {
            ca: server.ca,
            headers: {
              cookie,
              origin,
              connection: 'Upgrade',
              upgrade: 'websocket',
              'sec-websocket-version': '13',
              'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
              'sec-websocket-protocol': 'v5.channel.k8s.io',
            },
          },
        );
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade('https://evil.example')).toBe(403);
    // From the server's own origin the upgrade reaches the cluster, whose answer (no such pod) comes back.
    expect(await upgrade(new URL(server.url).origin)).toBe(404);
  });
});
