import { expect, test } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { enableSaml, SAML_ATTRS, spKeyPair, startSamlIdp } from '../helpers/saml-idp.js';
import { adminToken, startTestServer } from '../helpers/server.js';
import { goto, openAuthenticationPage } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it), `npm run build` and `npm run sso:build`.

test('SAML in Chromium: the login page button leaves for the IdP, whose signed response posts back and signs in', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server);
  const idp = await startSamlIdp({
    sam: { password: 'sam-saml-pass-Jy2', email: 'sam@example.org', common_name: 'Sam Saml', groups: ['devs'] },
  });
  const applied = await enableSaml(server, admin, idp, 'shibbolethConfigs/shibboleth', await spKeyPair());
  expect(applied.status, applied.text).toBe(200);

  const { page, errors } = await launchBrowser({ baseURL: server.url });
  await goto(page, '/');
  await page.getByRole('link', { name: 'Log in with Shibboleth (SAML)' }).click();
  await page.waitForURL((u) => u.href.startsWith(idp.url));
  await page.locator('input[name="user"]').fill('sam');
  await page.locator('input[name="password"]').fill('sam-saml-pass-Jy2');
  await screenshot(page, 'login-saml-idp');
  await page.locator('input[type="submit"]').click();
  // The IdP's page posts the signed response to Corral's ACS by itself.
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  expect(new URL(page.url()).origin).toBe(server.url);
  await page.getByText('Sam Saml').first().waitFor();
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  const users = await server.call('/v3/users', { token: admin });
  const sam = users.json.data.find((u: { principalIds: string[] }) => u.principalIds.includes('shibboleth_user://sam'));
  expect(sam.groupPrincipalIds).toEqual(['shibboleth_group://devs']);
});

test('an admin configures Okta (SAML) on the Authentication page: metadata without a signing certificate is refused there', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server, 'admin-password-changed-1');
  const idp = await startSamlIdp({});
  const sp = await spKeyPair();
  const { page, errors } = await launchBrowser({ baseURL: server.url });
  const table = await openAuthenticationPage(page, 'admin-password-changed-1');
  await table.getByRole('row', { name: /Okta \(SAML\)\s+Disabled/ }).waitFor();
  await page.getByRole('button', { name: 'Configure Okta (SAML)' }).click();
  await page.getByText('/v1-saml/okta/saml/metadata').waitFor();
  const unsigned = idp.metadata.replace(/<(\w+:)?KeyDescriptor[\s\S]*?<\/(\w+:)?KeyDescriptor>/g, '');
  await page.getByLabel('IdP metadata').fill(unsigned);
  await page.getByLabel('SP certificate').fill(sp.cert);
  await page.getByLabel('SP private key').fill(sp.key);
  await page.getByLabel('Groups field').fill(SAML_ATTRS.groups);
  await page.getByRole('button', { name: 'Test and enable' }).click();
  await page
    .getByText(/no signing certificate/)
    .first()
    .waitFor();
  await page.getByLabel('IdP metadata').fill(idp.metadata);
  await screenshot(page, 'auth-provider-saml-form');
  await page.getByRole('button', { name: 'Test and enable' }).click();
  await table.getByRole('row', { name: /Okta \(SAML\)\s+Enabled/ }).waitFor();
  const saved = await server.call('/v3/oktaConfigs/okta', { token: admin });
  expect(saved.json.enabled).toBe(true);
  expect(saved.json.groupsField).toBe(SAML_ATTRS.groups);
  expect(saved.json).not.toHaveProperty('spKey');
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
