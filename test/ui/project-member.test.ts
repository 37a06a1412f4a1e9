import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { goto } from './navigation.js';
import { startTestControlPlane } from '../helpers/control-plane.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('admin creates a project and adds a member; the member logs in and sees only that project', async () => {
  const [ui, cp] = await Promise.all([startUiServer(), startTestControlPlane()]);
  const admin = ui.adminToken;
  const bob = await ui.server.call('/v3/users', {
    token: admin,
    body: { username: 'bob', password: 'bob-password-1234', mustChangePassword: false },
  });
  expect(bob.status).toBe(201);

  const { browser, page, context, errors } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await goto(page, '/clusters');

  // Register the cluster with its kubeconfig; a broken one is refused at the field.
  await page.getByRole('button', { name: 'Register with kubeconfig' }).click();
  const register = page.getByRole('dialog');
  await register.getByLabel('Cluster name').fill('prod');
  await register.getByLabel('Kubeconfig', { exact: true }).fill('apiVersion: v1\nkind: Config\n');
  await register.getByRole('button', { name: 'Register' }).click();
  await register
    .locator('.field-invalid')
    .getByText(/not a usable kubeconfig/)
    .waitFor();
  await register.getByLabel('Kubeconfig', { exact: true }).fill(await readFile(cp.kubeconfigPath, 'utf8'));
  await register.getByRole('button', { name: 'Register' }).click();
  await register.waitFor({ state: 'detached' });
  await page.getByRole('row').filter({ hasText: 'prod' }).locator('[data-state="active"]').waitFor({ timeout: 60_000 });
  const clusters = await ui.server.call('/v3/clusters?name=prod', { token: admin });
  const clusterId = clusters.json.data[0].id as string;
  expect(clusters.json.data[0].driver).toBe('direct');
  const other = await ui.server.call('/v3/projects', { token: admin, body: { name: 'team-b', clusterId } });
  expect(other.status).toBe(201);

  // The left nav follows the chosen cluster.
  await page.getByLabel('Cluster', { exact: true }).selectOption(clusterId);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
  await page.getByRole('heading', { name: 'Projects of prod' }).waitFor();
  await page.getByRole('row').filter({ hasText: 'team-b' }).waitFor();

  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('dialog').getByLabel('Project name').fill('team-a');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: /Project team-a/ }).waitFor();

  // Add bob, picked from the users list, as a project member.
  await page.getByRole('button', { name: 'Add member' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Username').selectOption({ label: 'bob' });
  await dialog.getByLabel('Role').selectOption('project-member');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await dialog.waitFor({ state: 'detached' });
  const members = page.getByRole('table', { name: 'Project members' });
  await members.getByRole('row').filter({ hasText: 'bob' }).waitFor();

  // Quotas: the API's errors are shown at the fields they are about.
  await page.getByLabel('Project Pods').fill('10');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await page
    .locator('.field-invalid')
    .filter({ hasText: 'Namespace Pods' })
    .getByText(/needs a namespaceDefaultResourceQuota/)
    .waitFor();
  await page.getByLabel('Namespace Pods').fill('20');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await page
    .locator('.field-invalid')
    .filter({ hasText: 'Namespace Pods' })
    .getByText(/is over/)
    .waitFor();
  await page.getByLabel('Namespace Pods').fill('5');
  await page.getByLabel('Container CPU limit').fill('500m');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const projects = await ui.server.call(`/v3/projects?clusterId=${clusterId}&name=team-a`, { token: admin });
  const teamA = projects.json.data[0];
  expect(teamA.resourceQuota.limit).toEqual({ pods: '10' });
  expect(teamA.namespaceDefaultResourceQuota.limit).toEqual({ pods: '5' });
  expect(teamA.containerDefaultResourceLimit).toEqual({ limitsCpu: '500m' });

  // Project secrets: made with the form the declaration gives; the values are never shown again.
  const secrets = page.getByRole('table', { name: 'Project secrets' });
  await page.getByRole('button', { name: 'Create secret' }).click();
  const secretDialog = page.getByRole('dialog');
  await secretDialog.getByLabel('Name', { exact: true }).fill('Bad_Name');
  await secretDialog.getByLabel('Data').fill('user=app\npassword=s3cret');
  await secretDialog.getByRole('button', { name: 'Create' }).click();
  await secretDialog
    .locator('.field-invalid')
    .getByText(/must be a Kubernetes name/)
    .waitFor();
  await secretDialog.getByLabel('Name', { exact: true }).fill('db-creds');
  await secretDialog.getByRole('button', { name: 'Create' }).click();
  await secretDialog.waitFor({ state: 'detached' });
  await secrets.getByRole('row').filter({ hasText: 'db-creds' }).getByText('password, user').waitFor();
  // A registry credential: choosing the kind brings its own inputs.
  await page.getByRole('button', { name: 'Create secret' }).click();
  await secretDialog.getByLabel('Name', { exact: true }).fill('pull');
  await secretDialog.getByLabel('Kind').selectOption('dockerCredential');
  expect(await secretDialog.getByLabel('Data').count()).toBe(0);
  await secretDialog.getByLabel('Registry').fill('registry.example.com');
  await secretDialog.getByLabel('Username').fill('bot');
  await secretDialog.getByLabel('Password').fill('bot-password');
  await secretDialog.getByRole('button', { name: 'Create' }).click();
  await secretDialog.waitFor({ state: 'detached' });
  await secrets.getByRole('row').filter({ hasText: 'pull' }).getByText('.dockerconfigjson').waitFor();
  const listed = await ui.server.call(`/v3/projectSecrets?projectId=${teamA.id}`, { token: admin });
  const byName = Object.fromEntries(listed.json.data.map((s: any) => [s.name, s]));
  expect(byName['db-creds']).toMatchObject({ kind: 'secret', keys: ['password', 'user'] });
  expect(byName['db-creds'].data).toBeUndefined();
  expect(byName.pull).toMatchObject({ kind: 'dockerCredential', keys: ['.dockerconfigjson'] });
  expect(JSON.stringify(listed.json)).not.toContain('bot-password');
  await screenshot(page, 'project');

  // Bob, in a fresh browser context, through the login page.
  const bobContext = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: ui.url });
  const bobPage = await bobContext.newPage();
  await goto(bobPage, '/');
  await bobPage.getByLabel('Username').fill('bob');
  await bobPage.getByLabel('Password').fill('bob-password-1234');
  await bobPage.getByRole('button', { name: 'Log in' }).click();
  await bobPage.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  // A project member sees the cluster, but may neither delete it nor manage users. (Any user may
  // import clusters of their own, as in Rancher, so the import button stays.)
  await bobPage.getByRole('row').filter({ hasText: 'prod' }).waitFor();
  await bobPage.getByRole('button', { name: 'Import cluster' }).waitFor();
  expect(await bobPage.getByRole('link', { name: 'Users' }).count()).toBe(0);
  expect(await bobPage.getByRole('button', { name: 'Delete prod' }).count()).toBe(0);

  await goto(bobPage, `/clusters/${clusterId}/projects`);
  await bobPage.getByRole('row').filter({ hasText: 'team-a' }).waitFor();
  const rows = bobPage.getByRole('table', { name: 'Projects' }).getByRole('row');
  // The header row and team-a only.
  await expect.poll(() => rows.count()).toBe(2);
  expect(await bobPage.getByRole('table', { name: 'Projects' }).textContent()).not.toContain('team-b');
  // Bob may neither create projects in the cluster nor delete team-a.
  expect(await bobPage.getByRole('button', { name: 'Create project' }).count()).toBe(0);
  expect(await bobPage.getByRole('button', { name: 'Delete project team-a' }).count()).toBe(0);
  await screenshot(bobPage, 'member-projects');

  // In the project, bob sees the members but may not add or remove any, nor change the limits.
  await bobPage.getByRole('link', { name: 'team-a' }).click();
  await bobPage.getByRole('table', { name: 'Project members' }).getByRole('row').filter({ hasText: 'bob' }).waitFor();
  expect(await bobPage.getByRole('button', { name: 'Add member' }).count()).toBe(0);
  expect(await bobPage.getByRole('button', { name: /^Remove / }).count()).toBe(0);
  expect(await bobPage.getByRole('button', { name: 'Save limits' }).count()).toBe(0);
  expect(await bobPage.getByLabel('Project Pods').isDisabled()).toBe(true);
  // As a project member bob sees the project's secrets (their keys, not their values).
  await bobPage
    .getByRole('table', { name: 'Project secrets' })
    .getByRole('row')
    .filter({ hasText: 'db-creds' })
    .waitFor();
  await bobContext.close();

  // The admin removes bob again (with confirmation); the row disappears live.
  await members.getByRole('button', { name: 'Remove bob as project-member' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await members.getByRole('row').filter({ hasText: 'bob' }).waitFor({ state: 'detached' });

  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
