import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { createCA, issueCertificate, writeCertificate } from '../../src/pki/index.js';
import { screenshot, type LaunchedBrowser } from '../helpers/browser.js';
import { kubectl } from '../helpers/control-plane.js';
import { startUiWorld, type UiWorld } from './world.js';

// The Service / DNS record and Ingress forms in Chromium against a real server and control plane:
// what each form creates is read back with kubectl.
let cp: ControlPlane;
let clusterId: string;
let b: LaunchedBrowser;
let world: UiWorld | undefined;
let dir: string;

beforeAll(async () => {
  world = await startUiWorld('discovery');
  ({ cp, clusterId, b } = world);
  dir = await mkdtemp(join(tmpdir(), 'corral-discovery-'));
  await kubectl(cp, 'create', 'deployment', 'web', '--image=registry.invalid/web:1', '--port=8080', '-n', 'default');
  const ca = await createCA({ commonName: 'shop-ca' });
  const cert = await issueCertificate(ca, {
    commonName: 'shop.example.com',
    usages: ['server'],
    altNames: ['shop.example.com'],
  });
  await writeCertificate(cert, { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') });
  await kubectl(
    cp,
    'create',
    'secret',
    'tls',
    'shop-tls',
    `--cert=${join(dir, 'tls.crt')}`,
    `--key=${join(dir, 'tls.key')}`,
  );
}, 180_000);

afterAll(async () => {
  await world?.stop();
  await rm(dir, { recursive: true, force: true });
});

const json = async (...args: string[]) => JSON.parse((await kubectl(cp, 'get', ...args, '-o', 'json')).stdout);

async function openServiceForm() {
  const { page } = b;
  await page.goto(`/c/${clusterId}/services?ns=default`);
  await page.getByRole('link', { name: 'Create Service' }).click();
  return page.getByRole('form', { name: 'Service form' });
}

test('a Service for a workload: the form shows its YAML, creates it, and kubectl sees the selector and ports', async () => {
  const { page } = b;
  const form = await openServiceForm();
  await form.getByLabel('Name', { exact: true }).fill('web-svc');
  await form.getByLabel('Workload').selectOption('Deployment/web');
  await form.getByLabel('Service type').selectOption('NodePort');
  await form.getByLabel('Port 1', { exact: true }).fill('80');
  await form.getByLabel('Target port 1').fill('8080');
  await form.getByRole('tab', { name: 'YAML' }).click();
  const yaml = await form.getByLabel('YAML of the new Service').textContent();
  expect(yaml).toMatch(/^apiVersion: v1\nkind: Service\n/);
  expect(yaml).toContain('type: NodePort');
  expect(yaml).toContain('app: web');
  await form.getByRole('tab', { name: 'Form' }).click();
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/c/${clusterId}/services/default/web-svc`);
  await screenshot(page, 'service-created');
  const svc = await json('service', 'web-svc', '-n', 'default');
  expect(svc.spec.type).toBe('NodePort');
  expect(svc.spec.selector).toEqual({ app: 'web' });
  expect(svc.spec.ports).toHaveLength(1);
  expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
  expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
});

test('DNS records: an external hostname, an alias of another Service, and external IP addresses with their Endpoints', async () => {
  const { page } = b;
  let form = await openServiceForm();
  await form.getByLabel('Name', { exact: true }).fill('db');
  await form.getByLabel('Resolves to').selectOption('hostname');
  await form.getByLabel('Hostname').fill('db.example.com');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/services/default/db`);
  expect((await json('service', 'db', '-n', 'default')).spec).toMatchObject({
    type: 'ExternalName',
    externalName: 'db.example.com',
  });

  form = await openServiceForm();
  await form.getByLabel('Name', { exact: true }).fill('www');
  await form.getByLabel('Resolves to').selectOption('alias');
  await form.getByLabel('Service', { exact: true }).selectOption('web-svc');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/services/default/www`);
  expect((await json('service', 'www', '-n', 'default')).spec).toMatchObject({
    type: 'ExternalName',
    externalName: 'web-svc.default.svc.cluster.local',
  });

  form = await openServiceForm();
  await form.getByLabel('Name', { exact: true }).fill('legacy');
  await form.getByLabel('Resolves to').selectOption('ips');
  await form.getByLabel('IP addresses').fill('not-an-address');
  await form.getByLabel('Port 1', { exact: true }).fill('5432');
  await form.getByRole('button', { name: 'Create' }).click();
  await form.getByRole('alert').filter({ hasText: 'not-an-address is not an IP address' }).waitFor();
  // Refused before anything was sent.
  await expect(kubectl(cp, 'get', 'service', 'legacy', '-n', 'default')).rejects.toThrow(/NotFound|not found/);
  await form.getByLabel('IP addresses').fill('203.0.113.10, 203.0.113.11');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/services/default/legacy`);
  const legacy = await json('service', 'legacy', '-n', 'default');
  expect(legacy.spec.selector).toBeUndefined();
  expect(legacy.spec.ports[0]).toMatchObject({ port: 5432 });
  const endpoints = await json('endpoints', 'legacy', '-n', 'default');
  expect(endpoints.subsets[0].addresses.map((a: { ip: string }) => a.ip)).toEqual(['203.0.113.10', '203.0.113.11']);
  expect(endpoints.subsets[0].ports[0].port).toBe(5432);
});

