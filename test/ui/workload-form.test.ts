import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { screenshot, type LaunchedBrowser, type UiServer } from '../helpers/browser.js';
import { kubectl, testDir } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { startUiWorld, type UiWorld } from './world.js';

// The workload form in Chromium against a real server and a real control plane (kwok nodes).
let ui: UiServer;
let cp: ControlPlane;
let clusterId: string;
let b: LaunchedBrowser;
let world: UiWorld | undefined;

beforeAll(async () => {
  world = await startUiWorld('forms');
  ({ ui, cp, clusterId, b } = world);
  await kubectl(cp, 'create', 'configmap', 'settings', '--from-literal=mode=fast', '-n', 'default');
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

const json = async (...args: string[]) => JSON.parse((await kubectl(cp, 'get', ...args, '-o', 'json')).stdout);

test('deploy with the form, switch to YAML and back (one object), then edit: the cluster and its Services follow', async () => {
  const { page } = b;
  await page.goto(`/c/${clusterId}/deployments?ns=default`);
  await page.getByRole('link', { name: 'Deploy Deployment' }).click();
  const form = page.getByRole('form', { name: 'Deployment editor' });
  await form.getByLabel('Name', { exact: true }).fill('shop');
  await form.getByLabel('Image', { exact: true }).fill('nginx:latest');
  await form.getByRole('note').filter({ hasText: 'no version tag' }).waitFor();
  await form.getByLabel('Replicas').fill('2');
  await form.getByRole('button', { name: 'Add port' }).click();
  await form.getByLabel('Port 1', { exact: true }).fill('8080');
  await form.getByLabel('Service 1').selectOption('NodePort');
  await form.getByRole('button', { name: 'Add variable' }).click();
  await form.getByLabel('Variable 1', { exact: true }).fill('MODE');
  await form.getByLabel('Source 1').selectOption('configMapKeyRef');
  await form.getByLabel('ConfigMap 1').fill('settings');
  await form.getByLabel('Key 1').fill('mode');
  await form.getByLabel('CPU request').fill('100m');
  await form.getByLabel('Readiness check').selectOption('http');
  await form.getByLabel('Readiness path').fill('/healthz');
  await form.getByLabel('Strategy').selectOption('Recreate');
  await form.getByLabel('Run as user').fill('1000');
  await form.getByLabel('Must not run as root').check();
  await form.getByLabel('Labels', { exact: true }).fill('team=shop');

  // The YAML view shows the object the form built; what is typed there is what the form shows.
  await form.getByRole('tab', { name: 'YAML' }).click();
  const yaml = form.getByLabel('YAML of the Deployment');
  const text = await yaml.inputValue();
  expect(text).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
  for (const part of ['replicas: 2', 'image: nginx:latest', 'configMapKeyRef:', 'path: /healthz', 'type: Recreate'])
    expect(text).toContain(part);
  await yaml.fill(text.replace('replicas: 2', 'replicas: 3'));
  await form.getByRole('tab', { name: 'Form' }).click();
  expect(await form.getByLabel('Replicas').inputValue()).toBe('3');
  await screenshot(page, 'workload-form');
  await form.getByRole('button', { name: 'Deploy' }).click();
  await page.waitForURL(/\/deployments\/default\/shop$/);

  const dep = await json('deployment', 'shop', '-n', 'default');
  expect(dep.spec.replicas).toBe(3);
  expect(dep.spec.strategy.type).toBe('Recreate');
  expect(dep.metadata.labels).toEqual({ team: 'shop' });
  expect(dep.spec.template.spec.containers[0].securityContext).toEqual({ runAsUser: 1000, runAsNonRoot: true });
  const c = dep.spec.template.spec.containers[0];
  expect(c).toMatchObject({
    image: 'nginx:latest',
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
    resources: { requests: { cpu: '100m' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 80 } },
  });
  const svc = await json('service', 'shop-nodeport', '-n', 'default');
  expect(svc.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 8080, targetPort: 8080 }] });
  // The Service is the workload's: the API lists the ports with the kind that made it.
  const projects = await ui.server.call(`/v3/projects?clusterId=${clusterId}&name=Default`, { token: ui.adminToken });
  const w = await ui.server.call(`/v3/projects/${projects.json.data[0].id}/workloads/deployment:default:shop`, {
    token: ui.adminToken,
  });
  expect(w.json.containers[0].ports[0]).toMatchObject({ containerPort: 8080, kind: 'NodePort' });

  // Edit: a pinned image clears the warning; no Service for the port removes it.
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  const edit = page.getByRole('form', { name: 'Deployment editor' });
  await edit.getByLabel('Image', { exact: true }).fill('nginx:1.27');
  expect(await edit.getByRole('note').filter({ hasText: 'no version tag' }).count()).toBe(0);
  await edit.getByLabel('Service 1').selectOption('');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/deployments\/default\/shop$/);
  expect((await json('deployment', 'shop', '-n', 'default')).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  await eventually(async () => {
    const names = (await kubectl(cp, 'get', 'services', '-n', 'default', '-o', 'name')).stdout;
    if (names.includes('shop-nodeport')) throw new Error(names);
  }, 'the NodePort Service to go');
});

