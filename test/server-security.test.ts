import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventually } from './helpers/eventually.js';
import { adminToken, ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: string;
const ADMIN_NEW_PASSWORD = 'admin-password-changed-1';

beforeAll(async () => {
  server = await startTestServer({ manual: true });
  admin = await adminToken(server, ADMIN_NEW_PASSWORD);
  return () => server.kill9();
});

async function makeUser(
  username: string,
  password: string,
  globalRoleId?: string,
): Promise<{ id: string; token: string }> {
  const u = await server.call('/v3/users', { token: admin, body: { username, password } });
  expect(u.status, u.text).toBe(201);
  if (globalRoleId) {
    const b = await server.call('/v3/globalRoleBindings', { token: admin, body: { userId: u.json.id, globalRoleId } });
    expect(b.status, b.text).toBe(201);
  }
  return { id: u.json.id, token: await server.login(username, password) };
}

/** Every byte the server has written to its data folder (database, WAL, audit log, TLS files). */
async function dataDirBytes(): Promise<string> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push((await readFile(p)).toString('latin1'));
    }
  };
  await walk(server.dataDir);
  return out.join('\n');
}

describe('secrets', () => {
  test('token secrets and passwords are stored only as hashes, and never come back in responses', async () => {
    const bob = await makeUser('bob', 'bob-password-secret-1');
    const key = await server.call('/v3/tokens', { token: bob.token, body: { description: 'k' } });
    const secret = (key.json.token as string).split(':')[1]!;
    const stored = await dataDirBytes();
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(bob.token.split(':')[1]);
    expect(stored).not.toContain('bob-password-secret-1');
    expect(stored).toMatch(/\$argon2id\$v=19\$m=19456,t=2,p=1\$/); // the password hash is there instead
    for (const path of ['/v3/users', `/v3/users/${bob.id}`, '/v3/tokens', `/v3/tokens/${key.json.id}`]) {
      const r = await server.call(path, { token: admin });
      const bobView = await server.call(path, { token: bob.token });
      for (const text of [r.text, bobView.text]) {
        expect(text).not.toMatch(/passwordHash|tokenHash|argon2|sha256:/);
        expect(text).not.toContain(secret);
      }
    }
  });

  test('no password, token or cookie reaches the log or the audit log', async () => {
    await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'admin', password: 'wrong-password-123' },
    });
    const cookieLogin = await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'admin', password: ADMIN_NEW_PASSWORD, responseType: 'cookie' },
    });
    const carol = await makeUser('carol', 'carol-password-secret');
    await server.call(`/v3/users/${carol.id}?action=setpassword`, {
      token: admin,
      body: { newPassword: 'carol-password-next1' },
    });
    const key = await server.call('/v3/tokens', { token: carol.token, body: {} });
    await server.call('/v3/users', { token: key.json.token, body: { username: 'x', password: 'should-be-denied-1' } });
    const audit = await readFile(join(server.dataDir, 'audit.log'), 'utf8');
    expect(audit.split('\n').filter(Boolean).length).toBeGreaterThan(5);
    expect(audit).toContain('"path":"/v3/users"');
    const cookies = ([] as string[])
      .concat(cookieLogin.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!.split('=')[1]!);
    expect(cookies.length).toBe(2);
    const secrets = [
      ADMIN_PASSWORD,
      ADMIN_NEW_PASSWORD,
      'wrong-password-123',
      'carol-password-secret',
      'carol-password-next1',
      'should-be-denied-1',
      admin.split(':')[1]!,
      carol.token.split(':')[1]!,
      (key.json.token as string).split(':')[1]!,
      ...cookies.map((c) => c.split(':')[1] ?? c),
    ];
    for (const text of [audit, server.stderr()]) {
      for (const s of secrets) expect(text).not.toContain(s);
    }
  });
});

