import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { screenshot, signIn, type LaunchedBrowser, type UiServer } from '../helpers/browser.js';
import { kubectl, testDir } from '../helpers/control-plane.js';
import { startUiWorld, type UiWorld } from './world.js';

// The defects a new user met (issue 16), against a real server, a real control plane with one
// kwok node, and Chromium at 1024 px, the narrowest width the UI supports.
let ui: UiServer;
let cp: ControlPlane;
let clusterId: string;
let projectId: string;
let b: LaunchedBrowser;
let world: UiWorld | undefined;

beforeAll(async () => {
  world = await startUiWorld('work');
  ({ ui, cp, clusterId, b } = world);
  await b.page.setViewportSize({ width: 1024, height: 768 });
  const project = await ui.server.call('/v3/projects', { token: ui.adminToken, body: { name: 'team-a', clusterId } });
  projectId = project.json.id;
  const ns = await ui.server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: ui.adminToken,
    body: { name: 'team-a-web', projectId },
  });
  expect(ns.status).toBe(201);
});

afterAll(async () => {
  await world?.stop();
});

const row = (name: string, page = b.page) =>
  page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

describe('a new user at 1024 px', () => {
  test('the clusters table keeps every column whole, and the cluster nav takes at most two rows', async () => {
    const { page } = b;
    await page.goto('/clusters');
    await page
      .getByRole('row')
      .filter({ hasText: 'work' })
      .locator('[data-state="active"]')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'new-user-clusters-1024');
    const table = page.getByRole('table', { name: 'Clusters' });
    const box = (await table.boundingBox())!;
    for (const name of ['Name', 'State', 'Provider', 'CPU', 'Memory', 'Pods', 'Age', 'Actions']) {
      const header = table.getByRole('columnheader', { name });
      const h = (await header.boundingBox())!;
      expect(h.width, `${name} column width`).toBeGreaterThan(30);
      expect(h.x + h.width, `${name} column inside the table`).toBeLessThanOrEqual(box.x + box.width + 1);
      // The header text is not cut.
      expect(await header.evaluate((el) => el.scrollWidth <= el.clientWidth), `${name} header whole`).toBe(true);
    }
    const actions = page.getByRole('button', { name: 'Delete work' });
    const a = (await actions.boundingBox())!;
    expect(a.x + a.width).toBeLessThanOrEqual(box.x + box.width);

    await page.goto(`/c/${clusterId}/deployments`);
    const tops = await page
      .getByRole('navigation', { name: 'Cluster resources' })
      .getByRole('link')
      .evaluateAll((links) => [...new Set(links.map((l) => Math.round(l.getBoundingClientRect().top)))]);
    expect(tops.length).toBeLessThanOrEqual(2);
    await screenshot(page, 'new-user-cluster-nav-1024');
  });

  test('node conditions: a healthy False is green; Warning events stand out; ages tick', async () => {
    const { page } = b;
    const node = (await kubectl(cp, 'get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).stdout.trim();
    await page.goto(`/c/${clusterId}/nodes/${node}`);
    const conditions = page.getByRole('table', { name: 'Node conditions' });
    const tone = (type: string) =>
      conditions
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: type }) })
        .locator('.badge');
    await expect.poll(() => tone('MemoryPressure').getAttribute('data-state'), { timeout: 30_000 }).toBe('False');
    expect(await tone('MemoryPressure').getAttribute('data-tone')).toBe('ok');
    expect(await tone('Ready').getAttribute('data-tone')).toBe('ok');

    const events = ['Warning', 'Normal'].map((type) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `ev-${type.toLowerCase()}`, namespace: 'team-a-web' },
      involvedObject: { kind: 'ConfigMap', name: 'kube-root-ca.crt', namespace: 'team-a-web', apiVersion: 'v1' },
      reason: type === 'Warning' ? 'FailedScheduling' : 'Scheduled',
      message: `a ${type} event`,
      type,
      lastTimestamp: new Date().toISOString(),
    }));
    const file = join(await testDir('events'), 'events.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: events }));
    await kubectl(cp, 'create', '-f', file);
    await page.goto(`/c/${clusterId}/events?ns=team-a-web`);
    const eventRow = (text: string) => page.getByRole('row').filter({ hasText: text });
    await eventRow('a Warning event').waitFor();
    expect(await eventRow('a Warning event').locator('.badge').getAttribute('data-tone')).toBe('warn');
    expect(await eventRow('a Normal event').locator('.badge').getAttribute('data-tone')).toBe('muted');

    // The age in a list counts on by itself, with no new data arriving.
    await kubectl(cp, 'create', 'configmap', 'ticking', '-n', 'team-a-web');
    await page.goto(`/c/${clusterId}/configmaps?ns=team-a-web`);
    const age = row('ticking').locator('time');
    await age.waitFor();
    const first = await age.textContent();
    await expect.poll(() => age.textContent(), { timeout: 10_000 }).not.toBe(first);
  });

  test("a Deployment's YAML starts with apiVersion and kind, ready for kubectl apply", async () => {
    const { page } = b;
    await kubectl(cp, 'create', 'deployment', 'web', '--image=nginx', '-n', 'team-a-web');
    await page.goto(`/c/${clusterId}/deployments/team-a-web/web`);
    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = await page.getByLabel('YAML of Deployment web').textContent();
    expect(yaml).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\nmetadata:/);
  });

  test('a project member sees the workloads of their namespaces with "All namespaces", and plain words where they may not look', async () => {
    const bob = await ui.server.call('/v3/users', {
      token: ui.adminToken,
      body: { username: 'bob', password: 'bob-password-1234', mustChangePassword: false },
    });
    const bind = await ui.server.call('/v3/projectRoleTemplateBindings', {
      token: ui.adminToken,
      body: { projectId, userId: bob.json.id, roleTemplateId: 'project-member' },
    });
    expect(bind.status, bind.text).toBe(201);
    await kubectl(cp, 'create', 'deployment', 'hidden', '--image=nginx', '-n', 'default');
    const context = await b.browser.newContext({ ignoreHTTPSErrors: true, baseURL: ui.url });
    try {
      await signIn(context, ui.server, 'bob', 'bob-password-1234');
      const page = await context.newPage();
      await page.setViewportSize({ width: 1024, height: 768 });
      // The cluster's start page is one bob may read (not nodes).
      await page.goto(`/c/${clusterId}`);
      await page.getByRole('heading', { name: /Deployments/ }).waitFor();
      // The heading (the empty table says the same words until the list arrives).
      await page.getByRole('heading', { name: /Deployments\s*in your namespaces/ }).waitFor();
      await page.getByRole('note').filter({ hasText: 'lists the namespaces of your projects (1)' }).waitFor();
      await expect.poll(() => row('web', page).count(), { timeout: 60_000 }).toBe(1);
      expect(await page.getByRole('link', { name: 'hidden', exact: true }).count()).toBe(0);
      expect(await page.locator('body').textContent()).not.toMatch(/forbidden|cannot list resource/i);
      await screenshot(page, 'new-user-member-deployments');

      // Nodes are not theirs to see: said plainly, not as Kubernetes' RBAC message.
      await page.goto(`/c/${clusterId}/nodes`);
      await page
        .getByRole('alert')
        .filter({ hasText: 'Your roles in this cluster do not let you see nodes' })
        .waitFor();
      expect(await page.locator('body').textContent()).not.toMatch(/forbidden|cannot list resource/i);
    } finally {
      await context.close();
    }
  });

  test('the project delete dialog says the namespaces stay; a taken project name is refused at the field', async () => {
    const { page } = b;
    await page.goto(`/clusters/${clusterId}/projects`);
    await page.getByRole('button', { name: 'Delete project team-a' }).click();
    await page.getByRole('dialog').getByText('Its namespaces and everything in them stay in the cluster').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('dialog').getByLabel('Project name').fill('team-a');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page
      .getByRole('dialog')
      .getByText(/already has a project named "team-a"/)
      .waitFor();
  });
});
