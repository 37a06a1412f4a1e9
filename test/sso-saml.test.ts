import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { startCliBrowserLogin } from './helpers/cli-login.js';
import { bindGroupToReadConfigMaps, expectOnlyMemberReads, registerDirect } from './helpers/clusters.js';
import { startTestControlPlane } from './helpers/control-plane.js';
import { enableSaml, formOf, spKeyPair, startSamlIdp, type SamlIdp, type SamlUser } from './helpers/saml-idp.js';
import { adminToken, startTestServer } from './helpers/server.js';
import { everythingWritten } from './helpers/written.js';
import { WebSession, type WebResponse } from './helpers/web-session.js';

const USERS: Record<string, SamlUser> = {
  alice: {
    password: 'alice-saml-pass-Rk4',
    email: 'alice@example.org',
    common_name: 'Alice Assertion',
    groups: ['devs', 'ops'],
  },
  bob: { password: 'bob-saml-pass-Wd8', email: 'bob@example.org', common_name: 'Bob Assertion', groups: [] },
};

/**
 * Corral → IdP (AuthnRequest by redirect) → its login form, filled in → the IdP's auto-posting
 * form, returned unposted so a test can post it (or a changed copy) to the ACS.
 */
async function toIdpResponse(web: WebSession, startUrl: string, user: string, idp: SamlIdp): Promise<WebResponse> {
  const start = await web.send('GET', startUrl);
  expect(start.status, start.body).toBe(302);
  const loginPage = await web.go('GET', String(start.headers.location));
  expect(loginPage.status, idp.log()).toBe(200);
  const login = formOf(loginPage.body, loginPage.url);
  const answer = await web.go('POST', login.action, {
    ...login.fields,
    user,
    password: USERS[user]!.password,
  });
  expect(answer.status, idp.log()).toBe(200);
  return answer;
}

/** Posts the IdP's response form to Corral's ACS, as the page's script would. */
const postToAcs = (web: WebSession, page: WebResponse, change?: (fields: Record<string, string>) => void) => {
  const form = formOf(page.body, page.url);
  change?.(form.fields);
  return web.send('POST', form.action, form.fields);
};