describe('nobody grants what they do not hold', () => {
  let manager: { id: string; token: string };
  let adminId: string;
  beforeAll(async () => {
    manager = await makeUser('manager', 'manager-password-1', 'users-manage');
    adminId = (await server.call('/v3/users?username=admin', { token: admin })).json.data[0].id;
  });

  test('a users-manage holder cannot bind admin, to themselves or anyone', async () => {
    const r = await server.call('/v3/globalRoleBindings', {
      token: manager.token,
      body: { userId: manager.id, globalRoleId: 'admin' },
    });
    expect(r.status).toBe(403);
    expect(r.json.message).toContain('cannot grant rules you do not hold');
    const bindings = await server.call(`/v3/globalRoleBindings?userId=${manager.id}`, { token: admin });
    expect(bindings.json.data.map((b: { globalRoleId: string }) => b.globalRoleId).sort()).toEqual([
      'user',
      'users-manage',
    ]);
    // The admin can (the positive control: the refusal is about holding, not about the request).
    const ok = await server.call('/v3/globalRoleBindings', {
      token: admin,
      body: { userId: manager.id, globalRoleId: 'settings-manage' },
    });
    expect(ok.status).toBe(201);
  });

  test("a users-manage holder cannot change a more privileged user's password, disable or delete them", async () => {
    const pw = await server.call(`/v3/users/${adminId}?action=setpassword`, {
      token: manager.token,
      body: { newPassword: 'taken-over-pass1' },
    });
    expect(pw.status).toBe(403);
    expect(pw.json.message).toContain('holds permissions you do not');
    const disable = await server.call(`/v3/users/${adminId}`, {
      method: 'PUT',
      token: manager.token,
      body: { enabled: false },
    });
    expect(disable.status).toBe(403);
    const del = await server.call(`/v3/users/${adminId}`, { method: 'DELETE', token: manager.token });
    expect(del.status).toBe(403);
    expect(await server.login('admin', ADMIN_NEW_PASSWORD)).toMatch(/^token-/);
    // But they can manage an ordinary user.
    const dave = await makeUser('dave', 'dave-password-1');
    const ok = await server.call(`/v3/users/${dave.id}?action=setpassword`, {
      token: manager.token,
      body: { newPassword: 'dave-password-2' },
    });
    expect(ok.status).toBe(200);
  });

  test('role templates: rules and inherited templates beyond your own are refused', async () => {
    const rm = await makeUser('rolemaker', 'rolemaker-password1', 'roles-manage');
    const tooMuch = await server.call('/v3/roleTemplates', {
      token: rm.token,
      body: {
        name: 'secrets-reader',
        context: 'project',
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      },
    });
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.json.message).toContain('resources=[secrets]');
    const inherit = await server.call('/v3/roleTemplates', {
      token: rm.token,
      body: { name: 'sneaky', context: 'cluster', roleTemplateIds: ['cluster-owner'] },
    });
    expect(inherit.status).toBe(403);
    const cycle = await server.call('/v3/roleTemplates', {
      token: admin,
      body: { name: 'orphan', context: 'project', roleTemplateIds: ['no-such-template'] },
    });
    expect(cycle.status).toBe(422);
    expect(cycle.json.fieldName).toBe('roleTemplateIds');
    const fine = await server.call('/v3/roleTemplates', {
      token: admin,
      body: {
        name: 'secrets-reader',
        context: 'project',
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      },
    });
    expect(fine.status).toBe(201);
    expect(fine.json.id).toMatch(/^rt-/);
  });

  test('an ordinary user sees only themselves and their own tokens', async () => {
    const eve = await makeUser('eve', 'eve-password-123');
    const list = await server.call('/v3/users', { token: eve.token });
    expect(list.json.data.map((u: { id: string }) => u.id)).toEqual([eve.id]);
    expect(list.json.data[0].me).toBe(true);
    expect((await server.call(`/v3/users/${adminId}`, { token: eve.token })).status).toBe(404);
    const tokens = await server.call('/v3/tokens', { token: eve.token });
    expect(tokens.json.data.every((t: { userId: string }) => t.userId === eve.id)).toBe(true);
    const adminTokenId = admin.split(':')[0];
    expect((await server.call(`/v3/tokens/${adminTokenId}`, { token: eve.token })).status).toBe(404);
    expect((await server.call(`/v3/tokens/${adminTokenId}`, { method: 'DELETE', token: eve.token })).status).toBe(404);
    expect((await server.call('/v3/users', { token: admin })).status).toBe(200); // the admin's token still works
    const grant = await server.call('/v3/globalRoleBindings', {
      token: eve.token,
      body: { userId: eve.id, globalRoleId: 'admin' },
    });
    expect(grant.status).toBe(403);
  });
});

