import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCA, issueCertificate } from '../../src/pki/index.js';
import { screenshot } from '../helpers/browser.js';
import { kubectl } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { startUiWorld, type UiWorld } from './world.js';

// A project's secrets page against a real server, whose controller copies them into a real
// control plane's namespace, in Chromium.
let world: UiWorld;
let projectId: string;

beforeAll(async () => {
  world = await startUiWorld('sec');
  const { ui, clusterId } = world;
  const project = await ui.server.call('/v3/projects', { token: ui.adminToken, body: { name: 'shop', clusterId } });
  projectId = String(project.json.id);
  await ui.server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: ui.adminToken,
    body: { name: 'shop-web', projectId },
  });
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

const secretValue = async (name: string, key: string) => {
  const r = await kubectl(world.cp, 'get', 'secret', name, '-n', 'shop-web', '-o', 'json');
  return Buffer.from((JSON.parse(r.stdout).data as Record<string, string>)[key]!, 'base64').toString();
};

test('a certificate shows its subject, names and expiry; an edit replaces only the values typed', async () => {
  const { page } = world.b;
  const ca = await createCA({ commonName: 'shop-ca' });
  const leaf = await issueCertificate(ca, {
    commonName: 'shop.example',
    usages: ['server'],
    altNames: ['www.shop.example'],
  });
  const other = await issueCertificate(ca, { commonName: 'other', usages: ['server'], altNames: ['x.example'] });
  await page.goto(`/clusters/${world.clusterId}/projects/${encodeURIComponent(projectId)}`);
  const table = page.getByRole('table', { name: 'Project secrets' });

  await page.getByRole('button', { name: 'Create secret' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill('web-tls');
  await dialog.getByLabel('Kind').selectOption('certificate');
  await dialog.getByLabel('Certs').fill(leaf.certPem);
  await dialog.getByLabel('Key', { exact: true }).fill(other.keyPem);
  await dialog.getByRole('button', { name: 'Create' }).click();
  // The wrong key is refused at its input, in words.
  await dialog
    .locator('.field-invalid')
    .getByText(/does not match the certificate/)
    .waitFor();
  await dialog.getByLabel('Key', { exact: true }).fill(leaf.keyPem);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.waitFor({ state: 'detached' });
  const row = table.getByRole('row').filter({ hasText: 'web-tls' });
  const expires = new Date(new X509Certificate(leaf.certPem).validTo).toISOString().slice(0, 10);
  await row.getByText('shop.example', { exact: true }).waitFor();
  const text = await row.textContent();
  expect(text).toContain('also www.shop.example');
  expect(text).toMatch(new RegExp(`expires ${expires} \\(in \\d+ days\\)`));
  expect(text).toContain('issued by shop-ca');
  await screenshot(page, 'project-secrets');

  // A plain secret: its values are not shown when edited; a description alone keeps them.
  await page.getByRole('button', { name: 'Create secret' }).click();
  await dialog.getByLabel('Name', { exact: true }).fill('db');
  await dialog.getByLabel('Data').fill('user=app\npassword=first-s3cret');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually(async () => expect(await secretValue('db', 'password')).toBe('first-s3cret'), 'the copy of db');

  await page.getByRole('button', { name: 'Edit secret db' }).click();
  expect(await dialog.getByLabel('Data').inputValue()).toBe('');
  expect(await dialog.textContent()).not.toContain('first-s3cret');
  await expect.poll(() => dialog.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
  await dialog.getByLabel('Description').fill('the shop database');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await table.getByRole('row').filter({ hasText: 'the shop database' }).waitFor();
  expect(await secretValue('db', 'password')).toBe('first-s3cret');

  // New values replace the old set.
  await page.getByRole('button', { name: 'Edit secret db' }).click();
  await dialog.getByLabel('Data').fill('password=second-s3cret');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await table.getByRole('row').filter({ hasText: 'db' }).getByText('password', { exact: true }).waitFor();
  await eventually(async () => expect(await secretValue('db', 'password')).toBe('second-s3cret'), 'the new value');
  expect(await page.content()).not.toContain('second-s3cret');
});

test("in the cluster explorer, a TLS Secret's page shows its certificate and a registry credential its registries", async () => {
  const { page } = world.b;
  await world.ui.server.call('/v3/projectSecrets', {
    token: world.ui.adminToken,
    body: {
      projectId,
      name: 'pull',
      kind: 'dockerCredential',
      registries: { 'registry.shop.example': { username: 'puller', password: 'pull-t0ken' } },
    },
  });
  // web-tls, made in the first test, is copied into shop-web as a kubernetes.io/tls Secret.
  await page.goto(`/c/${world.clusterId}/secrets/shop-web/web-tls`);
  const cert = page.getByRole('definition').filter({ hasText: 'www.shop.example' });
  await cert.waitFor({ timeout: 60_000 });
  const facts = page.locator('dl[aria-label="Certificate"]');
  const text = await facts.textContent();
  expect(text).toContain('CN=shop.example');
  expect(text).toContain('CN=shop-ca');
  expect(text).toMatch(/\(in \d+ days\)/);
  await screenshot(page, 'tls-secret');

  await page.goto(`/c/${world.clusterId}/secrets/shop-web/pull`);
  const registries = page.getByRole('list', { name: 'Registries' });
  await registries.waitFor({ timeout: 60_000 });
  expect(await registries.textContent()).toBe('registry.shop.example as puller');
  expect(await page.content()).not.toContain('pull-t0ken');
});
