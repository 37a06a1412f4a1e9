import { beforeAll, describe, expect, test } from 'vitest';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ manual: true });
  admin = await adminToken(server);
  return () => server.kill9();
});

const snapshot = async (path: string) => (await server.call(path, { token: admin })).json;

describe('v3 API shape', () => {
  test('GET /v3 links every collection, and /v3/schemas describes each type from its declaration', async () => {
    const root = await server.call('/v3', { token: admin });
    expect(root.status).toBe(200);
    for (const c of [
      'users',
      'tokens',
      'globalRoles',
      'globalRoleBindings',
      'roleTemplates',
      'settings',
      'principals',
    ]) {
      expect(root.json.links[c]).toBe(`${server.url}/v3/${c}`);
    }
    const user = await server.call('/v3/schemas/user', { token: admin });
    expect(user.json.pluralName).toBe('users');
    expect(user.json.resourceFields.username).toMatchObject({ type: 'string', required: true, update: false });
    expect(user.json.resourceFields.password).toMatchObject({ type: 'password', writeOnly: true });
    expect(user.json.resourceActions).toHaveProperty('setpassword');
    expect((await server.call('/v3/schemas/nope', { token: admin })).status).toBe(404);
  });

  test('built-in global roles and role templates are served with Rancher ids and inheritance', async () => {
    const gr = await server.call('/v3/globalRoles/admin', { token: admin });
    expect(gr.json.builtin).toBe(true);
    expect(gr.json.rules).toContainEqual(expect.objectContaining({ verbs: ['*'] }));
    const user = await server.call('/v3/globalRoles/user', { token: admin });
    expect(user.json.newUserDefault).toBe(true);
    for (const id of [
      'cluster-owner',
      'cluster-member',
      'project-owner',
      'project-member',
      'read-only',
      'create-ns',
      'admin',
      'edit',
      'view',
      'cluster-admin',
    ]) {
      const rt = await server.call(`/v3/roleTemplates/${id}`, { token: admin });
      expect(rt.status, id).toBe(200);
    }
    expect((await server.call('/v3/roleTemplates/project-owner', { token: admin })).json.roleTemplateIds).toContain(
      'admin',
    );
    expect((await server.call('/v3/roleTemplates/edit', { token: admin })).json.external).toBe(true);
  });

  test('collections page with limit/marker, filter by field and sort', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await server.call('/v3/globalRoles', { token: admin, body: { name: `paged-${i}`, rules: [] } });
      expect(r.status).toBe(201);
      made.push(r.json.id);
    }
    const seen: string[] = [];
    let next: string | undefined = '/v3/globalRoles?name_prefix=paged-&limit=3';
    let pages = 0;
    while (next) {
      const page = await server.call(next, { token: admin });
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.data.map((d: { id: string }) => d.id));
      next = page.json.pagination.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(made.sort());
    const exact = await server.call('/v3/globalRoles?name=paged-4', { token: admin });
    expect(exact.json.data.map((d: { name: string }) => d.name)).toEqual(['paged-4']);
    const desc = await server.call('/v3/globalRoles?name_prefix=paged-&sort=name&order=desc', { token: admin });
    expect(desc.json.data.map((d: { name: string }) => d.name)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `paged-${i}`));
    // Store-level paging (no filter) visits every role once.
    const all = new Set<string>();
    let marker: string | undefined = '/v3/globalRoles?limit=5';
    while (marker) {
      const page = await server.call(marker, { token: admin });
      for (const d of page.json.data) {
        expect(all.has(d.id)).toBe(false);
        all.add(d.id);
      }
      marker = page.json.pagination.next;
    }
    for (const id of [...made, 'admin', 'user', 'user-base']) expect(all.has(id)).toBe(true);
  });
});

