import { expect, test } from 'vitest';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { registerDirect } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// API halves of the defects a new user met (issue 16), against a real server and control plane.

test('cluster names are unique, and project names are unique within a cluster, as in Rancher', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'names' })]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'prod');

  const dup = await server.call('/v3/clusters', { token: admin, body: { name: 'prod' } });
  expect(dup.status, dup.text).toBe(422);
  expect(dup.json).toMatchObject({ code: 'NotUnique', fieldName: 'name' });
  expect(dup.json.message).toContain('already has a cluster named "prod"');
  const clusters = await server.call('/v3/clusters', { token: admin });
  expect(clusters.json.data.filter((c: { name: string }) => c.name.toLowerCase() === 'prod')).toHaveLength(1);

  // Renaming into a taken name is refused too; renaming to itself is not.
  const other = await server.call('/v3/clusters', { token: admin, body: { name: 'staging' } });
  expect(other.status).toBe(201);
  const rename = await server.call(`/v3/clusters/${other.json.id}`, {
    method: 'PUT',
    token: admin,
    body: { name: 'prod' },
  });
  expect(rename.status).toBe(422);
  expect((await server.call(`/v3/clusters/${other.json.id}`, { token: admin })).json.name).toBe('staging');
  const same = await server.call(`/v3/clusters/${clusterId}`, {
    method: 'PUT',
    token: admin,
    body: { name: 'prod', description: 'the real one' },
  });
  expect(same.status, same.text).toBe(200);

  const p1 = await server.call('/v3/projects', { token: admin, body: { name: 'web', clusterId } });
  expect(p1.status).toBe(201);
  const p2 = await server.call('/v3/projects', { token: admin, body: { name: 'web', clusterId } });
  expect(p2.status).toBe(422);
  expect(p2.json).toMatchObject({ code: 'NotUnique', fieldName: 'name' });
  // The system projects' names are taken as well.
  expect((await server.call('/v3/projects', { token: admin, body: { name: 'Default', clusterId } })).status).toBe(422);
  // The same project name in another cluster is fine.
  const elsewhere = await server.call('/v3/projects', {
    token: admin,
    body: { name: 'web', clusterId: other.json.id },
  });
  expect(elsewhere.status, elsewhere.text).toBe(201);
  const p3 = await server.call('/v3/projects', { token: admin, body: { name: 'api', clusterId } });
  const renameProject = await server.call(`/v3/projects/${p3.json.id}`, {
    method: 'PUT',
    token: admin,
    body: { name: 'web' },
  });
  expect(renameProject.status).toBe(422);
});

test("a deleted project's namespaces survive without its annotation; a never-connected cluster deletes plainly", async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'leftover' })]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'leftover');
  const project = await server.call('/v3/projects', { token: admin, body: { name: 'gone', clusterId } });
  const ns = await server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: admin,
    body: { name: 'kept', projectId: project.json.id },
  });
  expect(ns.status, ns.text).toBe(201);
  const annotation = () =>
    kubectl(cp, 'get', 'ns', 'kept', '-o', 'jsonpath={.metadata.annotations.field\\.cattle\\.io/projectId}').then(
      (r) => r.stdout,
    );
  expect(await annotation()).toBe(project.json.id);

  expect((await server.call(`/v3/projects/${project.json.id}`, { method: 'DELETE', token: admin })).status).toBe(200);
  await eventually(async () => {
    if ((await annotation()) !== '') throw new Error(`still annotated: ${await annotation()}`);
  }, 'the stale project annotation to be cleared');
  expect(
    (await kubectl(cp, 'get', 'ns', 'kept', '-o', 'jsonpath={.metadata.labels.field\\.cattle\\.io/projectId}')).stdout,
  ).toBe('');
  const listed = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: admin });
  expect(listed.json.data.find((n: { name: string }) => n.name === 'kept')).toMatchObject({ projectId: null });

  // An imported cluster whose agent never connected has nothing to clean up: no force needed.
  const pending = await server.call('/v3/clusters', { token: admin, body: { name: 'never' } });
  expect(pending.status).toBe(201);
  const del = await server.call(`/v3/clusters/${pending.json.id}`, { method: 'DELETE', token: admin });
  expect(del.status, del.text).toBe(200);
  expect((await server.call(`/v3/clusters/${pending.json.id}`, { token: admin })).status).toBe(404);
});
