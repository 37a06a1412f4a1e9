import { expect, test } from 'vitest';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { goto } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('admin manages users (create, disable, enable, reset password, global roles) and role templates', async () => {
  const ui = await startUiServer();
  const admin = ui.adminToken;
  const { page, context, errors } = await launchBrowser({ baseURL: ui.url });
  await signIn(context, ui.server, ui.adminUsername, ui.adminPassword);
  await goto(page, '/clusters');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

  // Create carol, with the default "User" global role.
  await page.getByRole('button', { name: 'Create user' }).click();
  const create = page.getByRole('dialog');
  await create.getByLabel('Username').fill('carol');
  await create.getByLabel('Display name').fill('Carol C');
  await create.getByLabel('Password', { exact: true }).fill('carol-password-1');
  await create.getByLabel('Must change the password at first login').uncheck();
  await create.getByLabel('Global role').selectOption('user');
  await create.getByRole('button', { name: 'Create user' }).click();
  await create.waitFor({ state: 'detached' });
  const row = page.getByRole('row').filter({ hasText: 'carol' });
  await row.getByText('User', { exact: true }).waitFor();
  const login = (password: string) =>
    ui.server.call('/v3-public/localProviders/local?action=login', { body: { username: 'carol', password } });
  expect((await login('carol-password-1')).status).toBe(201);

  // Disabled, she cannot log in; enabled again, she can.
  await row.getByRole('button', { name: 'Disable carol' }).click();
  await row.locator('[data-state="disabled"]').waitFor();
  expect((await login('carol-password-1')).status).toBe(401);
  await row.getByRole('button', { name: 'Enable carol' }).click();
  await row.locator('[data-state="active"]').waitFor();
  expect((await login('carol-password-1')).status).toBe(201);

  // Reset her password.
  await row.getByRole('button', { name: 'Reset password of carol' }).click();
  await page.getByRole('dialog').getByLabel('New password').fill('carol-new-password-2');
  await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  expect((await login('carol-new-password-2')).status).toBe(201);
  expect((await login('carol-password-1')).status).toBe(401);

  // Give her "Manage Users" as well, then take it away.
  await row.getByRole('button', { name: 'Global roles of carol' }).click();
  const roles = page.getByRole('dialog');
  await roles.getByLabel('Add global role').selectOption('users-manage');
  await roles.getByRole('button', { name: 'Add', exact: true }).click();
  await roles.getByRole('button', { name: 'Remove role Manage Users' }).waitFor();
  await row.getByText('User, Manage Users').waitFor();
  const carolId = (await ui.server.call('/v3/users?username=carol', { token: admin })).json.data[0].id;
  const bindings = await ui.server.call(`/v3/globalRoleBindings?userId=${carolId}`, { token: admin });
  expect(bindings.json.data.map((b: any) => b.globalRoleId).sort()).toEqual(['user', 'users-manage']);
  await roles.getByRole('button', { name: 'Remove role Manage Users' }).click();
  await roles.getByRole('button', { name: 'Remove role Manage Users' }).waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await screenshot(page, 'users');

  // Role templates: view a built-in one's rules, and create a custom one.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
  await page.getByRole('button', { name: 'View rules of Project Member' }).click();
  await page.getByRole('dialog').getByRole('columnheader', { name: 'Verbs' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Create role template' }).click();
  const rt = page.getByRole('dialog');
  await rt.getByLabel('Name', { exact: true }).fill('Pod Reader');
  await rt.getByLabel('Context').selectOption('project');
  await rt.getByLabel('Rule 1 resources').fill('pods, pods/log');
  await rt.getByLabel('Rule 1 verbs').fill('get, list, watch');
  await rt.getByRole('button', { name: 'Create', exact: true }).click();
  await rt.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'View rules of Pod Reader' }).waitFor();
  const created = await ui.server.call('/v3/roleTemplates?name=Pod%20Reader', { token: admin });
  expect(created.json.data[0].context).toBe('project');
  expect(created.json.data[0].builtin).toBe(false);
  expect(created.json.data[0].rules).toEqual([
    { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
  ]);
  await screenshot(page, 'roles');

  // Global roles tab lists the built-ins.
  await page.getByRole('tab', { name: 'Global roles' }).click();
  await page.getByRole('button', { name: 'View rules of Admin' }).waitFor();

  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
