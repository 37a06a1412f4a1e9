import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../src/localcluster/control-plane.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

// Rancher's project-scoped workload API against a real server and a real control plane (kwok
// nodes: pods are scheduled but run nothing, which is all the API needs). Every write goes to
// the cluster as the caller, so the cluster's RBAC decides.
let server: TestServer;
let cp: ControlPlane;
let admin: string;
let clusterId: string;
let projectId: string;
let alice: string; // project-member
let rita: string; // read-only

beforeAll(async () => {
  [server, cp] = await Promise.all([
    startTestServer({ manual: true }),
    startTestControlPlane({ name: 'wl', nodes: 1, manual: true }),
  ]);
  admin = await adminToken(server);
  clusterId = await registerDirect(server, admin, cp, 'wl');
  projectId = (await server.call('/v3/projects', { token: admin, body: { name: 'apps', clusterId } })).json.id;
  for (const ns of ['apps-web', 'outside']) {
    const r = await server.call(`/v3/cluster/${clusterId}/namespaces`, {
      token: admin,
      body: { name: ns, ...(ns === 'outside' ? {} : { projectId }) },
    });
    expect(r.status, r.text).toBe(201);
  }
  const user = async (username: string, role: string) => {
    const u = await server.call('/v3/users', { token: admin, body: { username, password: `${username}-password-1` } });
    const b = await server.call('/v3/projectRoleTemplateBindings', {
      token: admin,
      body: { projectId, userId: u.json.id, roleTemplateId: role },
    });
    expect(b.status, b.text).toBe(201);
    return server.login(username, `${username}-password-1`);
  };
  alice = await user('alice', 'project-member');
  rita = await user('rita', 'read-only');
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  await server?.stop();
});

const base = () => `/v3/projects/${projectId}/workloads`;
/** Waits until the Deployment controller has made the ReplicaSet of each revision so far. */
const revisionsReach = (n: number) =>
  eventually(async () => {
    const r = await server.call(`${base()}/deployment:apps-web:web/revisions`, { token: alice });
    if (r.json.data?.length < n) throw new Error(r.text);
  }, `${n} revision(s)`);
const get = async (...args: string[]) => (await kubectl(cp, 'get', ...args)).stdout;
const web = {
  name: 'web',
  namespaceId: 'apps-web',
  scale: 2,
  containers: [
    {
      name: 'nginx',
      image: 'nginx:1.27',
      imagePullPolicy: 'IfNotPresent',
      environment: { MODE: 'prod' },
      env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      ports: [
        { containerPort: 80, kind: 'ClusterIP' },
        { containerPort: 8443, name: 'admin', kind: 'NodePort', sourcePort: 30443 },
      ],
      resources: { requests: { cpu: '100m' } },
    },
  ],
  deploymentConfig: { strategy: 'RollingUpdate', maxSurge: '1', maxUnavailable: '0' },
};

/** Until RBAC for the project's members has reached the cluster. */
const create = (token: string, body: unknown) =>
  eventually(async () => {
    const r = await server.call(base(), { token, body });
    if (r.status === 403 && token === alice) throw new Error(r.text);
    return r;
  }, 'the create to be allowed');