test('SAML: signed assertions from a real IdP, groups, a tampered assertion and a replay refused, bad configs refused', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server);
  const idp = await startSamlIdp(USERS);
  const sp = await spKeyPair();

  // Checked before enabling: metadata without a signing certificate or SSO URL, not XML, a key
  // that is not spCert's. Nothing is stored or enabled.
  const unsigned = idp.metadata.replace(/<(\w+:)?KeyDescriptor[\s\S]*?<\/(\w+:)?KeyDescriptor>/g, '');
  expect(unsigned).not.toMatch(/X509Certificate/);
  const noCert = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', sp, {
    idpMetadataContent: unsigned,
  });
  expect(noCert.status, noCert.text).toBe(422);
  expect(noCert.json.fieldName).toBe('idpMetadataContent');
  expect(noCert.json.message).toMatch(/no signing certificate/);
  const noSso = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', sp, {
    idpMetadataContent: idp.metadata.replace(/<(\w+:)?SingleSignOnService[^>]*>/g, ''),
  });
  expect(noSso.status, noSso.text).toBe(422);
  expect(noSso.json.message).toMatch(/SingleSignOnService/);
  const notXml = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', sp, {
    idpMetadataContent: '<EntityDescriptor',
  });
  expect(notXml.status, notXml.text).toBe(422);
  expect(notXml.json.fieldName).toBe('idpMetadataContent');
  const other = await spKeyPair();
  const wrongKey = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', { ...sp, key: other.key });
  expect(wrongKey.status, wrongKey.text).toBe(422);
  expect(wrongKey.json.fieldName).toBe('spKey');
  expect((await server.call('/v3/shibbolethConfigs/shibboleth', { token: admin })).json.enabled).toBe(false);
  expect((await server.call('/v1-saml/shibboleth/saml/metadata')).status).toBe(404);

  const applied = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', sp);
  expect(applied.status, applied.text).toBe(200);
  expect(applied.json.enabled).toBe(true);
  expect(applied.json.rancherApiHost).toBe(server.url);
  expect(applied.json).not.toHaveProperty('spKey');
  expect((await server.call('/v3/shibbolethConfigs/shibboleth', { token: admin })).json).not.toHaveProperty('spKey');
  const metadata = await server.call('/v1-saml/shibboleth/saml/metadata');
  expect(metadata.text).toContain(`entityID="${server.url}/v1-saml/shibboleth/saml/metadata"`);
  expect(metadata.text).toContain(`Location="${server.url}/v1-saml/shibboleth/saml/acs"`);
  expect(metadata.text).not.toContain('PRIVATE KEY');
  expect((await server.call('/v3-public/authProviders')).json.data.map((p: { id: string }) => p.id)).toEqual([
    'local',
    'shibboleth',
  ]);

  // The whole flow: Corral → IdP login → signed response posted to the ACS → session.
  const web = new WebSession([server.ca, idp.caPem]);
  const start = `${server.url}/v3-public/browserLogin/shibboleth`;
  const first = await web.send('GET', start);
  const sso = new URL(String(first.headers.location));
  expect(sso.origin).toBe(idp.url);
  expect(sso.searchParams.get('SAMLRequest')).toBeTruthy();
  const answer = await toIdpResponse(web, start, 'alice', idp);
  const posted = await postToAcs(web, answer);
  expect(posted.status, posted.body).toBe(302);
  expect(posted.headers.location).toBe('/');
  const session = web.cookie(server.url, 'R_SESS');
  expect(session).toMatch(/^token-/);
  const me = (await server.call('/v3/users?me=true', { token: session! })).json.data[0];
  expect(me.name).toBe('Alice Assertion');
  expect(me.principalIds).toContain('shibboleth_user://alice');
  expect(me.groupPrincipalIds).toEqual(['shibboleth_group://devs', 'shibboleth_group://ops']);
  const principals = await server.call('/v3/principals', { token: session! });
  expect(principals.json.data.map((p: { id: string }) => p.id)).toContain('shibboleth_group://ops');

  // Bad posts to the ACS: said plainly, nothing happens.
  const acs = `${server.url}/v1-saml/shibboleth/saml/acs`;
  const asJson = await server.call('/v1-saml/shibboleth/saml/acs', { body: { SAMLResponse: 'x' } });
  expect(asJson.status, asJson.text).toBe(415);
  const empty = await web.send('POST', acs, { RelayState: 'login-none.x' });
  expect(empty.status, empty.body).toBe(400);
  expect(empty.body).toMatch(/post SAMLResponse and RelayState/);
  const unknown = await web.send('POST', acs, { SAMLResponse: 'PHg+', RelayState: 'login-none.x' });
  expect(unknown.status, unknown.body).toBe(404);
  expect((await server.call('/v1-saml/nosuch/saml/metadata')).status).toBe(404);

  // The same response again: its login is used up.
  const replay = await postToAcs(web, answer);
  expect([404, 409]).toContain(replay.status);

  // Tampered: bob's real signed response with the user id inside the assertion changed to
  // alice's. The signature no longer verifies: refused, no session.
  const mallory = new WebSession([server.ca, idp.caPem]);
  const bobAnswer = await toIdpResponse(mallory, start, 'bob', idp);
  const tampered = await postToAcs(mallory, bobAnswer, (fields) => {
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    const changed = xml.replace(/(<saml:AttributeValue[^>]*>)bob(<\/saml:AttributeValue>)/g, '$1alice$2');
    expect(changed).not.toBe(xml);
    fields.SAMLResponse = Buffer.from(changed).toString('base64');
  });
  expect(tampered.status, tampered.body).toBe(401);
  expect(tampered.body).toMatch(/SAML response was refused: .*signature/i);
  expect(mallory.cookie(server.url, 'R_SESS')).toBeUndefined();

  // Unsigned: the signatures taken out altogether.
  const carol = new WebSession([server.ca, idp.caPem]);
  const carolAnswer = await toIdpResponse(carol, start, 'bob', idp);
  const stripped = await postToAcs(carol, carolAnswer, (fields) => {
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    const changed = xml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');
    expect(changed).not.toBe(xml);
    fields.SAMLResponse = Buffer.from(changed).toString('base64');
  });
  expect(stripped.status, stripped.body).toBe(401);
  expect(stripped.body).toMatch(/signature/i);
  expect(carol.cookie(server.url, 'R_SESS')).toBeUndefined();

  // A real response for another login (InResponseTo names that login's AuthnRequest) is refused.
  const one = new WebSession([server.ca, idp.caPem]);
  const two = new WebSession([server.ca, idp.caPem]);
  const firstAnswer = await toIdpResponse(one, start, 'bob', idp);
  const secondAnswer = await toIdpResponse(two, start, 'bob', idp);
  const swapped = await postToAcs(two, secondAnswer, (fields) => {
    fields.SAMLResponse = formOf(firstAnswer.body, firstAnswer.url).fields.SAMLResponse!;
  });
  expect(swapped.status, swapped.body).toBe(401);
  expect(swapped.body).toMatch(/InResponseTo/);
  expect(two.cookie(server.url, 'R_SESS')).toBeUndefined();

  // A response posted from a browser that did not start the login is refused.
  const dave = new WebSession([server.ca, idp.caPem]);
  const daveAnswer = await toIdpResponse(dave, start, 'bob', idp);
  const stranger = new WebSession([server.ca]);
  const strange = await postToAcs(stranger, daveAnswer);
  expect(strange.status, strange.body).toBe(403);

  // Required access: only the ops group; bob is refused, alice comes in.
  const required = await server.call('/v3/shibbolethConfigs/shibboleth', {
    method: 'PUT',
    token: admin,
    body: { accessMode: 'required', allowedPrincipalIds: ['shibboleth_group://ops'] },
  });
  expect(required.status, required.text).toBe(200);
  const erin = new WebSession([server.ca, idp.caPem]);
  const refused = await postToAcs(erin, await toIdpResponse(erin, start, 'bob', idp));
  expect(refused.status, refused.body).toBe(403);
  expect(refused.body).toMatch(/not among the users and groups allowed/);

  // Disabled: its sessions end at once; the local admin goes on.
  expect(
    (await server.call('/v3/shibbolethConfigs/shibboleth?action=disable', { token: admin, body: {} })).status,
  ).toBe(200);
  expect((await server.call('/v3/users?me=true', { token: session! })).status).toBe(401);
  expect((await server.call('/v3/users?me=true', { token: admin })).status).toBe(200);

  const written = await everythingWritten(server);
  const keyBody = sp.key.split('\n').slice(1, 3).join('\n');
  for (const secret of [keyBody, session!.split(':')[1]!]) expect(written).not.toContain(secret);
});

