import type { Page } from 'playwright-core';

/**
 * page.goto that tries again when Chromium aborts the navigation because it saw the host's network
 * change (ERR_NETWORK_CHANGED): other tests on the same machine create and remove network
 * interfaces, which has nothing to do with what the UI tests check.
 */
export async function goto(page: Page, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(path);
      return;
    } catch (err) {
      if (attempt >= 4 || !/ERR_NETWORK_CHANGED/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Logs the admin in on the login page and opens Administration → Authentication; returns its providers table. */
export async function openAuthenticationPage(page: Page, adminPassword: string) {
  await goto(page, '/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Authentication' }).click();
  return page.getByRole('table', { name: 'Authentication providers' });
}