test('a CronJob is deployed with its schedule, a Job with its completions; a refusal is shown in the form', async () => {
  const { page } = b;
  await page.goto(`/c/${clusterId}/cronjobs/_new?ns=default`);
  const form = page.getByRole('form', { name: 'CronJob editor' });
  await form.getByLabel('Name', { exact: true }).fill('tick');
  await form.getByLabel('Image', { exact: true }).fill('busybox:1.36');
  await form.getByLabel('Schedule').fill('*/10 * * * *');
  await form.getByLabel('Completions').fill('2');
  await form.getByRole('button', { name: 'Deploy' }).click();
  await page.waitForURL(/\/cronjobs\/default\/tick$/);
  const cron = await json('cronjob', 'tick', '-n', 'default');
  expect(cron.spec.schedule).toBe('*/10 * * * *');
  expect(cron.spec.jobTemplate.spec.completions).toBe(2);

  await page.goto(`/c/${clusterId}/jobs/_new?ns=default`);
  const job = page.getByRole('form', { name: 'Job editor' });
  await job.getByLabel('Name', { exact: true }).fill('Bad_Name');
  await job.getByLabel('Image', { exact: true }).fill('busybox:1.36');
  await job.getByRole('button', { name: 'Deploy' }).click();
  await job.getByRole('alert').filter({ hasText: 'Bad_Name' }).waitFor();
  expect((await kubectl(cp, 'get', 'jobs', '-n', 'default', '-o', 'name')).stdout.trim()).toBe('');
});

