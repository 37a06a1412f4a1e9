import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from '../helpers/control-plane.js';
import { httpsReceiver, loopbackTls } from '../helpers/receivers.js';
import { goto } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('alerts and monitoring pages: add a notifier, see a rule fire and mute it, enable monitoring and read a graph with its PromQL', async () => {
  const tls = await loopbackTls();
  const recv = await httpsReceiver(tls);
  const [ui, cp] = await Promise.all([
    startUiServer({
      env: { NODE_EXTRA_CA_CERTS: tls.caFile, CORRAL_ALERT_EVAL_SECONDS: '1', CORRAL_MONITORING_SCRAPE_SECONDS: '2' },
    }),
    startTestControlPlane(),
  ]);
  const admin = ui.adminToken;
  const clusterId = await registerDirect(ui.server, admin, cp, 'prod');
  const { page, context } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await goto(page, `/c/${clusterId}`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  await page.getByRole('heading', { name: 'Alerts' }).waitFor();

  // A notifier from the form, derived from the schema: the webhook kind.
  await page.getByRole('button', { name: 'Add notifier' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Kind').selectOption('webhookConfig');
  await dialog.getByLabel('Name', { exact: true }).fill('ops-hook');
  await dialog.getByLabel('Url', { exact: true }).fill(`${recv.url}/ui`);
  await dialog.getByRole('button', { name: 'Add' }).click();
  const notifiers = page.getByRole('table', { name: 'Notifiers' });
  await notifiers.getByRole('row').filter({ hasText: 'ops-hook' }).waitFor();
  await page.getByRole('button', { name: 'Send a test message through ops-hook' }).click();
  await expect.poll(() => recv.got.length, { timeout: 20_000 }).toBe(1);

  // A group and a node rule (through the API), then a node goes NotReady.
  const n = (await ui.server.call('/v3/notifiers', { token: admin })).json.data[0];
  const g = await ui.server.call('/v3/clusterAlertGroups', {
    token: admin,
    body: { clusterId, name: 'nodes', groupWaitSeconds: 1, recipients: [{ notifierId: n.id }] },
  });
  expect(g.status, g.text).toBe(201);
  const r = await ui.server.call('/v3/clusterAlertRules', {
    token: admin,
    body: { clusterId, groupId: g.json.id, name: 'node-down', nodeRule: { condition: 'notready' } },
  });
  expect(r.status, r.text).toBe(201);
  const dir = await testDir('ui-alerts');
  await writeFile(join(dir, 'node.yaml'), 'apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-9\n');
  await kubectl(cp, 'apply', '-f', join(dir, 'node.yaml'));
  const rules = page.getByRole('table', { name: 'Alert rules' });
  const row = rules.getByRole('row').filter({ hasText: 'node-down' });
  await row.filter({ hasText: 'alerting' }).waitFor({ timeout: 30_000 });
  await row.filter({ hasText: 'node worker-9 is not ready' }).waitFor();
  await page.getByRole('button', { name: 'mute rule node-down' }).click();
  await row.filter({ hasText: 'muted' }).waitFor();
  await page.getByRole('table', { name: 'Alert groups' }).getByRole('row').filter({ hasText: 'ops-hook' }).waitFor();
  await screenshot(page, 'alerts');

  // Monitoring: off, then on; the API server graph draws with its expression.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring' }).click();
  await page.getByText('Monitoring is off for this cluster').waitFor();
  await page.getByRole('button', { name: 'Enable monitoring' }).click();
  const graph = page.getByRole('figure', { name: 'API server requests' });
  await expect
    .poll(
      async () => {
        if (await graph.count()) return true;
        const again = page.getByRole('button', { name: 'Check again' });
        if (await again.count()) await again.click();
        return false;
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(true);
  await page.getByLabel('Range').selectOption('900');
  await expect
    .poll(
      async () => {
        if (await graph.locator('svg.chart').count()) return true;
        // The rate needs two scrapes: ask again.
        await page.getByRole('button', { name: 'Show' }).click();
        return false;
      },
      { timeout: 60_000, interval: 2000 },
    )
    .toBe(true);
  await graph.getByText('PromQL').click();
  await graph.getByText('sum by (code) (rate(apiserver_request_total[5m]))').waitFor();
  await screenshot(page, 'monitoring');
});
