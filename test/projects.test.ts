import { X509Certificate } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { generatedKubeconfig, importWithAgent, kubectlWith, registerDirect } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

async function newUser(server: TestServer, admin: string, username: string): Promise<{ id: string; token: string }> {
  const r = await server.call('/v3/users', { token: admin, body: { username, password: `${username}-password-1` } });
  expect(r.status, r.text).toBe(201);
  return { id: r.json.id, token: await server.login(username, `${username}-password-1`) };
}

async function project(
  server: TestServer,
  token: string,
  clusterId: string,
  name: string,
  extra: Record<string, unknown> = {},
) {
  const r = await server.call('/v3/projects', { token, body: { name, clusterId, ...extra } });
  expect(r.status, r.text).toBe(201);
  expect(r.json.id).toMatch(new RegExp(`^${clusterId}:p-[a-z0-9]{5}$`));
  return r.json.id as string;
}

async function namespace(server: TestServer, token: string, clusterId: string, name: string, projectId?: string) {
  return server.call(`/v3/cluster/${clusterId}/namespaces`, { token, body: { name, projectId } });
}

const bind = (server: TestServer, token: string, projectId: string, userId: string, roleTemplateId: string) =>
  server.call('/v3/projectRoleTemplateBindings', { token, body: { projectId, userId, roleTemplateId } });

/** Runs kubectl until it succeeds (RBAC converging), returning its output. */
const allowed = (kc: string, ...args: string[]) =>
  eventually(
    async () => {
      const r = await kubectlWith(kc, ...args);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    },
    `kubectl ${args.join(' ')} to be allowed`,
  );
const denied = (kc: string, ...args: string[]) =>
  eventually(
    async () => {
      const r = await kubectlWith(kc, ...args);
      if (r.code === 0 || !/forbidden/i.test(r.stderr))
        throw new Error(`expected forbidden, got ${r.code}: ${r.stdout}${r.stderr}`);
      return r.stderr;
    },
    `kubectl ${args.join(' ')} to be forbidden`,
  );

