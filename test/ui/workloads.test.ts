import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { screenshot, signIn, type LaunchedBrowser, type UiServer } from '../helpers/browser.js';
import { kubectl } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { startUiWorld, type UiWorld } from './world.js';

// The cluster view against a real server, a real control plane with kwok nodes (pods run, and
// serve a fixed log), the real kubectl, and Chromium. One of each for the file: they are slow to start.
let ui: UiServer;
let cp: ControlPlane;
let clusterId: string;
let b: LaunchedBrowser;
let world: UiWorld | undefined;

beforeAll(async () => {
  world = await startUiWorld('work', { podLogsAndExec: true });
  ({ ui, cp, clusterId, b } = world);
  await kubectl(cp, 'create', 'deployment', 'web', '--image=nginx', '--replicas=1', '-n', 'default');
});

afterAll(async () => {
  await world?.stop();
});

const deploymentPage = () => `/c/${clusterId}/deployments/default/web`;

/** The Deployment's page, its YAML tab, Edit: the editor. */
async function openYamlEditor() {
  const { page } = b;
  await page.goto(deploymentPage());
  await page.getByRole('tab', { name: 'YAML' }).click();
  await page.getByRole('button', { name: 'Edit YAML' }).click();
  return page.getByLabel('YAML of Deployment web');
}
const get = async (...args: string[]) => (await kubectl(cp, 'get', ...args)).stdout;

