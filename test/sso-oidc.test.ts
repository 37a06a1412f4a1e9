import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { startCliBrowserLogin } from './helpers/cli-login.js';
import { eventually } from './helpers/eventually.js';
import { enableOidc, startOidcProvider, type OidcProvider } from './helpers/oidc-provider.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';
import { everythingWritten } from './helpers/written.js';
import { WebSession, type WebResponse } from './helpers/web-session.js';

const USERS = {
  'sub-alice': {
    username: 'alice',
    password: 'alice-oidc-pass-Tq3',
    firstName: 'Alice',
    lastName: 'Open',
    email: 'alice@example.org',
    groups: ['devs', 'ops'],
  },
  'sub-bob': {
    username: 'bob',
    password: 'bob-oidc-pass-Vm5',
    firstName: 'Bob',
    lastName: 'Open',
    email: 'bob@example.org',
    groups: [],
  },
};

async function setUp(): Promise<{ server: TestServer; admin: string; idp: OidcProvider }> {
  const server = await startTestServer();
  const admin = await adminToken(server);
  const idp = await startOidcProvider({ redirectUri: `${server.url}/verify-auth`, users: USERS });
  return { server, admin, idp };
}

/** The provider's login form, filled in and sent, as a person in a browser would. */
async function signIn(web: WebSession, page: WebResponse, username: string, password: string): Promise<WebResponse> {
  expect(page.status, page.body).toBe(200);
  const id = /name="id" value="([^"]+)"/.exec(page.body)?.[1];
  expect(id, page.body).toBeTruthy();
  return web.go('POST', new URL('/login/username', page.url).href, { id: id!, username, password });
}