describe('projects', () => {
  test('members work in their project and nowhere else; read-only reads; removal and new namespaces follow', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'proj' })]);
    const admin = await adminToken(server);
    const { clusterId } = await importWithAgent(server, admin, cp, 'proj');

    // Every cluster gets Default and System projects holding default and the system namespaces.
    const system = await eventually(async () => {
      const r = await server.call(`/v3/projects?clusterId=${clusterId}`, { token: admin });
      const names = r.json.data.map((p: { name: string }) => p.name).sort();
      if (names.join() !== 'Default,System') throw new Error(names.join());
      return r.json.data;
    }, 'the Default and System projects');
    const defaultId = system.find((p: { name: string }) => p.name === 'Default').id;
    await eventually(async () => {
      const ns = await server.call(`/v3/cluster/${clusterId}/namespaces/default`, { token: admin });
      if (ns.json.projectId !== defaultId) throw new Error(JSON.stringify(ns.json.projectId));
    }, 'default to join the Default project');

    const teamA = await project(server, admin, clusterId, 'team-a');
    const teamB = await project(server, admin, clusterId, 'team-b');
    expect((await namespace(server, admin, clusterId, 'team-a-web', teamA)).status).toBe(201);
    // The namespace type's schema checks input: a bad name and an unknown field are refused by field.
    const badName = await namespace(server, admin, clusterId, 'Team_A', teamA);
    expect([badName.status, badName.json.code, badName.json.fieldName]).toEqual([422, 'InvalidFormat', 'name']);
    const unknown = await server.call(`/v3/clusters/${clusterId}/namespaces`, {
      token: admin,
      body: { name: 'team-a-x', projectId: teamA, colour: 'red' },
    });
    expect([unknown.status, unknown.json.code, unknown.json.fieldName]).toEqual([422, 'UnknownField', 'colour']);
    // Rancher's path serves the same namespaces, and the cluster's API describes the type (as
    // Rancher's: the management /v3/schemas lists only top-level types).
    const viaRancherPath = await server.call(`/v3/clusters/${clusterId}/namespaces/team-a-web`, { token: admin });
    expect([viaRancherPath.status, viaRancherPath.json.projectId]).toEqual([200, teamA]);
    const schema = await server.call(`/v3/clusters/${clusterId}/schemas/namespace`, { token: admin });
    expect(Object.keys(schema.json.resourceFields)).toEqual(expect.arrayContaining(['name', 'projectId']));
    expect((await server.call('/v3/schemas/namespace', { token: admin })).status).toBe(404);
    expect((await namespace(server, admin, clusterId, 'team-b-web', teamB)).status).toBe(201);
    await kubectl(cp, 'create', 'namespace', 'loose');
    // Rancher's downstream conventions.
    const annotated = await kubectl(cp, 'get', 'ns', 'team-a-web', '-o', 'json');
    const meta = JSON.parse(annotated.stdout).metadata;
    expect(meta.annotations['field.cattle.io/projectId']).toBe(teamA);
    expect(meta.labels['field.cattle.io/projectId']).toBe(teamA.split(':')[1]);

    const alice = await newUser(server, admin, 'alice');
    const carol = await newUser(server, admin, 'carol');
    const aliceBinding = await bind(server, admin, teamA, alice.id, 'project-member');
    expect(aliceBinding.status, aliceBinding.text).toBe(201);
    expect((await bind(server, admin, teamA, carol.id, 'read-only')).status).toBe(201);
    const aliceKc = await generatedKubeconfig(server, alice.token, clusterId);
    const carolKc = await generatedKubeconfig(server, carol.token, clusterId);

    await allowed(aliceKc, 'create', 'deployment', 'web', '--image=nginx', '-n', 'team-a-web');
    await denied(aliceKc, 'create', 'deployment', 'web', '--image=nginx', '-n', 'team-b-web');
    await denied(aliceKc, 'create', 'configmap', 'x', '-n', 'loose');
    await denied(aliceKc, 'get', 'pods', '-n', 'default');
    expect(await allowed(carolKc, 'get', 'deployments', '-n', 'team-a-web', '-o', 'name')).toContain(
      'deployment.apps/web',
    );
    await denied(carolKc, 'create', 'configmap', 'x', '-n', 'team-a-web');
    // Members read their own namespaces and no others.
    await allowed(aliceKc, 'get', 'namespace', 'team-a-web');
    await denied(aliceKc, 'get', 'namespace', 'team-b-web');
    const aliceView = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: alice.token });
    expect(aliceView.json.data.map((n: { name: string }) => n.name)).toEqual(['team-a-web']);

    // A new namespace in the project: access without any other step.
    expect((await namespace(server, admin, clusterId, 'team-a-api', teamA)).status).toBe(201);
    await allowed(aliceKc, 'create', 'configmap', 'hello', '-n', 'team-a-api');

    // Fewer objects than Rancher: one RoleBinding per namespace and role, listing every subject.
    const rbs = JSON.parse(
      (await kubectl(cp, 'get', 'rolebindings', '-n', 'team-a-web', '-l', 'corral.io/managed=true', '-o', 'json'))
        .stdout,
    );
    const memberRb = rbs.items.find((r: { roleRef: { name: string } }) => r.roleRef.name === 'edit');
    expect(memberRb.subjects.map((s: { name: string }) => s.name)).toEqual([alice.id]);
    // Hand-made objects are never touched.
    await kubectl(cp, 'create', 'rolebinding', 'by-hand', '--clusterrole=view', '--user=someone', '-n', 'team-a-web');

    // Removing the binding removes the access.
    expect(
      (await server.call(`/v3/projectRoleTemplateBindings/${aliceBinding.json.id}`, { method: 'DELETE', token: admin }))
        .status,
    ).toBe(200);
    await denied(aliceKc, 'create', 'configmap', 'again', '-n', 'team-a-web');
    expect((await kubectl(cp, 'get', 'rolebinding', 'by-hand', '-n', 'team-a-web', '-o', 'name')).stdout.trim()).toBe(
      'rolebinding.rbac.authorization.k8s.io/by-hand',
    );
  });

  test('quotas: the project default limits pods in a new namespace, and a namespace over the project limit is refused', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'quota' })]);
    const admin = await adminToken(server);
    const clusterId = await registerDirect(server, admin, cp, 'quota');
    const q = await project(server, admin, clusterId, 'quota-team', {
      resourceQuota: { limit: { pods: '4', configMaps: '20' } },
      namespaceDefaultResourceQuota: { limit: { pods: '2', configMaps: '10' } },
      containerDefaultResourceLimit: {
        limitsCpu: '500m',
        limitsMemory: '256Mi',
        requestsCpu: '100m',
        requestsMemory: '64Mi',
      },
    });
    expect((await namespace(server, admin, clusterId, 'q1', q)).status).toBe(201);
    const hard = await eventually(async () => {
      const r = await kubectl(cp, 'get', 'resourcequota', 'default-quota', '-n', 'q1', '-o', 'jsonpath={.spec.hard}');
      return JSON.parse(r.stdout);
    }, 'the ResourceQuota');
    expect(hard).toEqual({ pods: '2', configmaps: '10' });
    const lr = JSON.parse(
      (await kubectl(cp, 'get', 'limitrange', 'default-limitrange', '-n', 'q1', '-o', 'json')).stdout,
    );
    expect(lr.spec.limits[0]).toMatchObject({
      type: 'Container',
      default: { cpu: '500m', memory: '256Mi' },
      defaultRequest: { cpu: '100m', memory: '64Mi' },
    });

    // The real API server enforces it: the third pod is refused.
    // (Pods wait for the namespace's default service account, which the controller manager adds.)
    await eventually(() => kubectl(cp, 'get', 'serviceaccount', 'default', '-n', 'q1'), 'the default service account');
    for (const name of ['p1', 'p2']) await kubectl(cp, 'run', name, '--image=nginx', '-n', 'q1');
    const third = await kubectl(cp, 'run', 'p3', '--image=nginx', '-n', 'q1').catch((e: { stderr: string }) => e);
    expect(String((third as { stderr: string }).stderr)).toContain('exceeded quota: default-quota');

    expect((await namespace(server, admin, clusterId, 'q2', q)).status).toBe(201);
    const over = await namespace(server, admin, clusterId, 'q3', q);
    expect(over.status).toBe(422);
    expect(over.json.message).toMatch(/over its pods limit of 4 by 2/);
    expect((await kubectl(cp, 'get', 'ns', '-o', 'name')).stdout).not.toContain('namespace/q3');
    const used = await eventually(async () => {
      const p = await server.call(`/v3/projects/${q}`, { token: admin });
      if (!p.json.resourceQuota.usedLimit?.pods) throw new Error(JSON.stringify(p.json.resourceQuota));
      return p.json.resourceQuota.usedLimit;
    }, 'usedLimit');
    expect(used).toMatchObject({ pods: '4', configMaps: '20' });
    const badDefault = await server.call(`/v3/projects/${q}`, {
      method: 'PUT',
      token: admin,
      body: { namespaceDefaultResourceQuota: { limit: { pods: '9' } } },
    });
    expect(badDefault.status).toBe(422);
    expect(badDefault.json.fieldName).toBe('namespaceDefaultResourceQuota.limit.pods');
  });

  test('who may bind what: template contexts, owners stay in their project, no granting beyond one holds, moves need both projects', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'esc' })]);
    const admin = await adminToken(server);
    const clusterId = await registerDirect(server, admin, cp, 'esc');
    const a = await project(server, admin, clusterId, 'a');
    const b = await project(server, admin, clusterId, 'b');
    await namespace(server, admin, clusterId, 'a-ns', a);
    const dave = await newUser(server, admin, 'dave');
    const erin = await newUser(server, admin, 'erin');
    expect((await bind(server, admin, a, dave.id, 'project-owner')).status).toBe(201);

    const wrongContext = await bind(server, admin, a, erin.id, 'cluster-member');
    expect(wrongContext.status).toBe(422);
    expect(wrongContext.json.message).toContain('is for clusters, not projects');
    const wrongCrtb = await server.call('/v3/clusterRoleTemplateBindings', {
      token: admin,
      body: { clusterId, userId: erin.id, roleTemplateId: 'project-member' },
    });
    expect(wrongCrtb.status).toBe(422);

    // dave owns project a: he adds members there, not in b.
    expect((await bind(server, dave.token, a, erin.id, 'project-member')).status).toBe(201);
    const otherProject = await bind(server, dave.token, b, erin.id, 'project-member');
    expect(otherProject.status).toBe(403);

    // A custom template with rules dave does not hold in a (deleting persistent volumes) is refused.
    const rt = await server.call('/v3/roleTemplates', {
      token: admin,
      body: {
        name: 'pv-deleter',
        context: 'project',
        rules: [{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['delete'] }],
      },
    });
    const beyond = await bind(server, dave.token, a, erin.id, rt.json.id);
    expect(beyond.status).toBe(403);
    expect(beyond.json.message).toContain('that you do not hold there');
    // erin (a member) cannot grant anything.
    expect((await bind(server, erin.token, a, dave.id, 'read-only')).status).toBe(403);

    // Moving a namespace needs rights on both projects.
    const move = (token: string, to: string | null) =>
      server.call(`/v3/cluster/${clusterId}/namespaces/a-ns?action=move`, { token, body: { projectId: to } });
    const daveMove = await move(dave.token, b);
    expect(daveMove.status).toBe(403);
    expect(daveMove.json.message).toContain(`project ${b}`);
    expect((await move(admin, b)).json.projectId).toBe(b);
  });

  test('changes made while the agent is away converge exactly when it returns', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'conv' })]);
    const admin = await adminToken(server);
    const imported = await importWithAgent(server, admin, cp, 'conv');
    const { clusterId } = imported;
    const p = await project(server, admin, clusterId, 'p');
    await namespace(server, admin, clusterId, 'p-one', p);
    const u1 = await newUser(server, admin, 'user-one');
    const u2 = await newUser(server, admin, 'user-two');
    const stale = await bind(server, admin, p, u1.id, 'project-member');
    const adminId = (await server.call('/v3/users?username=admin', { token: admin })).json.data[0].id;
    // Role bindings in a namespace as role:subject, leaving out the admin (the project's creator and owner).
    const subjects = async (ns: string) => {
      const r = JSON.parse(
        (await kubectl(cp, 'get', 'rolebindings', '-n', ns, '-l', 'corral.io/managed=true', '-o', 'json')).stdout,
      );
      return r.items
        .flatMap((rb: { roleRef: { name: string }; subjects: { name: string }[] }) =>
          rb.subjects.map((s) => `${rb.roleRef.name}:${s.name}`),
        )
        .filter((s: string) => !s.endsWith(`:${adminId}`))
        .sort();
    };
    await eventually(async () => {
      expect(await subjects('p-one')).toEqual([`edit:${u1.id}`, `project-member:${u1.id}`].sort());
    }, 'the first binding');

    await imported.killAgent();
    await eventually(
      async () => {
        const c = await server.call(`/v3/clusters/${clusterId}`, { token: admin });
        if (c.json.state !== 'unavailable') throw new Error(c.json.state);
      },
      'the cluster to be unavailable',
      45_000,
    );
    // While it is away: one binding goes, another comes, and a namespace joins the project by hand.
    await server.call(`/v3/projectRoleTemplateBindings/${stale.json.id}`, { method: 'DELETE', token: admin });
    await bind(server, admin, p, u2.id, 'read-only');
    await kubectl(cp, 'create', 'namespace', 'p-two');
    await kubectl(cp, 'annotate', 'namespace', 'p-two', `field.cattle.io/projectId=${p}`);

    await imported.startAgent();
    const want = [`read-only:${u2.id}`, `view:${u2.id}`].sort();
    await eventually(async () => {
      expect(await subjects('p-one')).toEqual(want);
      expect(await subjects('p-two')).toEqual(want);
    }, 'exactly the desired bindings');
    // Nothing stale anywhere: no managed object mentions the removed user.
    const all = (
      await kubectl(cp, 'get', 'rolebindings,clusterrolebindings', '-A', '-l', 'corral.io/managed=true', '-o', 'json')
    ).stdout;
    expect(all).not.toContain(u1.id);
  });
});

