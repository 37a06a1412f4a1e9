import { execFile, spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { expect, onTestFinished, test } from 'vitest';
import { binaryPath } from '../../src/kube/binaries.js';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { goto } from './navigation.js';
import { CORRAL_BIN } from '../helpers/cli.js';
import { agentCredentials } from '../helpers/clusters.js';
import { startTestControlPlane } from '../helpers/control-plane.js';

const execFileP = promisify(execFile);

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('import a real cluster from the UI: the shown command installs the agent and the row turns active live', async () => {
  const [ui, cp] = await Promise.all([startUiServer(), startTestControlPlane({ nodes: 2 })]);
  const { page, context, errors } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await goto(page, '/clusters');
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  // A marker on the window: if the page reloaded, it would be gone.
  await page.evaluate('window.marker = 42');

  await page.getByRole('button', { name: 'Import cluster' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Cluster name').fill('Bad Name');
  await dialog.getByRole('button', { name: 'Create and show the command' }).click();
  // The API's validation error lands next to the name field.
  await dialog.locator('.field-invalid').filter({ hasText: 'Cluster name' }).getByRole('alert').waitFor();
  await dialog.getByLabel('Cluster name').fill('edge');
  await dialog.getByRole('button', { name: 'Create and show the command' }).click();

  const command = (await dialog.getByTestId('import-command').textContent())!;
  const clusterId = /_(c-[a-z0-9]+)\.yaml$/.exec(command)![1]!;
  const insecure = (await dialog.getByTestId('import-insecure-command').textContent())!;
  expect(command).toMatch(/^kubectl apply -f https:\/\/127\.0\.0\.1:\d+\/v3\/import\/\S+\.yaml$/);
  expect(insecure).toBe(`curl --insecure -sfL ${command.slice('kubectl apply -f '.length)} | kubectl apply -f -`);
  await dialog.getByRole('button', { name: 'Copy insecure command (skips TLS verification)' }).waitFor();
  await dialog.locator('[data-state="pending"]').waitFor();
  // Until the agent connects, the row says why the cluster is not active.
  await page.getByRole('row').filter({ hasText: 'edge' }).getByText('the agent is not connected').waitFor();
  await screenshot(page, 'import-cluster-command');

  // Apply what the page shows, as a user would paste it (the test server's CA is self-signed).
  const kubectl = await binaryPath('kubectl');
  await execFileP('sh', ['-c', insecure], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, PATH: `${dirname(kubectl)}:${process.env.PATH}` },
  });
  // Then run the agent with what the manifest put into the cluster, as its pod would.
  const { env, kubeconfig } = await agentCredentials(cp, 'edge');
  let agentLog = '';
  const agent = spawn(process.execPath, [CORRAL_BIN, 'agent', '--kubeconfig', kubeconfig], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agent.stdout.on('data', (c: Buffer) => (agentLog += c.toString()));
  agent.stderr.on('data', (c: Buffer) => (agentLog += c.toString()));
  onTestFinished(() => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
  });

  // The dialog and the row turn active by themselves, from the watch.
  await dialog
    .locator('[data-state="active"]')
    .waitFor({ timeout: 90_000 })
    .catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${agentLog}`);
    });
  await dialog.getByRole('button', { name: 'Done' }).click();
  const row = page.getByRole('row').filter({ hasText: 'edge' });
  await row.locator('[data-state="active"]').waitFor();
  // Two kwok nodes, the Kubernetes version, and their capacity.
  // The Provider cell stacks the driver, the node count and the version (fits 1024 px).
  await expect.poll(async () => row.getByRole('cell').nth(2).textContent()).toMatch(/^imported · 2 nodes/);
  expect(await row.textContent()).toMatch(/v1\.\d+/);
  expect(await page.evaluate('window.marker')).toBe(42);
  await screenshot(page, 'clusters-active');

  // The cluster switcher now offers it, and the kubeconfig download works from the row.
  await page
    .getByLabel('Cluster', { exact: true })
    .locator('option', { hasText: 'edge' })
    .waitFor({ state: 'attached' });
  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Download kubeconfig for edge' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('edge.yaml');

  // Cluster members: add a user created through the API, then remove them.
  const dave = await ui.server.call('/v3/users', {
    token: ui.adminToken,
    body: { username: 'dave', password: 'dave-password-1234', mustChangePassword: false },
  });
  expect(dave.status).toBe(201);
  await page.getByLabel('Cluster', { exact: true }).selectOption({ label: 'edge (active)' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cluster members' }).click();
  await page.getByRole('heading', { name: 'Members of edge' }).waitFor();
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('dialog').getByLabel('Username').selectOption({ label: 'dave' });
  await page.getByRole('dialog').getByLabel('Role').selectOption('cluster-member');
  await page.getByRole('dialog').getByRole('button', { name: 'Add member' }).click();
  const members = page.getByRole('table', { name: 'Cluster members' });
  await members.getByRole('row').filter({ hasText: 'dave' }).waitFor();
  const crtbs = await ui.server.call(`/v3/clusterRoleTemplateBindings?clusterId=${clusterId}&userId=${dave.json.id}`, {
    token: ui.adminToken,
  });
  expect(crtbs.json.data.map((b: any) => b.roleTemplateId)).toEqual(['cluster-member']);
  await screenshot(page, 'cluster-members');
  await members.getByRole('button', { name: 'Remove dave as cluster-member' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await members.getByRole('row').filter({ hasText: 'dave' }).waitFor({ state: 'detached' });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clusters' }).click();
  // Delete with confirmation: the row goes away, and so does the cluster on the server.
  await row.getByRole('button', { name: 'Delete edge' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await row.waitFor({ state: 'detached', timeout: 60_000 });
  const left = await ui.server.call('/v3/clusters', { token: ui.adminToken });
  expect(left.json.data.map((c: any) => c.name)).not.toContain('edge');

  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
