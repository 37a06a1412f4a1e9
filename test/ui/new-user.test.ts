import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import {
  launchBrowser,
  screenshot,
  signIn,
  startUiServer,
  type LaunchedBrowser,
  type UiServer,
} from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { kubectl, startTestControlPlane } from '../helpers/control-plane.js';

// The defects a new user met (issue 16), against a real server, a real control plane with one
// kwok node, and Chromium at 1024 px, the narrowest width the UI supports.
let ui: UiServer;
let cp: ControlPlane;
let clusterId: string;
let projectId: string;
let b: LaunchedBrowser;

beforeAll(async () => {
  [ui, cp] = await Promise.all([startUiServer({ manual: true }), startTestControlPlane({ nodes: 1, manual: true })]);
  clusterId = await registerDirect(ui.server, ui.adminToken, cp, 'work');
  b = await launchBrowser({ manual: true, baseURL: ui.url });
  await b.page.setViewportSize({ width: 1024, height: 768 });
  await signIn(b.context, ui.server, ui.adminUsername, ui.adminPassword);
  const project = await ui.server.call('/v3/projects', { token: ui.adminToken, body: { name: 'team-a', clusterId } });
  projectId = project.json.id;
  const ns = await ui.server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: ui.adminToken,
    body: { name: 'team-a-web', projectId },
  });
  expect(ns.status).toBe(201);
});

afterAll(async () => {
  await b?.close();
  await cp?.stop();
  await ui?.server.stop();
});

describe('explore', () => {
  test('screens at 1024', async () => {
    const { page } = b;
    await page.goto('/clusters');
    await page
      .getByRole('row')
      .filter({ hasText: 'work' })
      .locator('[data-state="active"]')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'nu-clusters');
    await page.goto(`/c/${clusterId}/nodes`);
    await page.waitForTimeout(2000);
    await screenshot(page, 'nu-nodes');
    await page.goto(`/c/${clusterId}/projects`);
    await page.waitForTimeout(2000);
    await screenshot(page, 'nu-projects');
    await page.goto(`/c/${clusterId}/projects/${projectId.split(':')[1]}`);
    await page.waitForTimeout(2000);
    await screenshot(page, 'nu-project');
    await page.goto(`/account`);
    await page.waitForTimeout(2000);
    await screenshot(page, 'nu-account');
    await kubectl(cp, 'create', 'deployment', 'web', '--image=nginx', '-n', 'team-a-web');
    await page.goto(`/c/${clusterId}/deployments/team-a-web/web`);
    await page.waitForTimeout(2000);
    await screenshot(page, 'nu-deploy');
  });
});
