import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { freePort } from '../src/localcluster/ports.js';
import { gitRepo, makeChart, packageInto, serveHttps } from './helpers/chart-repo.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

export const QUESTIONS = `questions:
- variable: replicaCount
  label: Replicas
  type: int
  default: "1"
  required: true
  group: General
- variable: service.enabled
  type: boolean
  default: "false"
  show_subquestion_if: true
  subquestions:
  - variable: service.port
    type: int
    default: "80"
- variable: image.tag
  type: string
  show_if: "service.enabled=true"
`;

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