describe('bad input gets a clear error and harms nothing', () => {
  test('malformed JSON is 400', async () => {
    const before = await snapshot('/v3/users');
    const r = await server.call('/v3/users', { token: admin, raw: '{"username": "x", ' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'error', status: 400, code: 'InvalidBodyContent' });
    expect(r.json.message).toContain('not valid JSON');
    expect((await snapshot('/v3/users')).data.length).toBe(before.data.length);
  });

  test('an unknown field or a wrong type is 422 with fieldName', async () => {
    const unknown = await server.call('/v3/users', {
      token: admin,
      body: { username: 'u1', password: 'password-long-1', colour: 'red' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ code: 'UnknownField', fieldName: 'colour' });
    const wrongType = await server.call('/v3/users', {
      token: admin,
      body: { username: 'u1', password: 'password-long-1', enabled: 'yes' },
    });
    expect(wrongType.status).toBe(422);
    expect(wrongType.json).toMatchObject({ code: 'InvalidType', fieldName: 'enabled' });
    expect(wrongType.json.message).toBe('enabled must be true or false, not string "yes"');
    const nested = await server.call('/v3/globalRoles', {
      token: admin,
      body: { name: 'bad', rules: [{ verbs: 'get' }] },
    });
    expect(nested.status).toBe(422);
    expect(nested.json.fieldName).toBe('rules[0].verbs');
    const missing = await server.call('/v3/users', { token: admin, body: { password: 'password-long-1' } });
    expect(missing.json).toMatchObject({ status: 422, code: 'MissingRequired', fieldName: 'username' });
    const users = await snapshot('/v3/users?username=u1');
    expect(users.data).toEqual([]);
  });

  test('a body over the limit is 413', async () => {
    const r = await server.call('/v3/globalRoles', {
      token: admin,
      raw: JSON.stringify({ name: 'big', description: 'x'.repeat(2 << 20) }),
    });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('RequestTooLarge');
    expect((await snapshot('/v3/globalRoles?name=big')).data).toEqual([]);
  });

  test('an unknown type is 404, and a non-JSON content type is 415', async () => {
    const r = await server.call('/v3/widgets', { token: admin });
    expect(r.status).toBe(404);
    expect(r.json.message).toContain('unknown type "widgets"');
    const form = await server.call('/v3/globalRoles', {
      token: admin,
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  test('a stale resourceVersion is 409 and the stored object keeps the newer change', async () => {
    const created = await server.call('/v3/globalRoles', { token: admin, body: { name: 'cas', description: 'v1' } });
    const rv = created.json.resourceVersion;
    const first = await server.call(`/v3/globalRoles/${created.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { description: 'v2', resourceVersion: rv },
    });
    expect(first.status).toBe(200);
    const stale = await server.call(`/v3/globalRoles/${created.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { description: 'v3', resourceVersion: rv },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('Conflict');
    expect(stale.json.message).toContain('get it again');
    expect((await snapshot(`/v3/globalRoles/${created.json.id}`)).description).toBe('v2');
  });

  test('fields that cannot change are refused, server-owned fields echoed back are ignored', async () => {
    const u = await server.call('/v3/users', {
      token: admin,
      body: { username: 'fixed', password: 'password-long-1' },
    });
    const rename = await server.call(`/v3/users/${u.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { username: 'renamed' },
    });
    expect(rename.status).toBe(422);
    expect(rename.json.fieldName).toBe('username');
    // A client that GETs, edits one field and PUTs the whole thing back works.
    const echoed = await server.call(`/v3/users/${u.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { ...u.json, name: 'Fixed' },
    });
    expect(echoed.status).toBe(200);
    expect(echoed.json.name).toBe('Fixed');
    expect(echoed.json.username).toBe('fixed');
  });

  test('usernames are unique', async () => {
    const a = await server.call('/v3/users', { token: admin, body: { username: 'twin', password: 'password-long-1' } });
    expect(a.status).toBe(201);
    const b = await server.call('/v3/users', { token: admin, body: { username: 'twin', password: 'password-long-2' } });
    expect(b.status).toBe(422);
    expect(b.json).toMatchObject({ code: 'NotUnique', fieldName: 'username' });
  });
});
