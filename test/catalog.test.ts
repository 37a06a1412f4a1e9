import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { freePort } from '../src/localcluster/ports.js';
import { corral } from './helpers/cli.js';
import { gitRepo, makeChart, packageInto, QUESTIONS, serveHttps } from './helpers/chart-repo.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { generatedKubeconfig, importWithAgent, kubectlWith } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

export async function newUser(server: TestServer, admin: string, username: string) {
  const r = await server.call('/v3/users', { token: admin, body: { username, password: `${username}-password-1` } });
  expect(r.status, r.text).toBe(201);
  return { id: r.json.id as string, token: await server.login(username, `${username}-password-1`) };
}

/** Waits until a catalog's last sync attempt ended in `state`, returning the catalog. */
export function synced(server: TestServer, token: string, path: string, state: string, after = '') {
  return eventually(async () => {
    const r = await server.call(path, { token });
    const c = r.json;
    if (c.state !== state || !c.lastAttempt || c.lastAttempt <= after)
      throw new Error(`${path}: ${c.state} ${c.message ?? ''} ${c.lastAttempt ?? ''}`);
    return c;
  }, `${path} to sync as ${state}`);
}

describe('catalogs', () => {
  test('helm repositories over HTTPS, private ones, git; templates, questions, refresh; errors keep the last good templates', async () => {
    const work = await testDir('charts');
    const repo = join(work, 'www');
    const demo1 = await makeChart(join(work, 'src1'), {
      name: 'demo',
      version: '0.1.0',
      appReadme: 'Demo is a web server.',
      questions: QUESTIONS,
    });
    const demo2 = await makeChart(join(work, 'src2'), { name: 'demo', version: '0.2.0', questions: QUESTIONS });
    const bad = await makeChart(join(work, 'src3'), {
      name: 'badq',
      version: '1.0.0',
      questions: 'questions:\n- variable: x\n  type: colour\n',
    });
    await packageInto(repo, [demo1, demo2, bad]);
    await packageInto(join(repo, 'private'), [demo1]);
    const https = await serveHttps(repo, { username: 'reader', password: 'repo-secret-pass' });
    const server = await startTestServer({ env: { NODE_EXTRA_CA_CERTS: https.caFile } });
    const admin = await adminToken(server);

    // A public HTTPS repository.
    const created = await server.call('/v3/catalogs', { token: admin, body: { name: 'lib', url: https.url } });
    expect(created.status, created.text).toBe(201);
    const lib = await synced(server, admin, '/v3/catalogs/lib', 'active');
    expect(lib.templateCount).toBe(2);
    // The bad questions.yml is named, with what is wrong; the rest of the catalog syncs.
    expect(lib.message).toMatch(/badq 1\.0\.0: questions\.yml: questions\[0\] \(x\): unknown type "colour"/);
    const t = (await server.call('/v3/templates/lib-demo', { token: admin })).json;
    expect(t.defaultVersion).toBe('0.2.0');
    expect(t.versions.map((v: { version: string }) => v.version)).toEqual(['0.2.0', '0.1.0']);
    expect(t.description).toBe('The demo chart');
    const tv = (await server.call('/v3/templateVersions/lib-demo-0.1.0', { token: admin })).json;
    expect(tv.externalId).toBe('catalog://?catalog=lib&template=demo&version=0.1.0');
    expect(tv.readme).toContain('The README of demo 0.1.0');
    expect(tv.appReadme).toBe('Demo is a web server.');
    expect(tv.questions[0]).toMatchObject({ variable: 'replicaCount', type: 'int', required: true, default: '1' });
    expect(tv.questions[1].subquestions[0].variable).toBe('service.port');
    expect(tv.questions[2].show_if).toBe('service.enabled=true');
    const badTv = (await server.call('/v3/templateVersions/lib-badq-1.0.0', { token: admin })).json;
    expect(badTv.questionsError).toMatch(/unknown type "colour"/);
    // Every user reads global templates; only catalog managers add catalogs.
    const bob = await newUser(server, admin, 'bob');
    expect((await server.call('/v3/templates?catalogId=lib', { token: bob.token })).json.data.length).toBe(2);
    const refused = await server.call('/v3/catalogs', { token: bob.token, body: { name: 'mine', url: https.url } });
    expect(refused.status).toBe(403);

    // A private repository: wrong password → a clear error; the right one → synced; never returned.
    const priv = await server.call('/v3/catalogs', {
      token: admin,
      body: { name: 'priv', url: `${https.url}/private`, username: 'reader', password: 'wrong-password' },
    });
    expect(priv.status, priv.text).toBe(201);
    expect(priv.json.password).toBeUndefined();
    const wrong = await synced(server, admin, '/v3/catalogs/priv', 'error');
    expect(wrong.message).toMatch(/answered 401: the username or password is wrong/);
    const fixed = await server.call('/v3/catalogs/priv', {
      method: 'PUT',
      token: admin,
      body: { password: 'repo-secret-pass' },
    });
    expect(fixed.status, fixed.text).toBe(200);
    const privOk = await synced(server, admin, '/v3/catalogs/priv', 'active', wrong.lastAttempt);
    expect(privOk.templateCount).toBe(1);
    expect(JSON.stringify(privOk)).not.toContain('repo-secret-pass');
    expect(JSON.stringify((await server.call('/v3/catalogs', { token: admin })).json)).not.toContain(
      'repo-secret-pass',
    );
    expect(server.stderr() + server.stdout()).not.toContain('repo-secret-pass');

    // Refresh: a new version published in the repository appears after ?action=refresh.
    const demo3 = await makeChart(join(work, 'src4'), { name: 'demo', version: '0.3.0' });
    await packageInto(repo, [demo3]);
    const before = (await server.call('/v3/catalogs/lib', { token: admin })).json.lastAttempt;
    expect(
      (await server.call('/v3/catalogs/lib?action=refresh', { method: 'POST', token: admin, body: {} })).status,
    ).toBe(200);
    await synced(server, admin, '/v3/catalogs/lib', 'active', before);
    expect((await server.call('/v3/templates/lib-demo', { token: admin })).json.defaultVersion).toBe('0.3.0');
    expect((await server.call('/v3/templateVersions/lib-demo-0.3.0', { token: admin })).status).toBe(200);

    // The refresh interval: a catalog refreshing every second sees a new version with no action.
    expect(
      (await server.call('/v3/catalogs', { token: admin, body: { name: 'fast', url: https.url, refreshInterval: 1 } }))
        .status,
    ).toBe(201);
    await synced(server, admin, '/v3/catalogs/fast', 'active');
    const demo4 = await makeChart(join(work, 'src5'), { name: 'demo', version: '0.4.0' });
    await packageInto(repo, [demo4]);
    await eventually(async () => {
      const r = await server.call('/v3/templates/fast-demo', { token: admin });
      if (r.json.defaultVersion !== '0.4.0') throw new Error(String(r.json.defaultVersion));
    }, 'the interval to bring 0.4.0');

    // A broken URL: the catalog says why, and its last good templates stay.
    const last = (await server.call('/v3/catalogs/lib', { token: admin })).json.lastAttempt;
    const closed = await freePort();
    await server.call('/v3/catalogs/lib', {
      method: 'PUT',
      token: admin,
      body: { url: `https://127.0.0.1:${closed}/nothing` },
    });
    const broken = await synced(server, admin, '/v3/catalogs/lib', 'error', last);
    expect(broken.message).toMatch(
      new RegExp(`cannot reach https://127\\.0\\.0\\.1:${closed}/nothing/index\\.yaml: ECONNREFUSED`),
    );
    expect((await server.call('/v3/templates/lib-demo', { token: admin })).status).toBe(200);
    const notRepo = await server.call('/v3/catalogs', {
      token: admin,
      body: { name: 'nope', url: `${https.url}/missing` },
    });
    expect(notRepo.status).toBe(201);
    expect((await synced(server, admin, '/v3/catalogs/nope', 'error')).message).toMatch(/index\.yaml answered 404/);
    const badUrl = await server.call('/v3/catalogs', { token: admin, body: { name: 'x', url: 'not a url' } });
    expect([badUrl.status, badUrl.json.fieldName]).toEqual([422, 'url']);
    const shaped = await server.call('/v3/catalogs', { token: admin, body: { name: 'c-abcde-x', url: https.url } });
    expect([shaped.status, shaped.json.fieldName]).toEqual([422, 'name']);
    const inUrl = await server.call('/v3/catalogs', {
      token: admin,
      body: { name: 'x', url: 'https://u:p@example.com' },
    });
    expect([inUrl.status, inUrl.json.fieldName, inUrl.json.message]).toEqual([
      422,
      'url',
      'url must not carry credentials: give username and password',
    ]);

    // A git repository of charts, at a branch.
    const gitDir = join(work, 'git');
    await gitRepo(gitDir, 'stable', { 'charts/demo/0.1.0': demo1, 'charts/other': bad });
    const g = await server.call('/v3/catalogs', {
      token: admin,
      body: { name: 'gitcat', url: `file://${gitDir}`, kind: 'git', branch: 'stable' },
    });
    expect(g.status, g.text).toBe(201);
    const gitCat = await synced(server, admin, '/v3/catalogs/gitcat', 'active');
    expect(gitCat.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(gitCat.templateCount).toBe(2);
    const gtv = (await server.call('/v3/templateVersions/gitcat-demo-0.1.0', { token: admin })).json;
    expect(gtv.appReadme).toBe('Demo is a web server.');
    const wrongBranch = await server.call('/v3/catalogs', {
      token: admin,
      body: { name: 'gitbad', url: `file://${gitDir}`, kind: 'git', branch: 'nope' },
    });
    expect(wrongBranch.status).toBe(201);
    expect((await synced(server, admin, '/v3/catalogs/gitbad', 'error')).message).toMatch(/branch nope does not exist/);

    // Deleting a catalog removes its templates.
    expect((await server.call('/v3/catalogs/gitcat', { method: 'DELETE', token: admin })).status).toBe(200);
    await eventually(async () => {
      const r = await server.call('/v3/templates/gitcat-demo', { token: admin });
      if (r.status !== 404) throw new Error(String(r.status));
    }, 'the git catalog templates to go');
  });
});

const CLUSTER_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get"]
`;

describe('apps', () => {
  test('install, upgrade, rollback, clone and delete run helm as the user; RBAC refuses what it refuses', async () => {
    const work = await testDir('charts');
    const repo = join(work, 'www');
    const keep = ['deployment.yaml', 'service.yaml', 'serviceaccount.yaml'];
    const v1 = await makeChart(join(work, 'a'), {
      name: 'demo',
      version: '0.1.0',
      keepTemplates: keep,
      questions: QUESTIONS,
    });
    const v2 = await makeChart(join(work, 'b'), { name: 'demo', version: '0.2.0', keepTemplates: keep });
    const wide = await makeChart(join(work, 'c'), {
      name: 'wide',
      version: '1.0.0',
      keepTemplates: [],
      templates: { 'clusterrole.yaml': CLUSTER_ROLE },
    });
    await packageInto(repo, [v1, v2, wide]);
    await packageInto(join(repo, 'private'), [v2]);
    const https = await serveHttps(repo, { username: 'reader', password: 'repo-secret-pass' });
    const [server, cp] = await Promise.all([
      startTestServer({ env: { NODE_EXTRA_CA_CERTS: https.caFile } }),
      startTestControlPlane({ name: 'apps' }),
    ]);
    const admin = await adminToken(server);
    const { clusterId } = await importWithAgent(server, admin, cp, 'apps');
    expect((await server.call('/v3/catalogs', { token: admin, body: { name: 'lib', url: https.url } })).status).toBe(
      201,
    );
    await synced(server, admin, '/v3/catalogs/lib', 'active');

    const project = async (name: string) => {
      const r = await server.call('/v3/projects', { token: admin, body: { name, clusterId } });
      expect(r.status, r.text).toBe(201);
      return r.json.id as string;
    };
    const teamA = await project('team-a');
    const teamB = await project('team-b');
    for (const [ns, p] of [
      ['team-a-web', teamA],
      ['team-a-copy', teamA],
      ['team-b-web', teamB],
    ] as const) {
      const r = await server.call(`/v3/cluster/${clusterId}/namespaces`, {
        token: admin,
        body: { name: ns, projectId: p },
      });
      expect(r.status, r.text).toBe(201);
    }
    const alice = await newUser(server, admin, 'alice');
    const carol = await newUser(server, admin, 'carol');
    const bind = (projectId: string, userId: string, roleTemplateId: string) =>
      server.call('/v3/projectRoleTemplateBindings', { token: admin, body: { projectId, userId, roleTemplateId } });
    expect((await bind(teamA, alice.id, 'project-member')).status).toBe(201);
    expect((await bind(teamA, carol.id, 'read-only')).status).toBe(201);
    const aliceKc = await generatedKubeconfig(server, alice.token, clusterId);
    await eventually(async () => {
      const r = await kubectlWith(aliceKc, 'auth', 'can-i', 'create', 'deployments', '-n', 'team-a-web');
      if (r.stdout.trim() !== 'yes') throw new Error(r.stdout + r.stderr);
    }, 'alice to be a member downstream');

    const apps = `/v3/projects/${teamA}/apps`;
    const ext = (v: string, t = 'demo') => `catalog://?catalog=lib&template=${t}&version=${v}`;
    const appPath = (id: string) => `/v3/apps/${id}`;
    const waitApp = (id: string, ok: (a: Record<string, any>) => boolean, what: string) =>
      eventually(async () => {
        const a = (await server.call(appPath(id), { token: alice.token })).json;
        if (!ok(a)) throw new Error(`${a.state} r${a.revision}: ${a.message}\n${a.log ?? ''}`);
        return a;
      }, what);
    const replicas = async (ns: string, name: string) =>
      JSON.parse((await kubectl(cp, 'get', 'deployment', name, '-n', ns, '-o', 'json')).stdout).spec.replicas;

    // Install as alice, with answers.
    const created = await server.call(apps, {
      token: alice.token,
      body: {
        name: 'web',
        projectId: teamA,
        externalId: ext('0.1.0'),
        targetNamespace: 'team-a-web',
        answers: { replicaCount: '2' },
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json.state).toBe('installing');
    const id = created.json.id as string;
    expect(id).toBe(`${teamA.split(':')[1]}:web`);
    const installed = await waitApp(id, (a) => a.state === 'active' && a.revision === 1, 'web to install');
    expect(installed.log).toMatch(/STATUS: deployed/);
    expect(installed.upgradeAvailable).toBe('0.2.0');
    expect([installed.templateId, installed.templateVersionId]).toEqual(['lib-demo', 'lib-demo-0.1.0']);
    expect(installed.resources).toEqual(expect.arrayContaining(['Deployment/web-demo', 'Service/web-demo']));
    expect(await replicas('team-a-web', 'web-demo')).toBe(2);
    // The helm release belongs to the user's request: its token is gone once helm is done.
    const tokens = (await server.call('/v3/tokens', { token: alice.token })).json.data;
    expect(tokens.filter((t: { description: string }) => /^helm on cluster/.test(t.description))).toEqual([]);

    // A namespace that does not exist yet is made in the project, by those who may make namespaces
    // there: not a project member (no create-ns), and nothing is left behind; the owner may.
    const freshBody = { name: 'fresh', projectId: teamA, externalId: ext('0.2.0'), targetNamespace: 'team-a-new' };
    const memberFresh = await server.call(apps, { token: alice.token, body: freshBody });
    expect([memberFresh.status, memberFresh.json.message]).toEqual([
      403,
      `you may not create namespaces in project ${teamA}`,
    ]);
    expect((await server.call(appPath(`${teamA.split(':')[1]}:fresh`), { token: admin })).status).toBe(404);
    const fresh = await server.call(apps, { token: admin, body: freshBody });
    expect(fresh.status, fresh.text).toBe(201);
    await waitApp(fresh.json.id, (a) => a.state === 'active', 'fresh to install into a new namespace');
    const newNs = JSON.parse((await kubectl(cp, 'get', 'namespace', 'team-a-new', '-o', 'json')).stdout);
    expect(newNs.metadata.annotations['field.cattle.io/projectId']).toBe(teamA);

    // Bad input: a namespace of another project, the same name twice, an unknown version, bad values.
    const other = await server.call(apps, {
      token: alice.token,
      body: { name: 'x', projectId: teamA, externalId: ext('0.1.0'), targetNamespace: 'team-b-web' },
    });
    expect([other.status, other.json.fieldName, other.json.message]).toEqual([
      422,
      'targetNamespace',
      `namespace team-b-web is not in project ${teamA}`,
    ]);
    const sys = await server.call(apps, {
      token: alice.token,
      body: { name: 'x', projectId: teamA, externalId: ext('0.1.0'), targetNamespace: 'kube-system' },
    });
    expect([sys.status, sys.json.fieldName]).toEqual([422, 'targetNamespace']);
    const again = await server.call(apps, {
      token: alice.token,
      body: { name: 'web', projectId: teamA, externalId: ext('0.1.0'), targetNamespace: 'team-a-copy' },
    });
    expect([again.status, again.json.code, again.json.fieldName]).toEqual([422, 'NotUnique', 'name']);
    const noVersion = await server.call(apps, {
      token: alice.token,
      body: { name: 'y', projectId: teamA, externalId: ext('9.9.9'), targetNamespace: 'team-a-web' },
    });
    expect([noVersion.status, noVersion.json.fieldName]).toEqual([422, 'externalId']);
    const badValues = await server.call(apps, {
      token: alice.token,
      body: {
        name: 'y',
        projectId: teamA,
        externalId: ext('0.1.0'),
        targetNamespace: 'team-a-web',
        valuesYaml: 'a: [',
      },
    });
    expect([badValues.status, badValues.json.fieldName]).toEqual([422, 'valuesYaml']);
    // A read-only member sees the app and cannot install.
    expect((await server.call(apps, { token: carol.token })).json.data.map((a: { id: string }) => a.id)).toEqual([
      fresh.json.id,
      id,
    ]);
    const carolTry = await server.call(apps, {
      token: carol.token,
      body: { name: 'z', projectId: teamA, externalId: ext('0.1.0'), targetNamespace: 'team-a-web' },
    });
    expect(carolTry.status).toBe(403);

    // Upgrade to the newer version with other answers.
    const up = await server.call(`${appPath(id)}?action=upgrade`, {
      method: 'POST',
      token: alice.token,
      body: { externalId: ext('0.2.0'), answers: { replicaCount: '3' } },
    });
    expect(up.status, up.text).toBe(200);
    const upgraded = await waitApp(id, (a) => a.state === 'active' && a.revision === 2, 'web to upgrade');
    expect(upgraded.externalId).toBe(ext('0.2.0'));
    expect(upgraded.upgradeAvailable).toBeNull();
    expect(await replicas('team-a-web', 'web-demo')).toBe(3);

    // Roll back to revision 1: helm makes revision 3 with revision 1's chart and values.
    const rb = await server.call(`${appPath(id)}?action=rollback`, {
      method: 'POST',
      token: alice.token,
      body: { revisionId: `${id}-1` },
    });
    expect(rb.status, rb.text).toBe(200);
    const rolled = await waitApp(id, (a) => a.state === 'active' && a.revision === 3, 'web to roll back');
    expect(rolled.externalId).toBe(ext('0.1.0'));
    expect(await replicas('team-a-web', 'web-demo')).toBe(2);
    const revs = (
      await server.call(`/v3/projects/${teamA}/appRevisions?appId=${encodeURIComponent(id)}&sort=revision`, {
        token: alice.token,
      })
    ).json.data;
    expect(revs.map((r: { revision: number; status: string }) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    expect(revs[2].externalId).toBe(ext('0.1.0'));

    // Clone: not into the same namespace; into another of the project it installs the same chart.
    const sameNs = await server.call(`${appPath(id)}?action=clone`, {
      method: 'POST',
      token: alice.token,
      body: { name: 'web2', targetNamespace: 'team-a-web' },
    });
    expect([sameNs.status, sameNs.json.fieldName]).toEqual([422, 'targetNamespace']);
    const clone = await server.call(`${appPath(id)}?action=clone`, {
      method: 'POST',
      token: alice.token,
      body: { name: 'web2', targetNamespace: 'team-a-copy' },
    });
    expect(clone.status, clone.text).toBe(200);
    await waitApp(clone.json.id, (a) => a.state === 'active', 'the clone to install');
    expect(await replicas('team-a-copy', 'web2-demo')).toBe(2);

    // RBAC decides: a project member may not create a ClusterRole, so helm fails as alice.
    const wideApp = await server.call(apps, {
      token: alice.token,
      body: { name: 'wide', projectId: teamA, externalId: ext('1.0.0', 'wide'), targetNamespace: 'team-a-web' },
    });
    expect(wideApp.status, wideApp.text).toBe(201);
    const refused = await waitApp(wideApp.json.id, (a) => a.state === 'failed', 'the ClusterRole chart to be refused');
    expect(refused.message).toMatch(/forbidden/i);
    expect((await kubectlWith(cp.kubeconfigPath, 'get', 'clusterrole', 'wide-reader')).code).not.toBe(0);

    // A private catalog: the chart archive is fetched with the catalog's credentials.
    const privCat = { name: 'priv', url: `${https.url}/private`, username: 'reader', password: 'repo-secret-pass' };
    expect((await server.call('/v3/catalogs', { token: admin, body: privCat })).status).toBe(201);
    await synced(server, admin, '/v3/catalogs/priv', 'active');
    const privApp = await server.call(apps, {
      token: alice.token,
      body: {
        name: 'private',
        projectId: teamA,
        externalId: ext('0.2.0').replace('=lib', '=priv'),
        targetNamespace: 'team-a-copy',
      },
    });
    expect(privApp.status, privApp.text).toBe(201);
    await waitApp(privApp.json.id, (a) => a.state === 'active', 'the private chart to install');
    expect(https.requests.filter((r) => r === '/private/demo-0.2.0.tgz').length).toBeGreaterThanOrEqual(2);

    // Cluster and project catalogs: owners add them, members see their templates and install from them.
    const gitDir = join(work, 'git');
    await gitRepo(gitDir, 'main', { 'charts/demo/0.1.0': v1 });
    const pcBody = { name: 'pcat', projectId: teamA, url: `file://${gitDir}`, kind: 'git', branch: 'main' };
    expect((await server.call('/v3/projectCatalogs', { token: alice.token, body: pcBody })).status).toBe(403);
    // A project owner adds catalogs over the network, not from the server's own disk.
    const erin = await newUser(server, admin, 'erin');
    expect((await bind(teamA, erin.id, 'project-owner')).status).toBe(201);
    const ownerFile = await server.call('/v3/projectCatalogs', {
      token: erin.token,
      body: { ...pcBody, name: 'ownfile' },
    });
    expect([ownerFile.status, ownerFile.json.message]).toEqual([
      403,
      expect.stringMatching(/only catalog managers may use file:/),
    ]);
    const ownerHttps = await server.call('/v3/projectCatalogs', {
      token: erin.token,
      body: { name: 'ownhttps', projectId: teamA, url: https.url },
    });
    expect(ownerHttps.status, ownerHttps.text).toBe(201);
    const pc = await server.call('/v3/projectCatalogs', { token: admin, body: pcBody });
    expect(pc.status, pc.text).toBe(201);
    const pShort = teamA.split(':')[1]!;
    expect(pc.json.id).toBe(`${pShort}:pcat`);
    await synced(server, admin, `/v3/projectCatalogs/${pShort}:pcat`, 'active');
    const ccBody = { name: 'ccat', clusterId, url: https.url };
    expect((await server.call('/v3/clusterCatalogs', { token: alice.token, body: ccBody })).status).toBe(403);
    expect((await server.call('/v3/clusterCatalogs', { token: admin, body: ccBody })).status).toBe(201);
    await synced(server, admin, `/v3/clusterCatalogs/${clusterId}:ccat`, 'active');
    const seen = (
      await server.call('/v3/templates?projectCatalogId=' + encodeURIComponent(`${pShort}:pcat`), {
        token: alice.token,
      })
    ).json.data;
    expect(seen.map((t: { id: string }) => t.id)).toEqual([`${pShort}-pcat-demo`]);
    expect((await server.call(`/v3/templates/${pShort}-pcat-demo`, { token: carol.token })).status).toBe(200);
    const outsider = await newUser(server, admin, 'dave');
    expect((await server.call(`/v3/templates/${pShort}-pcat-demo`, { token: outsider.token })).status).toBe(404);
    const fromProjectCatalog = await server.call(apps, {
      token: alice.token,
      body: {
        name: 'fromgit',
        projectId: teamA,
        externalId: `catalog://?catalog=${pShort}/pcat&type=projectCatalog&template=demo&version=0.1.0`,
        targetNamespace: 'team-a-copy',
      },
    });
    expect(fromProjectCatalog.status, fromProjectCatalog.text).toBe(201);
    await waitApp(fromProjectCatalog.json.id, (a) => a.state === 'active', 'the git chart to install');
    expect(await replicas('team-a-copy', 'fromgit-demo')).toBe(1);

    // The CLI: catalogs as the admin, apps as alice, following helm's output.
    const cliAs = async (token: string, who: string) => {
      const home = await testDir(`cli-${who}`);
      const env = { CORRAL_CONFIG: join(home, 'config'), HOME: home, KUBECONFIG: '' };
      const caPath = join(home, 'ca.pem');
      await writeFile(caPath, server.ca);
      const ok = async (...args: string[]) => {
        const r = await corral(args, env);
        if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
        return r;
      };
      await ok('login', server.url, '--token', token, '--cacert', caPath, '--name', 't');
      return { ok, run: (...args: string[]) => corral(args, env) };
    };
    const adminCli = await cliAs(admin, 'admin');
    const added = await adminCli.ok(
      'catalog',
      'add',
      'cligit',
      `file://${gitDir}`,
      '--kind',
      'git',
      '--branch',
      'main',
      '-o',
      'json',
    );
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'cligit', state: 'active', templateCount: 1 });
    const refreshed = await adminCli.ok('catalog', 'refresh', 'cligit', '-o', 'json');
    expect(JSON.parse(refreshed.stdout)[0]).toMatchObject({ id: 'cligit', state: 'active' });
    expect((await adminCli.ok('catalog', 'ls', '-o', 'yaml')).stdout).toMatch(/id: cligit/);
    await adminCli.ok('catalog', 'rm', 'cligit');
    const badAdd = await adminCli.run('catalog', 'add', 'broken', `${https.url}/missing`);
    expect(badAdd.code).not.toBe(0);
    expect(badAdd.stderr).toMatch(/catalog broken: .*index\.yaml answered 404/);
    const aliceCli = await cliAs(alice.token, 'alice');
    await aliceCli.ok('context', 'switch', `${clusterId}/${teamA}`);
    const charts = JSON.parse((await aliceCli.ok('catalog', 'charts', '--search', 'demo', '-o', 'json')).stdout);
    expect(charts.map((t: { id: string }) => t.id)).toContain('lib-demo');
    const inst = await aliceCli.ok(
      'apps',
      'install',
      'lib-demo',
      'cli',
      '--namespace',
      'team-a-copy',
      '--version',
      '0.1.0',
      '--set',
      'replicaCount=2',
      '-o',
      'json',
    );
    expect(inst.stderr).toMatch(/STATUS: deployed/);
    expect(JSON.parse(inst.stdout)).toMatchObject({ state: 'active', revision: 1, upgradeAvailable: '0.2.0' });
    expect(await replicas('team-a-copy', 'cli-demo')).toBe(2);
    await aliceCli.ok('apps', 'upgrade', 'cli', '--version', '0.2.0');
    await aliceCli.ok('apps', 'rollback', 'cli', '1');
    const cliRevs = JSON.parse((await aliceCli.ok('apps', 'revisions', 'cli', '-o', 'json')).stdout);
    expect(cliRevs.map((r: { revision: number }) => r.revision)).toEqual([1, 2, 3]);
    expect((await aliceCli.ok('apps', 'ls', '-o', 'yaml')).stdout).toMatch(/name: cli\n/);
    expect((await aliceCli.ok('apps', 'install', '--help')).stdout).toMatch(/--values <file>/);
    const badSet = await aliceCli.run('apps', 'upgrade', 'cli', '--set', 'novalue');
    expect([badSet.code, badSet.stderr]).toEqual([2, expect.stringMatching(/--set takes key=value/)]);
    await aliceCli.ok('apps', 'rm', 'cli');
    expect((await kubectlWith(cp.kubeconfigPath, 'get', 'deployment', 'cli-demo', '-n', 'team-a-copy')).code).not.toBe(
      0,
    );

    // Delete: the release goes, the namespace stays, the revisions go.
    expect((await server.call(appPath(id), { method: 'DELETE', token: alice.token })).status).toBe(200);
    expect((await kubectlWith(cp.kubeconfigPath, 'get', 'deployment', 'web-demo', '-n', 'team-a-web')).code).not.toBe(
      0,
    );
    expect(
      (await kubectl(cp, 'get', 'secrets', '-n', 'team-a-web', '-l', 'owner=helm,name=web', '-o', 'name')).stdout,
    ).toBe('');
    expect((await kubectlWith(cp.kubeconfigPath, 'get', 'namespace', 'team-a-web')).code).toBe(0);
    await eventually(async () => {
      const left = (await server.call(`/v3/appRevisions?appId=${encodeURIComponent(id)}`, { token: admin })).json.data;
      if (left.length) throw new Error(`${left.length} revisions left`);
    }, 'the revisions to go');
  });
});
