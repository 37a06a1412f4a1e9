import { expect, test } from 'vitest';
import { launchBrowser, signIn, startUiServer } from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { kubectl, startTestControlPlane } from '../helpers/control-plane.js';
import { startTestServer } from '../helpers/server.js';

test('after a server restart the list reconnects and re-lists: what changed while it was down is shown, without reloading', async () => {
  const [ui, cp] = await Promise.all([startUiServer(), startTestControlPlane()]);
  const clusterId = await registerDirect(ui.server, ui.adminToken, cp, 'restart');
  await kubectl(cp, 'create', 'configmap', 'doomed', '-n', 'default');
  const { page, context } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  const sent: {
    op: string;
    id: string;
    target: { kind: string; type?: string; path?: string };
    resourceVersion?: string;
  }[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') sent.push(JSON.parse(f.payload));
    }),
  );
  const watchesOf = (what: string) =>
    sent.filter((m) => m.op === 'watch' && (m.target.type === what || m.target.path === what));
  await page.goto(`/c/${clusterId}/configmaps?ns=default`);
  const status = page.getByRole('status').filter({ hasText: /^(Live|Loading…|Reconnecting…|Not live)/ });
  await page.getByRole('link', { name: 'doomed', exact: true }).waitFor();
  await status.filter({ hasText: 'Live' }).waitFor();
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  // The top bar and the cluster view both show the clusters: one list, one watch between them.
  // (Each watch starts when its own list is done; the clusters' may finish after the configmaps'.)
  await expect.poll(() => watchesOf('cluster').length).toBeGreaterThan(0);
  expect(watchesOf('cluster')).toHaveLength(1);
  expect(watchesOf('/api/v1/namespaces/default/configmaps')).toHaveLength(1);

  await ui.server.stop();
  await status.filter({ hasText: 'Reconnecting…' }).waitFor();
  // Changes the socket cannot report: they happen while there is no server at all.
  await kubectl(cp, 'create', 'configmap', 'made-while-down', '-n', 'default');
  await kubectl(cp, 'delete', 'configmap', 'doomed', '-n', 'default');
  await startTestServer({ dataDir: ui.server.dataDir, port: ui.server.port });

  await page.getByRole('link', { name: 'made-while-down', exact: true }).waitFor({ timeout: 90_000 });
  await page.getByRole('link', { name: 'doomed', exact: true }).waitFor({ state: 'detached' });
  await status.filter({ hasText: 'Live' }).waitFor();
  // A new watch from the fresh list's version, under a new id.
  const [before, after] = watchesOf('/api/v1/namespaces/default/configmaps');
  expect(after?.id).not.toBe(before?.id);
  expect(Number(after?.resourceVersion)).toBeGreaterThan(Number(before?.resourceVersion));
  // And it is live again: a change after the restart arrives by the new watch.
  await kubectl(cp, 'create', 'configmap', 'after-restart', '-n', 'default');
  await page.getByRole('link', { name: 'after-restart', exact: true }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