describe('tokens end', () => {
  test('an expired API key is refused', async () => {
    const frank = await makeUser('frank', 'frank-password-1');
    const key = await server.call('/v3/tokens', { token: frank.token, body: { ttl: 1500 } });
    expect(key.status).toBe(201);
    expect(Date.parse(key.json.expiresAt) - Date.now()).toBeLessThanOrEqual(1500);
    expect((await server.call('/v3/users', { token: key.json.token })).status).toBe(200);
    await eventually(
      async () => {
        const r = await server.call('/v3/users', { token: key.json.token });
        if (r.status !== 401) throw new Error(`still ${r.status}`);
        expect(r.json.message).toContain('expired');
      },
      'the key to expire',
      10_000,
    );
  });

  test('a TTL above the maximum is capped, and 0 means the maximum, never forever', async () => {
    const key = await server.call('/v3/tokens', { token: admin, body: { ttl: 0 } });
    const max = 129600 * 60_000;
    expect(key.json.ttl).toBe(max);
    const huge = await server.call('/v3/tokens', { token: admin, body: { ttl: max * 10 } });
    expect(huge.json.ttl).toBe(max);
  });

  test("a deleted user's tokens stop working at once, and logout ends a session", async () => {
    const gina = await makeUser('gina', 'gina-password-1');
    const key = await server.call('/v3/tokens', { token: gina.token, body: {} });
    expect((await server.call(`/v3/users/${gina.id}`, { method: 'DELETE', token: admin })).status).toBe(200);
    expect((await server.call('/v3/users', { token: key.json.token })).status).toBe(401);
    expect((await server.call('/v3/users', { token: gina.token })).status).toBe(401);
    const session = await server.login('admin', ADMIN_NEW_PASSWORD);
    expect((await server.call('/v3/tokens?action=logout', { token: session, body: {} })).status).toBe(200);
    expect((await server.call('/v3/users', { token: session })).status).toBe(401);
  });

  test('a cluster-scoped key cannot be used on the management API', async () => {
    const key = await server.call('/v3/tokens', { token: admin, body: { clusterId: 'c-abcde' } });
    expect(key.status).toBe(201);
    const r = await server.call('/v3/users', { token: key.json.token });
    expect(r.status).toBe(401);
    expect(r.json.message).toContain('limited to cluster c-abcde');
  });
});

describe('sessions and logins', () => {
  test('cookie sessions: Secure, HttpOnly, SameSite=Lax, and changes need the CSRF header', async () => {
    const login = await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'admin', password: ADMIN_NEW_PASSWORD, responseType: 'cookie' },
    });
    expect(login.status).toBe(200);
    expect(login.text).not.toContain('token-');
    const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    const session = setCookie.find((c) => c.startsWith('R_SESS='))!;
    const csrf = setCookie.find((c) => c.startsWith('CSRF='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(csrf).not.toMatch(/HttpOnly/);
    const cookie = [session, csrf].map((c) => c.split(';')[0]).join('; ');
    const csrfValue = csrf.split(';')[0]!.split('=')[1]!;
    expect((await server.call('/v3/users', { headers: { cookie } })).status).toBe(200);
    const noHeader = await server.call('/v3/tokens', { headers: { cookie }, body: {} });
    expect(noHeader.status).toBe(403);
    expect(noHeader.json.message).toContain('x-api-csrf');
    const wrong = await server.call('/v3/tokens', { headers: { cookie, 'x-api-csrf': 'nope' }, body: {} });
    expect(wrong.status).toBe(403);
    const right = await server.call('/v3/tokens', { headers: { cookie, 'x-api-csrf': csrfValue }, body: {} });
    expect(right.status).toBe(201);
  });

  test('failed logins are rate limited, even when the right password follows', async () => {
    await makeUser('henry', 'henry-password-1');
    for (let i = 0; i < 5; i++) {
      const r = await server.call('/v3-public/localProviders/local?action=login', {
        body: { username: 'henry', password: `guess-${i}` },
      });
      expect(r.status).toBe(401);
      expect(r.json.message).toBe('wrong username or password');
    }
    const limited = await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'henry', password: 'henry-password-1' },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another user is not affected.
    expect(await server.login('admin', ADMIN_NEW_PASSWORD)).toMatch(/^token-/);
    // An unknown user answers like a wrong password.
    const unknown = await server.call('/v3-public/localProviders/local?action=login', {
      body: { username: 'nobody', password: 'x' },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.json.message).toBe('wrong username or password');
  });
});
