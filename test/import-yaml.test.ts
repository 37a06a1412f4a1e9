import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ControlPlane } from '../src/localcluster/control-plane.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

// Rancher's Import YAML in its three scopes, against a real server and control plane.
let server: TestServer;
let cp: ControlPlane;
let admin: string;
let clusterId: string;
let projectId: string;

beforeAll(async () => {
  [server, cp] = await Promise.all([
    startTestServer({ manual: true }),
    startTestControlPlane({ name: 'imp', manual: true }),
  ]);
  admin = await adminToken(server);
  clusterId = await registerDirect(server, admin, cp, 'imp');
  projectId = (await server.call('/v3/projects', { token: admin, body: { name: 'team', clusterId } })).json.id;
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  await server?.stop();
});

const importYaml = (body: Record<string, unknown>, token = admin) =>
  server.call(`/v3/clusters/${clusterId}?action=importYaml`, { token, body });
const exists = async (...args: string[]) =>
  kubectl(cp, 'get', ...args).then(
    () => true,
    () => false,
  );
const nsProject = async (name: string) =>
  (await kubectl(cp, 'get', 'ns', name, '-o', 'jsonpath={.metadata.annotations.field\\.cattle\\.io/projectId}')).stdout;
const configMap = (name: string, namespace?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}data:\n  k: v\n`;
const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

test('cluster scope: objects are applied; a namespace it creates is in no project', async () => {
  const r = await importYaml({
    yaml: [namespace('imp-a'), configMap('in-a', 'imp-a'), configMap('in-default')].join('---\n'),
    defaultNamespace: 'default',
  });
  expect(r.status, r.text).toBe(200);
  expect(r.json.applied).toEqual(['Namespace imp-a', 'ConfigMap in-a in imp-a', 'ConfigMap in-default in default']);
  expect(await exists('configmap', 'in-a', '-n', 'imp-a')).toBe(true);
  expect(await exists('configmap', 'in-default', '-n', 'default')).toBe(true);
  expect(await nsProject('imp-a')).toBe('');
  const listed = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: admin });
  expect(listed.json.data.find((n: { name: string }) => n.name === 'imp-a')).toMatchObject({ projectId: null });
  // Applying again updates in place (server-side apply), it does not fail as a create would.
  const again = await importYaml({ yaml: configMap('in-a', 'imp-a').replace('k: v', 'k: w') });
  expect(again.status, again.text).toBe(200);
  expect((await kubectl(cp, 'get', 'cm', 'in-a', '-n', 'imp-a', '-o', 'jsonpath={.data.k}')).stdout).toBe('w');
});

test('project scope: namespaces it creates join the project; a namespace outside the project fails it all', async () => {
  const r = await importYaml({
    yaml: [namespace('imp-b'), configMap('in-b', 'imp-b')].join('---\n'),
    projectId,
  });
  expect(r.status, r.text).toBe(200);
  expect(await nsProject('imp-b')).toBe(projectId);
  await eventually(async () => {
    const listed = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: admin });
    const ns = listed.json.data.find((n: { name: string }) => n.name === 'imp-b');
    if (ns?.projectId !== projectId) throw new Error(JSON.stringify(ns));
  }, 'imp-b to be listed in the project');

  const outside = await importYaml({
    yaml: [namespace('imp-c'), configMap('stray', 'imp-a')].join('---\n'),
    projectId,
  });
  expect(outside.status).toBe(422);
  expect(outside.json.message).toBe(
    'ConfigMap stray goes to namespace "imp-a", which is not in this project; nothing was applied',
  );
  expect(await exists('ns', 'imp-c')).toBe(false);
  const foreign = await importYaml({ yaml: configMap('x', 'default'), projectId: `${clusterId}:p-nope0` });
  expect(foreign.status).toBe(422);
  expect(foreign.json.fieldName).toBe('projectId');
});

test('namespace scope: everything lands in the namespace; an object naming another one fails the import', async () => {
  const bad = await importYaml({
    yaml: [configMap('first'), configMap('elsewhere', 'default')].join('---\n'),
    namespace: 'imp-a',
  });
  expect(bad.status).toBe(422);
  expect(bad.json.message).toBe(
    'object 2 (ConfigMap elsewhere) names namespace "default", but this import is limited to namespace "imp-a"; nothing was applied',
  );
  expect(await exists('configmap', 'first', '-n', 'imp-a')).toBe(false);
  const clusterWide = await importYaml({
    yaml: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: imp-role\nrules: []\n',
    namespace: 'imp-a',
  });
  expect(clusterWide.status).toBe(422);
  expect(clusterWide.json.message).toContain('is cluster-wide');

  const ok = await importYaml({
    yaml: [configMap('first'), configMap('second', 'imp-a')].join('---\n'),
    namespace: 'imp-a',
  });
  expect(ok.status, ok.text).toBe(200);
  expect(await exists('configmap', 'first', '-n', 'imp-a')).toBe(true);
  expect(await exists('configmap', 'second', '-n', 'imp-a')).toBe(true);
});

test('an object the cluster would refuse fails the import before anything is written; bad YAML says where', async () => {
  const invalid = await importYaml({
    yaml: [
      configMap('before-bad', 'default'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  namespace: default\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: y}\n    spec:\n      containers: []\n',
    ].join('---\n'),
  });
  expect(invalid.status).toBe(422);
  expect(invalid.json.message).toMatch(/^Deployment broken: the cluster refused it: .*; nothing was applied$/);
  expect(await exists('configmap', 'before-bad', '-n', 'default')).toBe(false);

  const unparsable = await importYaml({ yaml: `${configMap('a')}---\nkind: [\n` });
  expect(unparsable.status).toBe(422);
  expect(unparsable.json.message).toMatch(/^document 2 is not valid YAML/);
  const unknownKind = await importYaml({
    yaml: 'apiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n',
    defaultNamespace: 'default',
  });
  expect(unknownKind.status).toBe(422);
  expect(unknownKind.json.message).toBe('object 1 (Gadget g): cluster imp has no Gadget in v1');
  const noNs = await importYaml({ yaml: configMap('floating') });
  expect(noNs.status).toBe(422);
  expect(noNs.json.fieldName).toBe('defaultNamespace');
});

test("a project member imports as themself: the cluster's RBAC refuses what their roles do not allow", async () => {
  const u = await server.call('/v3/users', { token: admin, body: { username: 'mia', password: 'mia-password-12' } });
  await server.call('/v3/projectRoleTemplateBindings', {
    token: admin,
    body: { projectId, userId: u.json.id, roleTemplateId: 'project-member' },
  });
  const mia = await server.login('mia', 'mia-password-12');
  const mine = await eventually(async () => {
    const r = await importYaml({ yaml: configMap('by-mia'), namespace: 'imp-b' }, mia);
    if (r.status !== 200) throw new Error(r.text);
    return r;
  }, "mia's rights to reach the cluster");
  expect(mine.json.applied).toEqual(['ConfigMap by-mia in imp-b']);
  const refused = await importYaml({ yaml: configMap('not-mine', 'default') }, mia);
  expect(refused.status).toBe(403);
  expect(refused.json.message).toMatch(/^ConfigMap not-mine: your roles in cluster imp do not allow this: /);
  expect(await exists('configmap', 'not-mine', '-n', 'default')).toBe(false);
});