test('OpenID Connect: code flow with PKCE against a real provider, groups claim, browser binding, disabling', async () => {
  const { server, admin, idp } = await setUp();

  // Checked before enabling: an untrusted certificate, a provider that is not there.
  const untrusted = await enableOidc(server, admin, idp, 'oidcConfigs/genericoidc', { certificate: '' });
  expect(untrusted.status, untrusted.text).toBe(422);
  expect(untrusted.json.fieldName).toBe('certificate');
  const away = await enableOidc(server, admin, idp, 'oidcConfigs/genericoidc', { issuer: 'https://127.0.0.1:1/' });
  expect(away.status, away.text).toBe(502);
  expect(away.json.message).toMatch(/cannot reach the OpenID provider/);
  const plain = await enableOidc(server, admin, idp, 'oidcConfigs/genericoidc', { issuer: 'http://127.0.0.1:1/' });
  expect(plain.status).toBe(422);
  expect(plain.json.fieldName).toBe('issuer');
  expect((await server.call('/v3/oidcConfigs/genericoidc', { token: admin })).json.enabled).toBe(false);

  const applied = await enableOidc(server, admin, idp, 'oidcConfigs/genericoidc');
  expect(applied.status, applied.text).toBe(200);
  expect(applied.json.enabled).toBe(true);
  expect(applied.json.rancherUrl).toBe(`${server.url}/verify-auth`);
  expect(applied.json).not.toHaveProperty('clientSecret');
  expect((await server.call('/v3-public/authProviders')).json.data.map((p: { id: string }) => p.id)).toEqual([
    'local',
    'genericoidc',
  ]);

  // The browser's way: Corral → provider (PKCE S256) → its login page → back to /verify-auth.
  const web = new WebSession([server.ca, idp.caPem]);
  const start = await web.send('GET', `${server.url}/v3-public/browserLogin/genericoidc`);
  expect(start.status).toBe(302);
  const authorize = new URL(String(start.headers.location));
  expect(authorize.origin + '/').toBe(idp.issuer);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/verify-auth`);
  const loginPage = await web.go('GET', authorize.href);
  // A wrong password stays at the provider.
  const wrong = await signIn(web, loginPage, 'alice', 'not-her-password');
  expect(new URL(wrong.url).origin + '/').toBe(idp.issuer);
  expect(web.cookie(server.url, 'R_SESS')).toBeUndefined();
  const done = await signIn(web, loginPage, 'alice', USERS['sub-alice'].password);
  expect(new URL(done.url).pathname).toBe('/');
  const session = web.cookie(server.url, 'R_SESS');
  expect(session).toMatch(/^token-/);
  const me = (await server.call('/v3/users?me=true', { token: session! })).json.data[0];
  expect(me.name).toBe('Alice Open');
  expect(me.principalIds).toContain('genericoidc_user://sub-alice');
  expect(me.groupPrincipalIds).toEqual(['genericoidc_group://devs', 'genericoidc_group://ops']);
  const principals = await server.call('/v3/principals', { token: session! });
  expect(principals.json.data.map((p: { id: string; name: string }) => [p.id, p.name])).toContainEqual([
    'genericoidc_group://devs',
    'devs',
  ]);

  // A login finished in another browser (no binding cookie) is refused; a used one cannot be replayed.
  const other = new WebSession([server.ca, idp.caPem]);
  const started = await other.send('GET', `${server.url}/v3-public/browserLogin/genericoidc`);
  const page = await other.go('GET', String(started.headers.location));
  const id = /name="id" value="([^"]+)"/.exec(page.body)![1]!;
  const atIdp = await other.send('POST', new URL('/login/username', page.url).href, {
    id,
    username: 'bob',
    password: USERS['sub-bob'].password,
  });
  let hop = atIdp;
  while (!String(hop.headers.location).startsWith(`${server.url}/verify-auth`))
    hop = await other.send('GET', new URL(String(hop.headers.location), hop.url).href);
  const callback = String(hop.headers.location);
  const stranger = new WebSession([server.ca]);
  const refused = await stranger.send('GET', callback);
  expect(refused.status).toBe(403);
  expect(refused.body).toMatch(/started in another browser/);
  const bobDone = await other.send('GET', callback);
  expect(bobDone.status).toBe(302);
  const bobSession = other.cookie(server.url, 'R_SESS')!;
  expect((await server.call('/v3/users?me=true', { token: bobSession })).status).toBe(200);
  const replay = await other.send('GET', callback);
  expect([404, 409]).toContain(replay.status);

  // Required access: only the ops group; bob (no groups) loses his session at the next refresh.
  await server.call('/v3/settings/auth-user-info-max-age-seconds', {
    method: 'PUT',
    token: admin,
    body: { value: '1' },
  });
  const required = await server.call('/v3/oidcConfigs/genericoidc', {
    method: 'PUT',
    token: admin,
    body: { accessMode: 'required', allowedPrincipalIds: ['genericoidc_group://ops'] },
  });
  expect(required.status, required.text).toBe(200);
  await eventually(async () => {
    expect((await server.call('/v3/users?me=true', { token: bobSession })).status).toBe(401);
  }, "bob's session to end");
  expect((await server.call('/v3/users?me=true', { token: session! })).status).toBe(200);

  // Disabled: every session from it ends at once; the local admin goes on.
  expect((await server.call('/v3/oidcConfigs/genericoidc?action=disable', { token: admin, body: {} })).status).toBe(
    200,
  );
  expect((await server.call('/v3/users?me=true', { token: session! })).status).toBe(401);
  expect((await web.send('GET', `${server.url}/v3-public/browserLogin/genericoidc`)).status).toBe(422);
  expect((await server.call('/v3/users?me=true', { token: admin })).status).toBe(200);

  const written = await everythingWritten(server);
  for (const secret of [idp.clientSecret, session!.split(':')[1]!]) expect(written).not.toContain(secret);
});

test('corral login --auth-provider keycloakoidc prints a URL; logging in there in a browser logs the CLI in', async () => {
  const { server, admin, idp } = await setUp();
  const applied = await enableOidc(server, admin, idp, 'keyCloakOIDCConfigs/keycloakoidc');
  expect(applied.status, applied.text).toBe(200);

  const { loginUrl, exited, out, configPath } = await startCliBrowserLogin(server, 'keycloakoidc');

  const web = new WebSession([server.ca, idp.caPem]);
  // First a page saying what this is; its link works only in the browser that saw the page.
  const confirm = await web.send('GET', loginUrl);
  expect(confirm.status).toBe(200);
  expect(confirm.body).toMatch(/Continue only if you just ran it yourself/);
  const next = new URL(/href="([^"]+)"/.exec(confirm.body)![1]!.replaceAll('&amp;', '&'), server.url).href;
  const skipper = new WebSession([server.ca]);
  const skipped = await skipper.send('GET', next);
  expect(skipped.status).toBe(200);
  expect(skipped.body).toMatch(/Log in the Corral command line\?/);
  const page = await web.go('GET', next);
  const finished = await signIn(web, page, 'alice', USERS['sub-alice'].password);
  expect(finished.status).toBe(200);
  expect(finished.body).toMatch(/go back to the terminal/);
  // The login is bound to the first browser: another one cannot take it over, even through the page.
  const late = new WebSession([server.ca]);
  const latePage = await late.send('GET', loginUrl);
  const lateNext = new URL(/href="([^"]+)"/.exec(latePage.body)![1]!.replaceAll('&amp;', '&'), server.url).href;
  expect((await late.send('GET', lateNext)).status).toBeGreaterThanOrEqual(400);

  expect(await exited, out()).toBe(0);
  expect(out()).toMatch(/Logged in to/);
  const saved = parse(await readFile(configPath, 'utf8'));
  const me = (await server.call('/v3/users?me=true', { token: saved.servers[0].token })).json.data[0];
  expect(me.principalIds).toContain('keycloakoidc_user://sub-alice');
  expect(me.groupPrincipalIds).toEqual(['keycloakoidc_group://devs', 'keycloakoidc_group://ops']);
});
