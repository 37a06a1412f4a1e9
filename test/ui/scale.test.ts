import { expect, test } from 'vitest';
import { createPods, podName } from '../../bench/lib/pods.js';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { kubectl, startTestControlPlane } from '../helpers/control-plane.js';

const PODS = 10_000;

test('a namespace with 10,000 pods renders its pod list virtualized, filters, sorts, and shows a new pod live', async () => {
  const [ui, cp] = await Promise.all([startUiServer(), startTestControlPlane()]);
  const clusterId = await registerDirect(ui.server, ui.adminToken, cp, 'big');
  await kubectl(cp, 'create', 'namespace', 'scale');
  await createPods(cp.kubeconfigPath, 'scale', PODS);

  const { page, context, errors } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await page.goto(`/c/${clusterId}/pods?ns=scale`);
  await page.getByText('10,000 of 10,000').waitFor({ timeout: 120_000 });
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  // Only the rows in view (plus a few either side) are in the document.
  const rendered = page.locator('tbody tr[data-index]');
  expect(await rendered.count()).toBeGreaterThan(5);
  expect(await rendered.count()).toBeLessThan(100);
  expect(await page.getByRole('table', { name: 'Pods' }).getAttribute('aria-rowcount')).toBe(String(PODS + 1));
  await page.getByRole('link', { name: podName(0), exact: true }).waitFor();
  await screenshot(page, 'cluster-pods-10k');

  // Keyboard: into the table, End reaches the last pod.
  await page.getByRole('region', { name: /^Pods table/ }).focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.getByRole('link', { name: podName(PODS - 1), exact: true }).waitFor();

  const filter = page.getByLabel('Filter', { exact: true });
  await filter.fill('pod-0999');
  await page.getByText('10 of 10,000').waitFor();
  expect(await rendered.count()).toBe(10);

  // Sorting by name descending puts the last pod first.
  await filter.fill('');
  await page.getByText('10,000 of 10,000').waitFor();
  await page.getByRole('button', { name: 'Name' }).click();
  expect(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe('descending');
  expect(await rendered.first().getByRole('link').textContent()).toBe(podName(PODS - 1));

  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  await kubectl(cp, 'run', 'added-live', '--image=registry.invalid/x:1', '-n', 'scale');
  await page.getByText('10,001 of 10,001').waitFor({ timeout: 60_000 });
  await filter.fill('added-live');
  await page.getByRole('link', { name: 'added-live', exact: true }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(errors).toEqual([]);
}, 600_000);
