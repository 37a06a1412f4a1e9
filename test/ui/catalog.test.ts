import { join } from 'node:path';
import { expect, test } from 'vitest';
import { launchBrowser, signIn, startUiServer } from '../helpers/browser.js';
import { makeChart, packageInto, QUESTIONS, serveHttps } from '../helpers/chart-repo.js';
import { registerDirect } from '../helpers/clusters.js';
import { startTestControlPlane, testDir } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { goto } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('catalog: search, a chart page with README and its questions as a form, install, upgrade and roll back', async () => {
  const work = await testDir('ui-charts');
  const keepTemplates = ['deployment.yaml', 'service.yaml', 'serviceaccount.yaml'];
  const v1 = await makeChart(join(work, 'a'), {
    name: 'demo',
    version: '0.1.0',
    questions: QUESTIONS,
    appReadme: 'Demo serves web pages.',
    keepTemplates,
  });
  const v2 = await makeChart(join(work, 'b'), { name: 'demo', version: '0.2.0', questions: QUESTIONS, keepTemplates });
  const other = await makeChart(join(work, 'c'), { name: 'other', version: '1.0.0', keepTemplates });
  await packageInto(join(work, 'www'), [v1, v2, other]);
  const https = await serveHttps(join(work, 'www'));
  const [ui, cp] = await Promise.all([
    startUiServer({ env: { NODE_EXTRA_CA_CERTS: https.caFile } }),
    startTestControlPlane(),
  ]);
  const admin = ui.adminToken;
  const clusterId = await registerDirect(ui.server, admin, cp, 'prod');
  const projectId = (await ui.server.call('/v3/projects', { token: admin, body: { name: 'web', clusterId } })).json
    .id as string;
  const ns = await ui.server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: admin,
    body: { name: 'web', projectId },
  });
  expect(ns.status).toBe(201);
  expect((await ui.server.call('/v3/catalogs', { token: admin, body: { name: 'lib', url: https.url } })).status).toBe(
    201,
  );
  await eventually(async () => {
    const c = (await ui.server.call('/v3/catalogs/lib', { token: admin })).json;
    if (c.state !== 'active' || !c.templateCount) throw new Error(`${c.state} ${c.message}`);
  }, 'the catalog to sync');

  const { page, context } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await goto(page, '/clusters');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
  const charts = page.getByRole('list', { name: 'Charts' });
  await charts.getByRole('link', { name: 'other' }).waitFor();
  await page.getByLabel('Search charts').fill('dem');
  await charts.getByRole('link', { name: 'other' }).waitFor({ state: 'detached' });
  await page.getByRole('table', { name: 'Catalogs' }).getByRole('row').filter({ hasText: 'lib' }).waitFor();
  await charts.getByRole('link', { name: 'demo' }).click();

  // The chart page: README, app-readme and the questions with their defaults; show_if and subquestions follow the answers.
  await page.getByRole('heading', { name: 'demo' }).waitFor();
  await page.getByText('The README of demo 0.2.0.').waitFor();
  await page.getByText('Demo serves web pages.').waitFor({ state: 'detached' }); // only 0.1.0 has one
  await page.getByLabel('Version').selectOption('0.1.0');
  await page.getByText('Demo serves web pages.').waitFor();
  const form = page.getByRole('form', { name: 'Install' });
  expect(await form.getByLabel('Replicas').inputValue()).toBe('1');
  expect(await form.getByLabel('Service port').count()).toBe(0);
  expect(await form.getByLabel('Image tag').count()).toBe(0);
  await form.getByLabel('Expose a service').check();
  expect(await form.getByLabel('Service port').inputValue()).toBe('80');
  await form.getByLabel('Image tag').waitFor();
  await form.getByLabel('Expose a service').uncheck();
  await form.getByLabel('Project').selectOption(projectId);
  await form.getByLabel('Name', { exact: true }).fill('site');
  await form.getByLabel('Namespace').fill('web');
  // Required: an emptied answer is refused at its input before anything is sent.
  await form.getByLabel('Replicas').fill('');
  await form.getByRole('button', { name: 'Install' }).click();
  expect(
    await form
      .getByLabel('Replicas')
      .evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing),
  ).toBe(true);
  expect((await ui.server.call('/v3/apps', { token: admin })).json.data).toEqual([]);
  await form.getByLabel('Replicas').fill('2');
  await form.getByRole('button', { name: 'Install' }).click();

  // The app page: state, helm's output, revisions; upgrade to the newer version, roll back.
  await page
    .getByRole('heading', { name: /App site/ })
    .locator('[data-state="active"]')
    .waitFor({ timeout: 60_000 });
  await page
    .getByLabel('helm output')
    .getByText(/STATUS: deployed/)
    .waitFor();
  const appId = `${projectId.split(':')[1]}:site`;
  const deployment = async () =>
    (
      await ui.server.call(`/k8s/clusters/${clusterId}/apis/apps/v1/namespaces/web/deployments/site-demo`, {
        token: admin,
      })
    ).json;
  expect((await deployment()).spec.replicas).toBe(2);
  await page.getByRole('button', { name: 'Upgrade to 0.2.0' }).click();
  const revisions = page.getByRole('table', { name: 'Revisions' });
  await revisions
    .getByRole('row')
    .filter({ hasText: 'version=0.2.0' })
    .filter({ hasText: 'deployed' })
    .waitFor({ timeout: 60_000 });
  expect((await ui.server.call(`/v3/apps/${appId}`, { token: admin })).json.externalId).toMatch(/version=0\.2\.0/);
  await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
  await revisions.getByRole('row').filter({ hasText: 'Rollback to 1' }).waitFor({ timeout: 60_000 });
  await eventually(async () => {
    const a = (await ui.server.call(`/v3/apps/${appId}`, { token: admin })).json;
    if (a.revision !== 3 || a.state !== 'active') throw new Error(`${a.state} ${a.revision}`);
  }, 'the rollback');

  // The project page lists the app with its state and the newer version available.
  await goto(page, `/clusters/${clusterId}/projects/${projectId}`);
  const apps = page.getByRole('table', { name: 'Apps' });
  const row = apps.getByRole('row').filter({ hasText: 'site' });
  await row.locator('[data-state="active"]').waitFor();
  await row.getByText('0.2.0 available').waitFor();
});