const replicaSets = async (ns: string) =>
  (await kubectl(cp, 'get', 'rs', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}')).stdout
    .split(' ')
    .filter(Boolean);

test("a Deployment's page says why its rollout is stuck, lists its pods and events, and rolls back after showing the diff", async () => {
  const { page } = b;
  await kubectl(cp, 'create', 'namespace', 'tight');
  await kubectl(cp, 'create', 'quota', 'two-pods', '--hard=pods=1', '-n', 'tight');
  await kubectl(cp, 'create', 'deployment', 'big', '--image=nginx:1.27', '--replicas=3', '-n', 'tight');
  await page.goto(`/c/${clusterId}/deployments/tight/big`);
  const stuck = page.getByRole('alert', { name: 'Why the rollout is stuck' });
  await stuck.getByText(/^Quota: /).waitFor({ timeout: 60_000 });
  await page.getByRole('table', { name: 'Pods of the workload' }).getByRole('link').first().waitFor();
  await page
    .getByRole('table', { name: 'Workload events' })
    .getByRole('row')
    .filter({ hasText: 'FailedCreate' })
    .first()
    .waitFor({ timeout: 60_000 });
  await screenshot(page, 'workload-stuck');

  await kubectl(cp, 'create', 'deployment', 'roll', '--image=nginx:1.26', '-n', 'default');
  await eventually(async () => {
    if (!(await replicaSets('default')).some((n) => n.startsWith('roll-'))) throw new Error('no ReplicaSet yet');
  }, 'the first ReplicaSet');
  await kubectl(cp, 'set', 'image', 'deployment/roll', 'nginx=nginx:1.27', '-n', 'default');
  await eventually(async () => {
    if ((await replicaSets('default')).filter((n) => n.startsWith('roll-')).length < 2)
      throw new Error('one ReplicaSet');
  }, 'the second ReplicaSet');
  await page.goto(`/c/${clusterId}/deployments/default/roll`);
  await page.getByRole('tab', { name: 'Revisions' }).click();
  await page.getByRole('button', { name: 'Compare revision 1' }).click();
  const diff = page.getByLabel('Changes of the rollback');
  // The diff is computed after the revision is read: wait for its lines, not just any text.
  await expect.poll(() => diff.textContent()).toContain('-       image: nginx:1.27');
  expect(await diff.textContent()).toContain('+       image: nginx:1.26');
  await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
  await page.getByRole('status').filter({ hasText: 'Rolled back to revision 1.' }).waitFor();
  expect(
    (
      await kubectl(
        cp,
        'get',
        'deployment',
        'roll',
        '-n',
        'default',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      )
    ).stdout,
  ).toBe('nginx:1.26');
});

test('the form edits every container: init containers and sidecars are added, edited and removed', async () => {
  const { page } = b;
  await page.goto(`/c/${clusterId}/deployments/_new?ns=default`);
  const form = page.getByRole('form', { name: 'Deployment editor' });
  await form.getByLabel('Name', { exact: true }).fill('multi');
  await form.getByLabel('Image', { exact: true }).fill('nginx:1.27');
  await form.getByRole('button', { name: 'Add init container' }).click();
  expect(await form.getByLabel('Container name').inputValue()).toBe('init-1');
  await form.getByLabel('Container name').fill('migrate');
  await form.getByLabel('Image', { exact: true }).fill('busybox:1.37');
  await form.getByLabel('Command').fill('sh -c true');
  // An init container has no ports (no Service can reach it).
  expect(await form.getByRole('button', { name: 'Add port' }).count()).toBe(0);
  await form.getByRole('button', { name: 'Add sidecar' }).click();
  await form.getByLabel('Container name').fill('logger');
  await form.getByLabel('Image', { exact: true }).fill('busybox:1.37');
  await form.getByRole('button', { name: 'Add variable' }).click();
  await form.getByLabel('Variable 1', { exact: true }).fill('LEVEL');
  await form.getByLabel('Value 1', { exact: true }).fill('debug');
  // Back to the app container: what was typed for it is still there.
  await form.getByLabel('Container', { exact: true }).selectOption({ label: 'container-0' });
  expect(await form.getByLabel('Image', { exact: true }).inputValue()).toBe('nginx:1.27');
  expect(await form.getByLabel('Container', { exact: true }).locator('option').allTextContents()).toEqual([
    'migrate (init container)',
    'logger (sidecar)',
    'container-0',
  ]);
  // A second app container without an image is refused before anything is sent.
  await form.getByRole('button', { name: 'Add container' }).click();
  expect(await form.getByLabel('Container name').inputValue()).toBe('container-3');
  await form.getByRole('button', { name: 'Deploy' }).click();
  expect(
    await form
      .getByLabel('Image', { exact: true })
      .evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing),
  ).toBe(true);
  expect((await kubectl(cp, 'get', 'deployments', '-n', 'default', '-o', 'name')).stdout).not.toContain('multi');
  await form.getByRole('button', { name: 'Remove this container' }).click();
  await form.getByRole('button', { name: 'Deploy' }).click();
  await page.waitForURL(/\/deployments\/default\/multi$/);

  const spec = (await json('deployment', 'multi', '-n', 'default')).spec.template.spec;
  expect(spec.containers.map((c: any) => [c.name, c.image])).toEqual([['container-0', 'nginx:1.27']]);
  expect(spec.initContainers).toMatchObject([
    { name: 'migrate', image: 'busybox:1.37', command: ['sh', '-c', 'true'] },
    { name: 'logger', image: 'busybox:1.37', restartPolicy: 'Always', env: [{ name: 'LEVEL', value: 'debug' }] },
  ]);

  // Edit: the sidecar's image changes, the init container goes.
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  const edit = page.getByRole('form', { name: 'Deployment editor' });
  await edit.getByLabel('Container', { exact: true }).selectOption({ label: 'logger (sidecar)' });
  await edit.getByLabel('Image', { exact: true }).fill('busybox:1.36');
  await edit.getByLabel('Container', { exact: true }).selectOption({ label: 'migrate (init container)' });
  await edit.getByRole('button', { name: 'Remove this container' }).click();
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/deployments\/default\/multi$/);
  const after = (await json('deployment', 'multi', '-n', 'default')).spec.template.spec;
  expect(after.initContainers.map((c: any) => [c.name, c.image])).toEqual([['logger', 'busybox:1.36']]);
  expect(after.containers.map((c: any) => c.image)).toEqual(['nginx:1.27']);
});