test('corral login --auth-provider okta prints a URL; a group binding downstream applies through kubectl', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server);
  const idp = await startSamlIdp(USERS);
  const applied = await enableSaml(server, admin, idp, 'oktaConfigs/okta', await spKeyPair());
  expect(applied.status, applied.text).toBe(200);

  const { loginUrl, exited, out, configPath } = await startCliBrowserLogin(server, 'okta');
  const web = new WebSession([server.ca, idp.caPem]);
  const confirm = await web.send('GET', loginUrl);
  expect(confirm.body).toMatch(/Continue only if you just ran it yourself/);
  const next = new URL(/href="([^"]+)"/.exec(confirm.body)![1]!.replaceAll('&amp;', '&'), server.url).href;
  const answer = await toIdpResponse(web, next, 'alice', idp);
  const finished = await postToAcs(web, answer);
  expect(finished.status, finished.body).toBe(200);
  expect(finished.body).toMatch(/go back to the terminal/);
  expect(await exited, out()).toBe(0);
  const token = String(parse(await readFile(configPath, 'utf8')).servers[0].token);
  const me = (await server.call('/v3/users?me=true', { token })).json.data[0];
  expect(me.principalIds).toContain('okta_user://alice');

  // A RoleBinding downstream to the SAML group: alice reads through the proxy (Impersonate-Group); bob does not.
  const bobWeb = new WebSession([server.ca, idp.caPem]);
  expect(
    (await postToAcs(bobWeb, await toIdpResponse(bobWeb, `${server.url}/v3-public/browserLogin/okta`, 'bob', idp)))
      .status,
  ).toBe(302);
  const bobToken = bobWeb.cookie(server.url, 'R_SESS')!;
  const cp = await startTestControlPlane();
  const clusterId = await registerDirect(server, admin, cp, 'saml-groups');
  const kubeconfigOf = await bindGroupToReadConfigMaps(server, cp, clusterId, 'okta_group://devs');
  const alice = await kubeconfigOf('alice', token);
  const bob = await kubeconfigOf('bob', bobToken);
  await expectOnlyMemberReads(alice, bob);
});