describe('project-scoped secrets', () => {
  test('copied into every namespace of the project, kept in step, removed when deleted or when a namespace leaves', async () => {
    const { createCA, issueCertificate } = await import('../src/pki/index.js');
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'secrets' })]);
    const admin = await adminToken(server);
    const clusterId = await registerDirect(server, admin, cp, 'secrets');
    const p = await project(server, admin, clusterId, 'p');
    const q = await project(server, admin, clusterId, 'q');
    for (const [ns, proj] of [
      ['n1', p],
      ['n2', p],
      ['q1', q],
    ] as const) {
      expect((await namespace(server, admin, clusterId, ns, proj)).status).toBe(201);
    }
    const secretValue = async (ns: string, name: string, key: string) => {
      const r = await kubectl(cp, 'get', 'secret', name, '-n', ns, '-o', 'json').catch(() => undefined);
      if (!r) return undefined;
      const data = JSON.parse(r.stdout).data as Record<string, string>;
      return data[key] === undefined ? undefined : Buffer.from(data[key]!, 'base64').toString();
    };

    const db = await server.call('/v3/projectSecrets', {
      token: admin,
      body: { projectId: p, name: 'db', data: { password: 'hunter2' } },
    });
    expect(db.status, db.text).toBe(201);
    expect(db.text).not.toContain('hunter2');
    expect(db.json.keys).toEqual(['password']);
    const ca = await createCA({ commonName: 'ca' });
    const leaf = await issueCertificate(ca, { commonName: 'web', usages: ['server'], altNames: ['web.example'] });
    const other = await issueCertificate(ca, { commonName: 'other', usages: ['server'], altNames: ['x.example'] });
    const mismatched = await server.call('/v3/projectSecrets', {
      token: admin,
      body: { projectId: p, name: 'tls', kind: 'certificate', certs: leaf.certPem, key: other.keyPem },
    });
    expect(mismatched.status).toBe(422);
    expect(mismatched.json.fieldName).toBe('key');
    const tls = await server.call('/v3/projectSecrets', {
      token: admin,
      body: { projectId: p, name: 'tls', kind: 'certificate', certs: leaf.certPem, key: leaf.keyPem },
    });
    expect(tls.status).toBe(201);
    // Rancher's certificate fields, read from the PEM; the key is never returned.
    const leafCert = new X509Certificate(leaf.certPem);
    expect(tls.json).toMatchObject({
      cn: 'web',
      issuer: 'ca',
      subjectAlternativeNames: ['web.example'],
      expiresAt: new Date(leafCert.validTo).toISOString(),
      certFingerprint: leafCert.fingerprint256,
    });
    expect(tls.text).not.toContain('PRIVATE KEY');
    expect(
      (
        await server.call('/v3/projectSecrets', {
          token: admin,
          body: {
            projectId: p,
            name: 'registry',
            kind: 'dockerCredential',
            registries: { 'reg.example': { username: 'bot', password: 'tok' } },
          },
        })
      ).status,
    ).toBe(201);

    await eventually(async () => {
      for (const ns of ['n1', 'n2']) {
        expect(await secretValue(ns, 'db', 'password')).toBe('hunter2');
        expect(await secretValue(ns, 'tls', 'tls.crt')).toBe(leaf.certPem);
        expect(
          JSON.parse((await secretValue(ns, 'registry', '.dockerconfigjson'))!).auths['reg.example'].username,
        ).toBe('bot');
      }
    }, 'the copies in both namespaces');
    expect(await secretValue('q1', 'db', 'password')).toBeUndefined();
    const type = (await kubectl(cp, 'get', 'secret', 'registry', '-n', 'n1', '-o', 'jsonpath={.type}')).stdout;
    expect(type).toBe('kubernetes.io/dockerconfigjson');

    // Kept in step with a change, and taken away from a namespace that leaves the project.
    expect(
      (
        await server.call(`/v3/projectSecrets/${db.json.id}`, {
          method: 'PUT',
          token: admin,
          body: { data: { password: 'rotated' } },
        })
      ).status,
    ).toBe(200);
    await server.call(`/v3/cluster/${clusterId}/namespaces/n2?action=move`, { token: admin, body: { projectId: q } });
    await eventually(async () => {
      expect(await secretValue('n1', 'db', 'password')).toBe('rotated');
      expect(await secretValue('n2', 'db', 'password')).toBeUndefined();
    }, 'the rotation and the removal');

    // Deleted at the project: gone from its namespaces.
    expect((await server.call(`/v3/projectSecrets/${db.json.id}`, { method: 'DELETE', token: admin })).status).toBe(
      200,
    );
    await eventually(async () => {
      expect(await secretValue('n1', 'db', 'password')).toBeUndefined();
    }, 'the copies to go');
    expect(await secretValue('n1', 'tls', 'tls.key')).toBe(leaf.keyPem);
  });
});
