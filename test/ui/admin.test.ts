import { expect, test } from 'vitest';
import { launchBrowser, screenshot, signIn, startUiServer } from '../helpers/browser.js';
import { goto } from './navigation.js';

// Needs `npm run build:ui` (npm test runs it) and `npm run build`.

test('admin manages users (create, disable, enable, reset password, global roles), role templates and settings', async () => {
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
  // The list's columns come from the declaration: context, kind (builtin) and the number of rules.
  const podReader = page.getByRole('row').filter({ hasText: 'Pod Reader' });
  expect(await podReader.getByRole('cell').allTextContents()).toEqual(
    expect.arrayContaining(['project', 'custom', '1']),
  );

  // Edit it: the context cannot change after create, the rest can, and clearing a field clears it.
  const rtId = created.json.data[0].id;
  await page.getByRole('button', { name: 'Edit Pod Reader' }).click();
  const edit = page.getByRole('dialog');
  expect(await edit.getByLabel('Context').isDisabled()).toBe(true);
  await edit.getByLabel('Description').fill('reads pods');
  await edit.getByLabel('Rule 1 verbs').fill('get, list');
  await edit.getByRole('button', { name: 'Add rule' }).click();
  await edit.getByLabel('Rule 2 resources').fill('services');
  await edit.getByRole('button', { name: 'Save', exact: true }).click();
  await edit.waitFor({ state: 'detached' });
  await podReader.getByText('reads pods').waitFor();
  let edited = (await ui.server.call(`/v3/roleTemplates/${rtId}`, { token: admin })).json;
  expect(edited.description).toBe('reads pods');
  expect(edited.context).toBe('project');
  expect(edited.rules).toEqual([
    { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
    { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  ]);
  await page.getByRole('button', { name: 'Edit Pod Reader' }).click();
  await edit.getByLabel('Description').fill('');
  await edit.getByRole('button', { name: 'Save', exact: true }).click();
  await edit.waitFor({ state: 'detached' });
  edited = (await ui.server.call(`/v3/roleTemplates/${rtId}`, { token: admin })).json;
  expect(edited.description ?? '').toBe('');
  expect(edited.rules).toHaveLength(2);
  // Built-in templates are not edited here.
  expect(await page.getByRole('button', { name: 'Edit Project Member' }).count()).toBe(0);
  await screenshot(page, 'roles');

  // Global roles tab lists the built-ins.
  await page.getByRole('tab', { name: 'Global roles' }).click();
  await page.getByRole('button', { name: 'View rules of Admin' }).waitFor();

  // Settings: listed with their values; a refused value is shown at the field, a good one saved.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  const minLength = page.getByRole('row').filter({ hasText: 'password-min-length' });
  // The heading comes before the list: wait for the row, then read its cells.
  await minLength.waitFor();
  expect(await minLength.getByRole('cell').allTextContents()).toEqual(
    expect.arrayContaining(['password-min-length', '12', 'no']),
  );
  await minLength.getByRole('button', { name: 'Edit password-min-length' }).click();
  const settingDialog = page.getByRole('dialog');
  await settingDialog.getByText('default: 12').waitFor();
  await settingDialog.getByLabel('Value').fill('7');
  await settingDialog.getByRole('button', { name: 'Save' }).click();
  await settingDialog
    .locator('.field-invalid')
    .getByText(/must be a number from 8 to 256/)
    .waitFor();
  await settingDialog.getByLabel('Value').fill('16');
  await settingDialog.getByRole('button', { name: 'Save' }).click();
  await settingDialog.waitFor({ state: 'detached' });
  // The row follows live.
  await expect
    .poll(() => minLength.getByRole('cell').allTextContents())
    .toEqual(expect.arrayContaining(['password-min-length', '16', 'yes']));
  expect((await ui.server.call('/v3/settings/password-min-length', { token: admin })).json.value).toBe('16');
  await screenshot(page, 'settings');

  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});
