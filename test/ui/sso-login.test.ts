import { expect, test } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { enableOidc, startOidcProvider } from '../helpers/oidc-provider.js';
import { adminToken, startTestServer } from '../helpers/server.js';
import { entry, openLdapConfigFor, startSlapd, SUFFIX } from '../helpers/slapd.js';
import { goto, openAuthenticationPage } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it), `npm run build` and `npm run sso:build`.

const SERVICE_DN = `cn=svc,${SUFFIX}`;
const SERVICE_PASSWORD = 'ui-service-password-Hs3';
const person = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;

test('the login page offers the enabled providers: an LDAP login and an OpenID Connect login in Chromium', async () => {
  const slapd = await startSlapd({
    ldif:
      entry(`ou=people,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'people' }) +
      entry(SERVICE_DN, {
        objectClass: ['person', 'simpleSecurityObject'],
        cn: 'svc',
        sn: 'svc',
        userPassword: SERVICE_PASSWORD,
      }) +
      entry(person('dana'), {
        objectClass: 'inetOrgPerson',
        uid: 'dana',
        cn: 'Dana Directory',
        sn: 'Directory',
        userPassword: 'dana-pass-Lp9',
      }) +
      entry(person('tester'), {
        objectClass: 'inetOrgPerson',
        uid: 'tester',
        cn: 'Tester',
        sn: 'T',
        userPassword: 'tester-pass-Qa1',
      }),
  });
  const server = await startTestServer();
  const admin = await adminToken(server);
  const idp = await startOidcProvider({
    redirectUri: `${server.url}/verify-auth`,
    users: {
      'sub-olga': {
        username: 'olga',
        password: 'olga-pass-Zx7',
        firstName: 'Olga',
        lastName: 'Connect',
        email: 'olga@example.org',
        groups: ['devs'],
      },
    },
  });
  const ldap = await server.call('/v3/openLdapConfigs/openldap?action=testAndApply', {
    token: admin,
    body: {
      // This directory has no groups.
      ldapConfig: openLdapConfigFor(slapd, { dn: SERVICE_DN, password: SERVICE_PASSWORD }, { groupSearchBase: '' }),
      username: 'tester',
      password: 'tester-pass-Qa1',
    },
  });
  expect(ldap.status, ldap.text).toBe(200);
  const oidc = await enableOidc(server, admin, idp, 'oidcConfigs/genericoidc');
  expect(oidc.status, oidc.text).toBe(200);

  const { page, errors } = await launchBrowser({ baseURL: server.url });
  await goto(page, '/');
  await page.getByLabel('Account').selectOption('openldap');
  await page.getByLabel('Username').fill('dana');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('alert').getByText('wrong username or password').waitFor();
  await page.getByLabel('Password').fill('dana-pass-Lp9');
  await screenshot(page, 'login-ldap');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  await page.getByText('Dana Directory').first().waitFor();
  // 401s (the signed-out start, the wrong password) are answers, not page errors.
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);

  // OpenID Connect, in another browser: the button leaves for the provider's own login page and
  // comes back signed in.
  const second = await launchBrowser({ baseURL: server.url });
  const other = second.page;
  await goto(other, '/');
  await other.getByRole('link', { name: 'Log in with OpenID Connect' }).click();
  await other.waitForURL((u) => u.href.startsWith(idp.issuer));
  await other.locator('input[name="username"]').fill('olga');
  await other.locator('input[name="password"]').fill('olga-pass-Zx7');
  await screenshot(other, 'login-oidc-provider');
  await other.locator('button[type="submit"], input[type="submit"]').first().click();
  await other.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  expect(new URL(other.url()).origin).toBe(server.url);
  await other.getByText('Olga Connect').first().waitFor();
  expect(second.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});

test('an admin sees the providers on the Authentication page and disables one there', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server, 'admin-password-changed-1');
  const idp = await startOidcProvider({ redirectUri: `${server.url}/verify-auth`, users: {} });
  const oidc = await enableOidc(server, admin, idp, 'keyCloakOIDCConfigs/keycloakoidc');
  expect(oidc.status, oidc.text).toBe(200);
  const { page, errors } = await launchBrowser({ baseURL: server.url });
  const table = await openAuthenticationPage(page, 'admin-password-changed-1');
  await table.getByRole('row', { name: /Keycloak \(OIDC\)\s+Enabled/ }).waitFor();
  await table.getByRole('row', { name: /OpenLDAP\s+Disabled/ }).waitFor();
  // The form is the type's declaration: the client secret is never filled back in.
  await page.getByRole('button', { name: 'Configure Keycloak (OIDC)' }).click();
  await expect.poll(() => page.getByLabel('Issuer', { exact: false }).first().inputValue()).toBe(idp.issuer);
  await screenshot(page, 'auth-provider-form');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Disable Keycloak (OIDC)' }).click();
  await table.getByRole('row', { name: /Keycloak \(OIDC\)\s+Disabled/ }).waitFor();
  const after = await server.call('/v3/keyCloakOIDCConfigs/keycloakoidc', { token: admin });
  expect(after.json.enabled).toBe(false);
  // 401s (the signed-out start, the wrong password) are answers, not page errors.
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
