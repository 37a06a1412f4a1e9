import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { loggedInCli } from './helpers/cli.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// `corral workloads …` and `corral clusters import-yaml`, the built executable against a real
// server and a real control plane.
test('import YAML, then list, get, roll back, pause, resume, redeploy and remove a workload from the CLI', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'cliwl', nodes: 1 })]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'cliwl');
  const project = await server.call('/v3/projects', { token: admin, body: { name: 'apps', clusterId } });
  await server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: admin,
    body: { name: 'apps-web', projectId: project.json.id },
  });
  const { run, ok } = await loggedInCli(server, { test: admin }, await testDir('cli-wl'));
  const where = ['--cluster', 'cliwl', '--project', 'apps'];

  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 1
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;
  expect(
    await ok(['clusters', 'import-yaml', '-', '--cluster', 'cliwl', '--default-namespace', 'apps-web'], deployment),
  ).toBe('applied Deployment shop in apps-web\n');
  const outside = await run(
    ['clusters', 'import-yaml', '-', '--cluster', 'cliwl', '-n', 'apps-web'],
    deployment.replace('name: shop', 'name: x\n  namespace: default'),
  );
  expect(outside.code).not.toBe(0);
  expect(outside.stderr).toContain('is limited to namespace "apps-web"; nothing was applied');

  const listed = JSON.parse(await ok(['workloads', 'ls', ...where, '-o', 'json']));
  expect(listed.map((w: { id: string }) => w.id)).toEqual(['deployment:apps-web:shop']);
  expect(await ok(['workloads', 'ls', ...where])).toMatch(
    /NAME\s+NAMESPACEID\s+WORKLOADTYPE\s+STATE\s+SCALE\n.*shop\s+apps-web\s+deployment/,
  );
  const one = parse(await ok(['workloads', 'get', 'deployment:apps-web:shop', ...where, '-o', 'yaml']));
  expect(one).toMatchObject({ name: 'shop', scale: 1, containers: [{ name: 'web', image: 'nginx:1.27' }] });

  // The first revision exists once the Deployment controller made its ReplicaSet.
  await eventually(async () => {
    const r = JSON.parse(await ok(['workloads', 'revisions', 'deployment:apps-web:shop', ...where, '-o', 'json']));
    if (r.length < 1) throw new Error('no revision yet');
  }, 'the first revision');
  await kubectl(cp, 'set', 'image', 'deployment/shop', 'web=nginx:1.28', '-n', 'apps-web');
  const revisions = await eventually(async () => {
    const r = JSON.parse(await ok(['workloads', 'revisions', 'deployment:apps-web:shop', ...where, '-o', 'json']));
    if (r.length < 2) throw new Error(JSON.stringify(r));
    return r as { revision: number; current: boolean }[];
  }, 'two revisions');
  expect(revisions.map((r) => [r.revision, r.current])).toEqual([
    [2, true],
    [1, false],
  ]);
  await ok(['workloads', 'rollback', 'deployment:apps-web:shop', ...where]);
  const image = () =>
    kubectl(
      cp,
      'get',
      'deployment',
      'shop',
      '-n',
      'apps-web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ).then((r) => r.stdout);
  expect(await image()).toBe('nginx:1.27');
  const bad = await run(['workloads', 'rollback', 'deployment:apps-web:shop', ...where, '--revision', 'two']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--revision takes a revision number');

  expect(JSON.parse(await ok(['workloads', 'pause', 'deployment:apps-web:shop', ...where, '-o', 'json'])).paused).toBe(
    true,
  );
  expect(JSON.parse(await ok(['workloads', 'resume', 'deployment:apps-web:shop', ...where, '-o', 'json'])).paused).toBe(
    false,
  );
  await ok(['workloads', 'redeploy', 'deployment:apps-web:shop', ...where]);
  expect(
    (
      await kubectl(
        cp,
        'get',
        'deployment',
        'shop',
        '-n',
        'apps-web',
        '-o',
        'jsonpath={.spec.template.metadata.annotations.cattle\\.io/timestamp}',
      )
    ).stdout,
  ).not.toBe('');
  await ok(['workloads', 'rm', 'deployment:apps-web:shop', ...where]);
  await eventually(async () => {
    const r = await run(['workloads', 'get', 'deployment:apps-web:shop', ...where]);
    if (r.code === 0) throw new Error('still there');
  }, 'the workload to be gone');

  const help = await ok(['workloads', '--help']);
  for (const verb of ['ls', 'get', 'rm', 'redeploy', 'pause', 'resume', 'revisions', 'rollback'])
    expect(help).toContain(verb);
  expect(await ok(['clusters', 'import-yaml', '--help'])).toContain('namespace scope');
});
