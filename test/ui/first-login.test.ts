import { expect, test } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { goto } from './navigation.js';
import { ADMIN_PASSWORD, startTestServer } from '../helpers/server.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('bootstrap admin: keyboard-only login, forced password change, API key shown once, log out', async () => {
  const server = await startTestServer();
  const { page, context, errors } = await launchBrowser({ baseURL: server.url });

  await goto(page, '/');
  // Keyboard only: the username field has focus on load, Tab moves to the password, Enter submits.
  await expect
    .poll(() => page.evaluate<string | null>('document.activeElement?.getAttribute("name") ?? null'))
    .toBe('username');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await expect
    .poll(() => page.evaluate<string | null>('document.activeElement?.getAttribute("name") ?? null'))
    .toBe('password');
  await page.keyboard.type(ADMIN_PASSWORD);
  await screenshot(page, 'login');
  await page.keyboard.press('Enter');

  // The bootstrap password must be replaced before anything else.
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await screenshot(page, 'forced-password-change');
  await page.getByLabel('Current password').fill(ADMIN_PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('Confirm new password').fill('short');
  await page.getByRole('button', { name: 'Set password and continue' }).click();
  // The server's password policy error is shown next to the field it is about.
  await page
    .locator('.field-invalid')
    .filter({ hasText: 'New password' })
    .getByText(/at least \d+ characters/)
    .waitFor();
  const newPassword = 'a-much-better-password-1';
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password').fill(newPassword);
  await page.getByRole('button', { name: 'Set password and continue' }).click();

  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/clusters');
  // An admin may import clusters and manage users.
  await page.getByRole('button', { name: 'Import cluster' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).waitFor();
  await screenshot(page, 'clusters-empty');

  // The new password works, the old one no longer does.
  expect((await server.login('admin', newPassword)).length).toBeGreaterThan(10);
  const old = await server.call('/v3-public/localProviders/local?action=login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  expect(old.status).toBe(401);

  // An API key: the secret is shown once, works as a Bearer token, and is not shown again.
  await page.getByRole('link', { name: 'Account & API keys' }).click();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await page.getByRole('button', { name: 'Create API key' }).click();
  await page.getByLabel('Description').fill('ci pipeline');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  const secret = (await page.getByTestId('api-key-secret').textContent())!;
  expect(secret).toMatch(/^token-[a-z0-9]+:.+$/);
  await screenshot(page, 'api-key-created');
  const withKey = await server.call('/v3/clusters', { token: secret });
  expect(withKey.status).toBe(200);
  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.getByRole('row').filter({ hasText: 'ci pipeline' });
  await row.waitFor();
  expect(await row.textContent()).toContain(secret.split(':')[0]);
  expect(await page.content()).not.toContain(secret.split(':')[1]);
  await screenshot(page, 'account');

  // Deleting the key (with confirmation) revokes it.
  await row.getByRole('button', { name: 'Delete API key ci pipeline' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete key' }).click();
  await row.waitFor({ state: 'detached' });
  expect((await server.call('/v3/clusters', { token: secret })).status).toBe(401);

  // Escape closes a dialog and gives focus back to the button that opened it.
  const open = page.getByRole('button', { name: 'Create API key' });
  await open.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  // Focus starts in the dialog's first field.
  await expect
    .poll(() => page.evaluate<string | null>('document.activeElement?.getAttribute("name") ?? null'))
    .toBe('description');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await expect
    .poll(() => page.evaluate<string | null>('document.activeElement?.textContent ?? null'))
    .toBe('Create API key');

  // Log out ends the session on the server: a reload shows the login page again.
  const cookiesBefore = await context.cookies();
  const session = cookiesBefore.find((c) => c.name === 'R_SESS')!;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const reused = await server.call('/v3/clusters', { headers: { cookie: `R_SESS=${session.value}` } });
  expect(reused.status).toBe(401);

  // Failed requests (the 401 before login, the 422 above) are logged by Chromium; nothing else may be.
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