test('an Ingress with a rule, a certificate and a default backend; a rule without a port is refused in plain words', async () => {
  const { page } = b;
  await page.goto(`/c/${clusterId}/ingresses?ns=default`);
  await page.getByRole('link', { name: 'Create Ingress' }).click();
  const form = page.getByRole('form', { name: 'Ingress form' });
  await form.getByLabel('Name', { exact: true }).fill('shop');
  await form.getByLabel('Host 1').fill('shop.example.com');
  await form.getByLabel('Target Service 1').selectOption('web-svc');
  await form.getByRole('button', { name: 'Create' }).click();
  await form.getByRole('alert').filter({ hasText: 'Rule 1: the port must be a number from 1 to 65535.' }).waitFor();
  await form.getByLabel('Target port 1').fill('80');
  await form.getByRole('button', { name: 'Add certificate' }).click();
  await form.getByLabel('Certificate 1').selectOption('shop-tls');
  await form.getByLabel('Certificate hosts 1').fill('shop.example.com');
  await form.getByLabel('Default Service').selectOption('web-svc');
  await form.getByLabel('Default port').fill('80');
  await screenshot(page, 'ingress-form');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/ingresses/default/shop`);
  const ingress = await json('ingress', 'shop', '-n', 'default');
  expect(ingress.spec.rules).toEqual([
    {
      host: 'shop.example.com',
      http: {
        paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-svc', port: { number: 80 } } } }],
      },
    },
  ]);
  expect(ingress.spec.tls).toEqual([{ secretName: 'shop-tls', hosts: ['shop.example.com'] }]);
  expect(ingress.spec.defaultBackend).toEqual({ service: { name: 'web-svc', port: { number: 80 } } });
});

test('what a form built can be taken on as YAML and created from there', async () => {
  const { page } = b;
  const form = await openServiceForm();
  await form.getByLabel('Name', { exact: true }).fill('api');
  await form.getByLabel('Resolves to').selectOption('selector');
  await form.getByLabel('Pod labels').fill('app=web, tier=api');
  await form.getByLabel('Port 1', { exact: true }).fill('443');
  await form.getByRole('tab', { name: 'YAML' }).click();
  await form.getByRole('button', { name: 'Edit as YAML' }).click();
  const editor = page.getByLabel('YAML of the new Service');
  const text = await editor.inputValue();
  expect(text).toContain('tier: api');
  await editor.fill(text.replace('port: 443', 'port: 8443'));
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/services/default/api`);
  const api = await json('service', 'api', '-n', 'default');
  expect(api.spec.selector).toEqual({ app: 'web', tier: 'api' });
  expect(api.spec.ports[0].port).toBe(8443);
});