describe('cluster view', () => {
  test('nodes show Ready, the pressure conditions, taints and capacity', async () => {
    const { page } = b;
    const node = (await get('nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await kubectl(cp, 'taint', 'nodes', node, 'dedicated=ui:NoSchedule');
    await page.goto(`/c/${clusterId}/nodes`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: node, exact: true }) });
    await expect.poll(() => row.textContent(), { timeout: 60_000 }).toContain('dedicated=ui:NoSchedule');
    expect(await row.textContent()).toContain('Ready');
    await screenshot(page, 'cluster-nodes');

    await row.getByRole('link', { name: node }).click();
    const conditions = page.getByRole('table', { name: 'Node conditions' });
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'])
      await conditions.getByRole('rowheader', { name: type }).waitFor();
    const capacity = page.getByRole('table', { name: 'Node capacity' });
    expect(await capacity.getByRole('row').filter({ hasText: 'cpu' }).textContent()).toContain('32');
    await kubectl(cp, 'taint', 'nodes', node, 'dedicated-');
  });

  test("a Deployment's YAML is edited and saved: kubectl sees the change", async () => {
    const { page } = b;
    await page.goto(`/c/${clusterId}/deployments?ns=default`);
    await page.getByRole('link', { name: 'web', exact: true }).click();
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    const editor = page.getByLabel('YAML of Deployment web');
    const text = await editor.inputValue();
    expect(text).toMatch(/^ {2}replicas: 1$/m);
    expect(text).not.toContain('managedFields');
    // A controller-style write lands after the editor opened: status only. That is no conflict
    // (controllers write status all the time); the edit must still save, on the new version.
    const openedAt = /^ {2}resourceVersion: "?(\d+)"?$/m.exec(text)?.[1];
    await kubectl(
      cp,
      'patch',
      'deployment',
      'web',
      '-n',
      'default',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"collisionCount":7}}',
    );
    expect(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.resourceVersion}')).not.toBe(
      openedAt,
    );
    await editor.fill(
      text.replace(/^ {2}replicas: 1$/m, '  replicas: 2').replace(/^ {4}app: web$/m, '    app: web\n    tier: front'),
    );
    await screenshot(page, 'cluster-yaml-editor');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(
      await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.tier}'),
    ).toBe('2 front');
  });

  test('a change by someone else to other fields is kept, and the edit is saved on top of it', async () => {
    const { page } = b;
    const editor = await openYamlEditor();
    const text = await editor.inputValue();
    // After the editor opened, kubectl annotates (as controllers do) and adds another label.
    await kubectl(cp, 'annotate', 'deployment', 'web', '-n', 'default', 'note=from-kubectl');
    await kubectl(cp, 'label', 'deployment', 'web', '-n', 'default', 'team=infra');
    await editor.fill(text.replace(/^ {4}tier: front$/m, '    tier: front\n    edited: by-ui'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const meta = JSON.parse(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata}'));
    expect(meta.labels).toMatchObject({ edited: 'by-ui', team: 'infra', tier: 'front' });
    expect(meta.annotations.note).toBe('from-kubectl');
  });

  test('a stale edit of a field someone else changed is refused with a clear conflict; overwrite then applies it knowingly', async () => {
    const { page } = b;
    const editor = await openYamlEditor();
    const text = await editor.inputValue();
    // Someone else changes the very label the user is about to change.
    await kubectl(
      cp,
      'label',
      'deployment',
      'web',
      '-n',
      'default',
      'changed-by=kubectl',
      'tier=middle',
      '--overwrite',
    );
    await editor.fill(text.replace(/^ {4}tier: front$/m, '    tier: back'));
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'changed in the cluster since you opened it' });
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('reload or overwrite');
    expect(await conflict.textContent()).toContain('metadata.labels.tier');
    // Nothing was overwritten: the cluster keeps kubectl's change and not ours.
    expect(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.labels}')).toContain(
      '"changed-by":"kubectl"',
    );
    expect(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.labels.tier}')).toBe('middle');

    await conflict.getByRole('button', { name: 'Overwrite' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const labels = JSON.parse(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.labels}'));
    expect(labels.tier).toBe('back');
    expect(labels['changed-by']).toBeUndefined();
  });

  test('a YAML parse error is shown with its line and nothing is sent', async () => {
    const { page } = b;
    const editor = await openYamlEditor();
    // generation, not resourceVersion: the controllers keep updating the Deployment's status.
    const before = await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.generation}');
    await editor.fill('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n   bad: [\n');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(
      await page
        .getByRole('alert')
        .filter({ hasText: /^Line \d+:/ })
        .textContent(),
    ).toMatch(/^Line [45]:/);
    expect(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.generation}')).toBe(before);
  });

  test('scale and redeploy patch the Deployment', async () => {
    const { page } = b;
    await page.goto(deploymentPage());
    await page.getByLabel('Replicas').fill('3');
    await page.getByRole('button', { name: 'Scale', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Scaled to 3.' }).waitFor();
    expect(await get('deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe('3');

    await page.getByRole('button', { name: 'Redeploy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Redeploy' }).click();
    await page.getByRole('status').filter({ hasText: 'Redeploy of web started.' }).waitFor();
    const restartedAt = await get(
      'deployment',
      'web',
      '-n',
      'default',
      '-o',
      'jsonpath={.spec.template.metadata.annotations.corral\\.io/restartedAt}',
    );
    expect(Date.parse(restartedAt)).toBeGreaterThan(Date.now() - 120_000);
  });

  test('a pod created with kubectl appears in the pod list without reloading; its logs are shown and followed', async () => {
    const { page } = b;
    await page.goto(`/c/${clusterId}/pods?ns=default`);
    await page.getByText(/^\d+ of \d+$/).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // A marker that a reload would wipe out.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await kubectl(cp, 'run', 'live-pod', '--image=busybox', '-n', 'default');
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'live-pod', exact: true }) });
    await row.waitFor({ timeout: 60_000 });
    await expect.poll(() => row.textContent(), { timeout: 60_000 }).toContain('Running');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await screenshot(page, 'cluster-pods');

    await row.getByRole('link', { name: 'live-pod' }).click();
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: 'Logs of container live-pod' });
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain('kwok pod log line 2');
    await page.getByRole('button', { name: 'Follow' }).click();
    await page.getByRole('status').filter({ hasText: 'Following…' }).waitFor();
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain('kwok pod log line 1');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Follow' }).waitFor();
  });

  test("a pod's logs take timestamps, last lines and an init container; its shell runs commands in the browser", async () => {
    const { page } = b;
    // The default ServiceAccount comes a moment after the control plane (when this test runs alone).
    await eventually(
      () =>
        kubectl(
          cp,
          'run',
          'shell-pod',
          '--image=busybox',
          '-n',
          'default',
          '--overrides={"spec":{"initContainers":[{"name":"prepare","image":"busybox"}]}}',
        ),
      'shell-pod to be created',
    );
    await eventually(async () => {
      const phase = await get('pod', 'shell-pod', '-n', 'default', '-o', 'jsonpath={.status.phase}');
      if (phase !== 'Running') throw new Error(phase);
    }, 'shell-pod to run');
    await page.goto(`/c/${clusterId}/pods/default/shell-pod`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: 'Logs of container shell-pod' });
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain('kwok pod log line 2');
    expect(await log.textContent()).not.toMatch(/Z kwok pod log/);
    await page.getByLabel('Timestamps').check();
    await expect
      .poll(() => log.textContent())
      .toMatch(/^\d{4}-\d\d-\d\dT\S+Z kwok pod log line 1\n\S+Z kwok pod log line 2/);
    const asked = page.waitForRequest((r) => r.url().includes('/log?') && r.url().includes('tailLines=100&'));
    await page.getByLabel('Last lines').selectOption('100');
    await asked;
    await page.getByLabel('Container', { exact: true }).selectOption({ label: 'prepare (init)' });
    await page.getByRole('log', { name: 'Logs of container prepare' }).filter({ hasText: 'line 2' }).waitFor();

    // Following streams until the page leaves it: the request is aborted, not left open.
    await page.getByRole('button', { name: 'Follow' }).click();
    await page.getByRole('status').filter({ hasText: 'Following…' }).waitFor();
    const stopped = page.waitForEvent(
      'requestfailed',
      (r) => r.url().includes('/log?') && r.url().includes('follow=true'),
    );
    await page.getByRole('tab', { name: 'Shell' }).click();
    expect((await stopped).failure()?.errorText).toBe('net::ERR_ABORTED');

    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
    const terminal = page.getByRole('group', { name: 'Shell in container shell-pod' });
    await terminal.click();
    await page.keyboard.type('echo shell-$((6*7))\n');
    await expect.poll(() => terminal.locator('.xterm-rows').textContent(), { timeout: 30_000 }).toContain('shell-42');
    // xterm's own styles apply under the server's strict CSP, which reports nothing.
    const span = terminal.locator('.xterm-rows span').first();
    const display = (el: unknown) =>
      (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(el).display;
    expect(await span.evaluate(display)).toBe('inline-block');
    expect(b.errors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
    await screenshot(page, 'pod-shell');
    await page.keyboard.type('exit\n');
    await page.getByRole('status').filter({ hasText: 'The shell ended.' }).waitFor();
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  });

  test('workloads of every kind are listed with their status; secrets stay hidden until revealed', async () => {
    const { page } = b;
    await kubectl(cp, 'create', 'secret', 'generic', 'db', '--from-literal=password=s3cret-value', '-n', 'default');
    await kubectl(cp, 'create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '-n', 'default');
    await page.goto(`/c/${clusterId}/deployments?ns=default`);
    const web = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'web', exact: true }) });
    await expect.poll(() => web.textContent(), { timeout: 60_000 }).toMatch(/Ready3\/3/);
    await screenshot(page, 'cluster-workloads');
    await page.getByRole('navigation', { name: 'Cluster resources' }).getByRole('link', { name: 'CronJobs' }).click();
    await page.getByRole('row').filter({ hasText: '0 3 * * *' }).waitFor();

    await page.goto(`/c/${clusterId}/secrets/default/db`);
    const value = page.getByTestId('secret-value-password');
    await value.waitFor();
    expect(await value.textContent()).not.toContain('s3cret-value');
    expect(await page.content()).not.toContain('s3cret-value');
    await page.getByRole('button', { name: 'Reveal password' }).click();
    expect(await value.textContent()).toBe('s3cret-value');
  });

  test('a read-only project member sees the Deployment and its YAML but no action that would be refused', async () => {
    const { server, adminToken } = ui;
    const created = await server.call('/v3/users', {
      token: adminToken,
      body: { username: 'viewer', password: 'viewer-password-123' },
    });
    expect(created.status).toBe(201);
    const defaultProject = await eventually(async () => {
      const r = await server.call(`/v3/projects?clusterId=${clusterId}&name=Default`, { token: adminToken });
      if (!r.json.data?.[0]) throw new Error('no Default project yet');
      return r.json.data[0].id as string;
    }, 'the Default project');
    const binding = await server.call('/v3/projectRoleTemplateBindings', {
      token: adminToken,
      body: { projectId: defaultProject, userId: created.json.id, roleTemplateId: 'read-only' },
    });
    expect(binding.status).toBe(201);

    const context = await b.browser.newContext({ ignoreHTTPSErrors: true, baseURL: ui.url });
    try {
      await signIn(context, server, 'viewer', 'viewer-password-123');
      const page = await context.newPage();
      await page.goto(deploymentPage());
      // The page lists again until the cluster's RBAC lets the viewer read the Deployment.
      await page.locator('[data-access="resolved"]').waitFor({ state: 'attached', timeout: 90_000 });
      await page.getByRole('tab', { name: 'YAML' }).click();
      await page.getByLabel('YAML of Deployment web').waitFor();
      for (const name of ['Edit YAML', 'Scale', 'Redeploy', 'Delete'])
        expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
      expect(await page.getByLabel('Replicas').count()).toBe(0);

      // No pods/exec: the Shell tab says so in words instead of opening a dead terminal.
      await eventually(() => kubectl(cp, 'run', 'viewed', '--image=busybox', '-n', 'default'), 'a pod to look at');
      await page.goto(`/c/${clusterId}/pods/default/viewed`);
      await page.getByRole('tab', { name: 'Shell' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Your roles do not allow opening a shell in pods of namespace default' })
        .waitFor({ timeout: 60_000 });
      expect(await page.locator('.xterm').count()).toBe(0);

      // The admin, asked the same questions, gets every action.
      await b.page.goto(deploymentPage());
      await b.page.locator('[data-access="resolved"]').waitFor({ state: 'attached' });
      for (const name of ['Scale', 'Redeploy', 'Delete'])
        await b.page.getByRole('button', { name, exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('namespaces are grouped by project; one is created in a project and moved to another', async () => {
    const { page } = b;
    await page.goto(`/c/${clusterId}/namespaces`);
    // The projects controller puts default into Default and kube-system into System.
    const defaultProject = page.getByRole('region', { name: 'Project Default' });
    await defaultProject.getByRole('link', { name: 'default', exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Create namespace' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('team-web');
    await dialog.getByLabel('Project').selectOption({ label: 'Default' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await defaultProject.getByRole('link', { name: 'team-web' }).waitFor();
    const annotation = () =>
      get('namespace', 'team-web', '-o', 'jsonpath={.metadata.annotations.field\\.cattle\\.io/projectId}');
    const projectId = await annotation();
    expect(projectId).toMatch(new RegExp(`^${clusterId}:p-`));

    await defaultProject.getByRole('button', { name: 'Move team-web' }).click();
    await page.getByRole('dialog').getByLabel('To project').selectOption({ label: 'System' });
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
    await page.getByRole('region', { name: 'Project System' }).getByRole('link', { name: 'team-web' }).waitFor();
    await eventually(async () => {
      const now = await annotation();
      if (now === projectId || !now.startsWith(`${clusterId}:p-`)) throw new Error(`still ${now}`);
    }, 'the namespace to change project');
    await screenshot(page, 'cluster-namespaces');
    expect(b.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});