test("a StatefulSet's page rolls back to an earlier revision after showing the diff", async () => {
  const { page } = b;
  const manifest = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store, namespace: default}
spec:
  serviceName: store
  replicas: 1
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec: {containers: [{name: db, image: "redis:7.2"}]}
`;
  const file = join(await testDir('sts'), 'store.yaml');
  await writeFile(file, manifest);
  await kubectl(cp, 'apply', '-f', file);
  const revisions = async () =>
    (await kubectl(cp, 'get', 'controllerrevisions', '-n', 'default', '-o', 'name')).stdout
      .split('\n')
      .filter((n) => n.includes('store-'));
  await eventually(async () => expect((await revisions()).length).toBe(1), 'the first revision');
  await kubectl(cp, 'set', 'image', 'statefulset/store', 'db=redis:7.4', '-n', 'default');
  await eventually(async () => expect((await revisions()).length).toBe(2), 'the second revision');
  await page.goto(`/c/${clusterId}/statefulsets/default/store`);
  await page.getByRole('tab', { name: 'Revisions' }).click();
  await page.getByRole('button', { name: 'Compare revision 1' }).click();
  const diff = page.getByLabel('Changes of the rollback');
  await expect.poll(() => diff.textContent()).toContain('+       image: redis:7.2');
  expect(await diff.textContent()).toContain('-       image: redis:7.4');
  await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
  await page.getByRole('status').filter({ hasText: 'Rolled back to revision 1.' }).waitFor();
  const image = await kubectl(
    cp,
    'get',
    'statefulset',
    'store',
    '-n',
    'default',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  );
  expect(image.stdout).toBe('redis:7.2');
});

test('a node is cordoned, uncordoned and drained from its page', async () => {
  const { page } = b;
  const node = (await kubectl(cp, 'get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).stdout.trim();
  await kubectl(cp, 'create', 'deployment', 'evict-me', '--image=nginx:1.27', '-n', 'default');
  const podOnNode = () =>
    eventually(async () => {
      const r = await kubectl(
        cp,
        'get',
        'pods',
        '-n',
        'default',
        '-l',
        'app=evict-me',
        '-o',
        'jsonpath={.items[?(@.spec.nodeName)].metadata.name}',
      );
      if (!r.stdout.trim()) throw new Error('no pod on a node yet');
      return r.stdout.trim();
    }, 'a pod of evict-me on the node');
  const first = await podOnNode();
  const unschedulable = async () =>
    (await kubectl(cp, 'get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}')).stdout;

  await page.goto(`/c/${clusterId}/nodes/${node}`);
  await page.getByRole('button', { name: 'Cordon' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Cordoned ${node}.` })
    .waitFor();
  expect(await unschedulable()).toBe('true');
  await page.getByRole('button', { name: 'Uncordon' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Uncordoned ${node}.` })
    .waitFor();
  expect(await unschedulable()).toBe('');

  await page.getByRole('button', { name: 'Drain' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Drain' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Drained ${node}` })
    .waitFor();
  expect(await unschedulable()).toBe('true');
  await eventually(async () => {
    const names = (await kubectl(cp, 'get', 'pods', '-n', 'default', '-l', 'app=evict-me', '-o', 'name')).stdout;
    if (names.includes(first)) throw new Error(`still there: ${names}`);
  }, 'the pod to be evicted');
  await kubectl(cp, 'uncordon', node);
});

// Services and Ingresses have forms of their own: test/ui/discovery-forms.test.ts.
test('PVCs, PVs and StorageClasses are created from templates; the default class is marked', async () => {
  const { page } = b;
  for (const [kindId, heading, name, edit] of [
    ['persistentvolumeclaims', 'PersistentVolumeClaim', 'data', (t: string) => t],
    ['persistentvolumes', 'PersistentVolume', 'data-1', (t: string) => t],
  ] as const) {
    await page.goto(`/c/${clusterId}/${kindId}?ns=default`);
    await page.getByRole('link', { name: `Create ${heading}` }).click();
    const yaml = page.getByLabel(`YAML of the new ${heading}`);
    await yaml.fill(edit(await yaml.inputValue()));
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(new RegExp(`/${kindId}/(default/)?${name}$`));
    const args = kindId === 'persistentvolumes' ? [kindId, name] : [kindId, name, '-n', 'default'];
    expect((await kubectl(cp, 'get', ...args, '-o', 'name')).stdout.trim()).toMatch(new RegExp(`/${name}$`));
  }
  // An object of another kind in the YAML is refused before anything is sent.
  await page.goto(`/c/${clusterId}/configmaps/_new?ns=default`);
  await page.getByLabel('YAML of the new ConfigMap').fill('apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'The YAML must be one ConfigMap' }).waitFor();

  // A StorageClass made the default from its template is marked so in the list.
  await page.goto(`/c/${clusterId}/storageclasses/_new`);
  const classYaml = page.getByLabel('YAML of the new StorageClass');
  await classYaml.fill((await classYaml.inputValue()).replace('is-default-class: "false"', 'is-default-class: "true"'));
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.waitForURL(/\/storageclasses\/local$/);
  await page.goto(`/c/${clusterId}/storageclasses`);
  await page.getByRole('row').filter({ hasText: 'local' }).locator('[data-state="default"]').waitFor();
});
