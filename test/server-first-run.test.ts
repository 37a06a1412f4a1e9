import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { testDir } from './helpers/control-plane.js';
import { startTestServer } from './helpers/server.js';

const execFileP = promisify(execFile);

/** The real curl, trusting only the server's CA; returns status and parsed body. */
async function curl(caFile: string, args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await execFileP('curl', ['-sS', '--cacert', caFile, '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, i);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: Number(stdout.slice(i + 1)), body };
}

test('a new user: first start, bootstrap login, forced password change, a user with a role and an API key, disabled', async () => {
  const server = await startTestServer({ bootstrapPassword: null });
  // The generated password and setup URL are printed once, to stdout.
  const password = /Bootstrap password for user "admin": (\S+)/.exec(server.stdout())?.[1];
  expect(password).toBeTruthy();
  expect(server.stdout()).toContain(`/dashboard/?setup=${password}`);
  expect(server.stderr()).not.toContain(password!); // never in the log

  // Trust on first use, checked: /cacerts matches the checksum printed and the one in settings.
  const caFile = join(await testDir('curl'), 'ca.pem');
  const { stdout: caPem } = await execFileP('curl', ['-sSk', `${server.url}/cacerts`]);
  await writeFile(caFile, caPem);
  const sum = createHash('sha256').update(caPem).digest('hex');
  expect(server.stdout()).toContain(`sha256 ${sum}`);
  const setting = await curl(caFile, [`${server.url}/v3/settings/cacerts`]);
  expect(setting.status).toBe(200);
  expect(setting.body.checksum).toBe(sum);
  expect(setting.body.value).toBe(caPem);

  const json = ['-H', 'Content-Type: application/json'];
  const login = await curl(caFile, [
    ...json,
    '-d',
    JSON.stringify({ username: 'admin', password, responseType: 'token' }),
    `${server.url}/v3-public/localProviders/local?action=login`,
  ]);
  expect(login.status).toBe(201);
  expect(login.body.mustChangePassword).toBe(true);
  const admin = ['-H', `Authorization: Bearer ${login.body.token}`];

  // Until the password is changed, nothing else can be done.
  const early = await curl(caFile, [
    ...json,
    ...admin,
    '-d',
    '{"username":"alice","password":"alice-password-1"}',
    `${server.url}/v3/users`,
  ]);
  expect(early.status).toBe(403);
  expect(early.body.code).toBe('PasswordChangeRequired');
  const changed = await curl(caFile, [
    ...json,
    ...admin,
    '-d',
    JSON.stringify({ currentPassword: password, newPassword: 'a-new-admin-password' }),
    `${server.url}/v3/users?action=changepassword`,
  ]);
  expect(changed.status).toBe(200);

  const alice = await curl(caFile, [
    ...json,
    ...admin,
    '-d',
    '{"username":"alice","password":"alice-password-1"}',
    `${server.url}/v3/users`,
  ]);
  expect(alice.status).toBe(201);
  expect(alice.body.id).toMatch(/^u-[a-z0-9]{5}$/);
  expect(alice.body).not.toHaveProperty('password');
  const grb = await curl(caFile, [
    ...json,
    ...admin,
    '-d',
    JSON.stringify({ userId: alice.body.id, globalRoleId: 'users-manage' }),
    `${server.url}/v3/globalRoleBindings`,
  ]);
  expect(grb.status).toBe(201);
  expect(grb.body.id).toMatch(/^globalrolebinding-/);

  // Alice logs in and makes an API key; the secret is shown once.
  const aliceLogin = await curl(caFile, [
    ...json,
    '-d',
    '{"username":"alice","password":"alice-password-1"}',
    `${server.url}/v3-public/localProviders/local?action=login`,
  ]);
  const key = await curl(caFile, [
    ...json,
    '-H',
    `Authorization: Bearer ${aliceLogin.body.token}`,
    '-d',
    '{"description":"ci key"}',
    `${server.url}/v3/tokens`,
  ]);
  expect(key.status).toBe(201);
  expect(key.body.token).toMatch(/^token-[a-z0-9]{5}:[a-z0-9]{54}$/);
  const again = await curl(caFile, [
    '-H',
    `Authorization: Bearer ${key.body.token}`,
    `${server.url}/v3/tokens/${key.body.id}`,
  ]);
  expect(again.status).toBe(200);
  expect(again.body.token).toBeUndefined();

  // The key works with curl, as Basic too, and users-manage lets alice list users.
  const users = await curl(caFile, ['-u', key.body.token, `${server.url}/v3/users`]);
  expect(users.status).toBe(200);
  expect(users.body.data.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'alice']);

  // Disabled: the key stops working with the very next request.
  const disabled = await curl(caFile, [
    ...json,
    ...admin,
    '-X',
    'PUT',
    '-d',
    '{"enabled":false}',
    `${server.url}/v3/users/${alice.body.id}`,
  ]);
  expect(disabled.status).toBe(200);
  const refused = await curl(caFile, ['-H', `Authorization: Bearer ${key.body.token}`, `${server.url}/v3/users`]);
  expect(refused.status).toBe(401);
  expect(refused.body.message).toContain('disabled');

  // A clean shutdown on SIGTERM.
  expect(await server.stop()).toBe(0);
});
