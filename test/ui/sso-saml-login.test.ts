import { expect, test } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { enableSaml, spKeyPair, startSamlIdp } from '../helpers/saml-idp.js';
import { adminToken, startTestServer } from '../helpers/server.js';
import { goto } from './navigation.js';

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
