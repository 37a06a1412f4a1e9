import { expect, test } from 'vitest';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { kubectl, startTestControlPlane } from '../helpers/control-plane.js';

test('the clusters page shows requested of allocatable as meters, sorts by how full, and follows a scale live', async () => {
  const [ui, cp, idle] = await Promise.all([
    startUiServer(),
    startTestControlPlane({ name: 'busy', nodes: 1 }),
    startTestControlPlane({ name: 'idle' }),
  ]);
  const clusterId = await registerDirect(ui.server, ui.adminToken, cp, 'busy');
  await registerDirect(ui.server, ui.adminToken, idle, 'idle');
  // As a person would: the resources set after the fact roll the pods over to ones that ask for them.
  await kubectl(cp, 'create', 'deployment', 'web', '--image=registry.invalid/web:1', '--replicas=3');
  await kubectl(cp, 'set', 'resources', 'deployment', 'web', '--requests=cpu=250m,memory=64Mi');

  const { page, context, errors } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await page.goto('/clusters');
  const busy = page.getByRole('row').filter({ hasText: 'busy' });
  // One kwok node: 32 cores allocatable; three replicas of 250m.
  const cpu = busy.getByRole('meter', { name: 'CPU requested 0.75 of 32 cores' });
  await cpu.waitFor({ timeout: 60_000 });
  expect(await cpu.getAttribute('aria-valuenow')).toBe('0.75');
  expect(await cpu.getAttribute('aria-valuemax')).toBe('32');
  expect(await busy.textContent()).toContain('0.75 / 32');
  await busy.getByRole('meter', { name: /^Memory requested 192 MiB of / }).waitFor();
  await busy.getByRole('meter', { name: 'Pods requested 3 of 110 pods' }).waitFor();
  await screenshot(page, 'clusters-usage');

  // Sorting by CPU goes by the fraction requested: the idle cluster (no nodes, nothing to fill) first.
  const names = async () =>
    (await page.locator('tbody tr[data-index] td:first-child').allTextContents()).map((t) => t.trim());
  expect(await names()).toEqual(['busy', 'idle']);
  await page.getByRole('button', { name: 'CPU' }).click();
  await expect.poll(names).toEqual(['idle', 'busy']);
  await page.getByRole('button', { name: 'CPU' }).click();
  await expect.poll(names).toEqual(['busy', 'idle']);

  // Live: a scale with kubectl moves the meter without a reload.
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=1');
  await busy.getByRole('meter', { name: 'CPU requested 0.25 of 32 cores' }).waitFor({ timeout: 60_000 });
  await busy.getByRole('meter', { name: 'Pods requested 1 of 110 pods' }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // The cluster's own pages show the same gauges in their head.
  await page.getByRole('link', { name: 'Open cluster busy' }).click();
  const summary = page.getByRole('definition').getByRole('meter', { name: 'CPU requested 0.25 of 32 cores' });
  await summary.waitFor();
  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=2');
  await page.getByRole('meter', { name: 'CPU requested 0.5 of 32 cores' }).waitFor({ timeout: 60_000 });
  await screenshot(page, 'cluster-usage-summary');
  expect(page.url()).toContain(`/c/${clusterId}`);
  expect(errors).toEqual([]);
}, 300_000);