describe('workloads of a project', () => {
  test('a member deploys: the Deployment and the Services its ports ask for are made as them', async () => {
    const r = await create(alice, web);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({
      id: 'deployment:apps-web:web',
      type: 'deployment',
      workloadType: 'deployment',
      namespaceId: 'apps-web',
      projectId,
      scale: 2,
      actions: { redeploy: expect.any(String), pause: expect.any(String), rollback: expect.any(String) },
    });
    const dep = JSON.parse(await get('deployment', 'web', '-n', 'apps-web', '-o', 'json'));
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const c = dep.spec.template.spec.containers[0];
    expect(c.image).toBe('nginx:1.27');
    expect(c.env).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ]);

    const svc = JSON.parse(await get('service', 'web', '-n', 'apps-web', '-o', 'json'));
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toMatchObject([{ port: 80, targetPort: 80, protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(svc.metadata.ownerReferences[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: dep.metadata.uid });
    const np = JSON.parse(await get('service', 'web-nodeport', '-n', 'apps-web', '-o', 'json'));
    expect(np.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'admin', nodePort: 30443, targetPort: 8443 }] });

    const one = await server.call(`${base()}/deployment:apps-web:web`, { token: alice });
    expect(one.status).toBe(200);
    expect(one.json.containers[0].ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: null, kind: 'ClusterIP', sourcePort: null },
      { containerPort: 8443, protocol: 'TCP', name: 'admin', kind: 'NodePort', sourcePort: 30443 },
    ]);
    const list = await server.call(base(), { token: alice });
    expect(list.json.data.map((w: { id: string }) => w.id)).toContain('deployment:apps-web:web');
  });

  test('bad input is refused with what to fix, and nothing is made', async () => {
    const outside = await server.call(base(), { token: alice, body: { ...web, name: 'x', namespaceId: 'outside' } });
    expect(outside.status).toBe(422);
    expect(outside.json).toMatchObject({ code: 'InvalidReference', fieldName: 'namespaceId' });
    expect(outside.json.message).toBe('namespace "outside" is not in project apps');
    const noImage = await server.call(base(), {
      token: alice,
      body: { name: 'y', namespaceId: 'apps-web', containers: [{ name: 'c' }] },
    });
    expect(noImage.status).toBe(422);
    expect(noImage.json).toMatchObject({ code: 'MissingRequired', fieldName: 'containers[0].image' });
    const cron = await server.call(base(), {
      token: alice,
      body: {
        name: 'z',
        namespaceId: 'apps-web',
        workloadType: 'cronJob',
        containers: [{ name: 'c', image: 'busybox' }],
      },
    });
    expect(cron.status).toBe(422);
    expect(cron.json.fieldName).toBe('cronJobConfig.schedule');
    const scaleJob = await server.call(base(), {
      token: alice,
      body: {
        name: 'j',
        namespaceId: 'apps-web',
        workloadType: 'job',
        scale: 3,
        containers: [{ name: 'c', image: 'busybox' }],
      },
    });
    expect(scaleJob.status).toBe(422);
    expect(scaleJob.json.message).toBe('scale does not apply to a job');
    // A NodePort already taken: the cluster refuses the Service, and the workload is taken back.
    const taken = await server.call(base(), {
      token: alice,
      body: {
        ...web,
        name: 'web2',
        containers: [{ ...web.containers[0], ports: [{ containerPort: 1, kind: 'NodePort', sourcePort: 30443 }] }],
      },
    });
    expect(taken.status, taken.text).toBe(422);
    expect(taken.json.message).toContain('the cluster refused it');
    expect(taken.json.message).toContain('30443');
    expect((await kubectl(cp, 'get', 'deployments', '-n', 'apps-web', '-o', 'name')).stdout.trim()).toBe(
      'deployment.apps/web',
    );
    // RBAC decides: read-only may read but not create.
    const ro = await server.call(base(), { token: rita, body: { ...web, name: 'ro' } });
    expect(ro.status).toBe(403);
    expect(ro.json.code).toBe('PermissionDenied');
    expect(ro.json.message).toMatch(/^your roles in cluster wl do not allow this: /);
    expect((await server.call(`${base()}/deployment:apps-web:web`, { token: rita })).status).toBe(200);
    const roAction = await server.call(`${base()}/deployment:apps-web:web?action=redeploy`, { token: rita, body: {} });
    expect(roAction.status).toBe(403);
  });

  test('edit (GET, change, PUT), redeploy, pause and resume', async () => {
    await revisionsReach(1);
    const got = await server.call(`${base()}/deployment:apps-web:web`, { token: alice });
    const body = structuredClone(got.json);
    body.scale = 1;
    body.containers[0].image = 'nginx:1.28';
    body.containers[0].ports = [{ containerPort: 80, kind: 'ClusterIP' }];
    const put = await server.call(`${base()}/deployment:apps-web:web`, { method: 'PUT', token: alice, body });
    expect(put.status, put.text).toBe(200);
    expect(
      await get(
        'deployment',
        'web',
        '-n',
        'apps-web',
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}',
      ),
    ).toBe('1 nginx:1.28');
    // The NodePort is no longer asked for: its Service is gone; the ClusterIP one stays.
    expect((await kubectl(cp, 'get', 'services', '-n', 'apps-web', '-o', 'name')).stdout.trim()).toBe('service/web');
    // A stale resourceVersion is a conflict.
    const stale = await server.call(`${base()}/deployment:apps-web:web`, { method: 'PUT', token: alice, body });
    expect(stale.status).toBe(409);
    // name and namespace cannot change.
    const renamed = await server.call(`${base()}/deployment:apps-web:web`, {
      method: 'PUT',
      token: alice,
      body: { name: 'other' },
    });
    expect(renamed.status).toBe(422);
    expect(renamed.json.code).toBe('NotUpdatable');

    await revisionsReach(2);
    const redeploy = await server.call(`${base()}/deployment:apps-web:web?action=redeploy`, { token: alice, body: {} });
    expect(redeploy.status, redeploy.text).toBe(200);
    const stamp = await get(
      'deployment',
      'web',
      '-n',
      'apps-web',
      '-o',
      'jsonpath={.spec.template.metadata.annotations.cattle\\.io/timestamp}',
    );
    expect(Date.parse(stamp)).toBeGreaterThan(Date.now() - 60_000);

    const pause = await server.call(`${base()}/deployment:apps-web:web?action=pause`, { token: alice, body: {} });
    expect(pause.status).toBe(200);
    expect(pause.json.paused).toBe(true);
    expect(pause.json.actions.resume).toBeDefined();
    expect(await get('deployment', 'web', '-n', 'apps-web', '-o', 'jsonpath={.spec.paused}')).toBe('true');
    const resume = await server.call(`${base()}/deployment:apps-web:web?action=resume`, { token: alice, body: {} });
    expect(resume.json.paused).toBe(false);
    // false is Kubernetes' default: it omits it.
    expect(['', 'false']).toContain(await get('deployment', 'web', '-n', 'apps-web', '-o', 'jsonpath={.spec.paused}'));
    const unknown = await server.call(`${base()}/deployment:apps-web:web?action=explode`, { token: alice, body: {} });
    expect(unknown.status).toBe(404);
  });

  test('rollback lists the revisions and brings an earlier pod template back', async () => {
    const revisions = await eventually(async () => {
      const r = await server.call(`${base()}/deployment:apps-web:web/revisions`, { token: alice });
      expect(r.status, r.text).toBe(200);
      if (r.json.data.length < 3) throw new Error(`revisions so far: ${r.text}`);
      return r.json.data as { revision: number; replicaSetId: string; current: boolean; template: any }[];
    }, 'the ReplicaSets of three revisions');
    expect(revisions.map((r) => r.revision)).toEqual([3, 2, 1]);
    expect(revisions[0]!.current).toBe(true);
    expect(revisions[2]!.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(revisions[2]!.template.metadata.labels['pod-template-hash']).toBeUndefined();

    const missing = await server.call(`${base()}/deployment:apps-web:web?action=rollback`, {
      token: alice,
      body: { revision: 99 },
    });
    expect(missing.status).toBe(422);
    expect(missing.json.message).toContain('its revisions: 3 (');

    const back = await server.call(`${base()}/deployment:apps-web:web?action=rollback`, {
      token: alice,
      body: { replicaSetId: revisions[2]!.replicaSetId },
    });
    expect(back.status, back.text).toBe(200);
    expect(
      await get('deployment', 'web', '-n', 'apps-web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'),
    ).toBe('nginx:1.27');
    const rsOf = await server.call(`${base()}/statefulset:apps-web:none?action=rollback`, { token: alice, body: {} });
    expect(rsOf.status).toBe(404);
  });

  test('the other four kinds are created with their own settings; a Job cannot be redeployed', async () => {
    const c = [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }];
    const made = await Promise.all([
      server.call(base(), {
        token: alice,
        body: { name: 'db', namespaceId: 'apps-web', workloadType: 'statefulSet', scale: 1, containers: c },
      }),
      server.call(base(), {
        token: alice,
        body: { name: 'agent', namespaceId: 'apps-web', workloadType: 'daemonSet', containers: c },
      }),
      server.call(base(), {
        token: alice,
        body: {
          name: 'once',
          namespaceId: 'apps-web',
          workloadType: 'job',
          jobConfig: { completions: 3, parallelism: 1 },
          containers: c,
        },
      }),
      server.call(base(), {
        token: alice,
        body: {
          name: 'tick',
          namespaceId: 'apps-web',
          workloadType: 'cronJob',
          cronJobConfig: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' },
          jobConfig: { backoffLimit: 2 },
          containers: c,
        },
      }),
    ]);
    for (const r of made) expect(r.status, r.text).toBe(201);
    expect(made.map((r) => r.json.id)).toEqual([
      'statefulset:apps-web:db',
      'daemonset:apps-web:agent',
      'job:apps-web:once',
      'cronjob:apps-web:tick',
    ]);
    expect(
      await get('statefulset', 'db', '-n', 'apps-web', '-o', 'jsonpath={.spec.replicas} {.spec.serviceName}'),
    ).toBe('1 db');
    expect(
      await get(
        'job',
        'once',
        '-n',
        'apps-web',
        '-o',
        'jsonpath={.spec.completions} {.spec.template.spec.restartPolicy}',
      ),
    ).toBe('3 OnFailure');
    expect(
      await get(
        'cronjob',
        'tick',
        '-n',
        'apps-web',
        '-o',
        'jsonpath={.spec.schedule} {.spec.concurrencyPolicy} {.spec.jobTemplate.spec.backoffLimit}',
      ),
    ).toBe('*/5 * * * * Forbid 2');
    const tick = await server.call(`${base()}/cronjob:apps-web:tick`, { token: alice });
    expect(tick.json.cronJobConfig).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' });
    const redeployJob = await server.call(`${base()}/job:apps-web:once?action=redeploy`, { token: alice, body: {} });
    expect(redeployJob.status).toBe(422);
    const pauseCron = await server.call(`${base()}/cronjob:apps-web:tick?action=pause`, { token: alice, body: {} });
    expect(pauseCron.status).toBe(422);
    expect(pauseCron.json.message).toBe('only a Deployment can pause its rollout');
  });

  test('a StatefulSet and a DaemonSet roll back to an earlier revision (their ControllerRevisions)', async () => {
    for (const [id, kind, name] of [
      ['statefulset:apps-web:db', 'statefulset', 'db'],
      ['daemonset:apps-web:agent', 'daemonset', 'agent'],
    ] as const) {
      const image = () => get(kind, name, '-n', 'apps-web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
      const current = (await server.call(`${base()}/${id}`, { token: alice })).json;
      expect(current.links.revisions, id).toBeDefined();
      expect(current.actions.rollback, id).toBeDefined();
      const changed = await server.call(`${base()}/${id}`, {
        method: 'PUT',
        token: alice,
        body: { ...current, containers: [{ ...current.containers[0], image: 'busybox:1.37' }] },
      });
      expect(changed.status, changed.text).toBe(200);
      const revisions = await eventually(async () => {
        const r = await server.call(`${base()}/${id}/revisions`, { token: alice });
        expect(r.status, r.text).toBe(200);
        if (r.json.data.length < 2) throw new Error(`revisions so far: ${r.text}`);
        return r.json.data as { revision: number; replicaSetId: string; current: boolean; template: any }[];
      }, `the ControllerRevisions of ${id}`);
      expect(revisions.map((r) => [r.revision, r.current])).toEqual([
        [2, true],
        [1, false],
      ]);
      expect(revisions[1]!.template.spec.containers[0].image).toBe('busybox');
      expect(revisions[1]!.template.$patch).toBeUndefined();

      const missing = await server.call(`${base()}/${id}?action=rollback`, { token: alice, body: { revision: 9 } });
      expect(missing.status).toBe(422);
      expect(missing.json.message).toContain('its revisions: 2 (');
      // No revision named: the one before the current, as kubectl rollout undo.
      const back = await server.call(`${base()}/${id}?action=rollback`, { token: alice, body: {} });
      expect(back.status, back.text).toBe(200);
      expect(await image()).toBe('busybox');
      // The controller renumbers the revision it went back to: it is the current one again.
      await eventually(async () => {
        const r = await server.call(`${base()}/${id}/revisions`, { token: alice });
        const now = (r.json.data as { revision: number; current: boolean; template: any }[]).find((x) => x.current);
        expect(now?.revision).toBe(3);
        expect(now?.template.spec.containers[0].image).toBe('busybox');
      }, `${id} to record the rollback`);
    }
    const job = await server.call(`${base()}/job:apps-web:once?action=rollback`, { token: alice, body: {} });
    expect(job.status).toBe(422);
    expect(job.json.message).toContain('only Deployments, StatefulSets and DaemonSets can be rolled back');
  });

  test('delete removes the workload and its Services', async () => {
    const del = await server.call(`${base()}/deployment:apps-web:web`, { method: 'DELETE', token: alice });
    expect(del.status, del.text).toBe(200);
    expect((await kubectl(cp, 'get', 'services', '-n', 'apps-web', '-o', 'name')).stdout.trim()).toBe('');
    await eventually(async () => {
      const r = await server.call(`${base()}/deployment:apps-web:web`, { token: alice });
      if (r.status !== 404) throw new Error(`still there: ${r.status}`);
    }, 'the Deployment to be gone');
    const elsewhere = await server.call(`/v3/projects/${projectId}/workloads/deployment:outside:web`, { token: alice });
    expect(elsewhere.status).toBe(404);
  });
});
