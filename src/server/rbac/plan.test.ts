import { describe, expect, test } from 'vitest';
import { desiredRbac, type KubeObject, type RbacInputs, type TemplateInfo } from './desired.js';
import { isNoop, planChanges, type Plan } from './plan.js';
import { desiredQuotaObjects } from './quota.js';

const LABELS = { 'corral.io/managed': 'true', 'corral.io/cluster': 'c-abcde' };
const RBAC = 'rbac.authorization.k8s.io';

function clusterRole(name: string, verbs = ['get']): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { ...LABELS } },
    rules: [{ verbs, apiGroups: [''], resources: ['pods'] }],
  };
}

function roleBinding(name: string, namespace: string, role: string, users: string[]): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...LABELS, 'corral.io/project': 'p-one' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: users.map((u) => ({ kind: 'User', apiGroup: RBAC, name: u })),
  };
}

/** What the API server hands back for an object Corral wrote: server fields added, maybe others' labels. */
function asListed(o: KubeObject, resourceVersion: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  const copy = structuredClone(o) as KubeObject & { status?: unknown };
  copy.metadata = { ...copy.metadata, resourceVersion, uid: `uid-${resourceVersion}`, ...extra };
  return copy;
}

const names = (objects: KubeObject[]) =>
  objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);

describe('planChanges', () => {
  test('everything is created in an empty cluster, in a fixed order', () => {
    const desired = [roleBinding('rb', 'ns1', 'view', ['u-1']), clusterRole('b'), clusterRole('a')];
    const plan = planChanges(desired, []);
    expect(names(plan.create)).toEqual(['ClusterRole a', 'ClusterRole b', 'RoleBinding ns1/rb']);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(isNoop(plan)).toBe(false);
  });

  test('nothing to do when the cluster matches, whatever else the server and other tools added', () => {
    const desired = [clusterRole('a'), roleBinding('rb', 'ns1', 'view', ['u-1', 'u-2'])];
    const actual = desired.map((o, i) =>
      asListed(o, String(100 + i), {
        labels: { ...o.metadata.labels!, 'app.kubernetes.io/part-of': 'someone-else' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      }),
    );
    (actual[0] as KubeObject & { aggregationRule?: unknown }).aggregationRule = undefined;
    const plan = planChanges(desired, actual);
    expect(plan).toEqual({ create: [], update: [], delete: [] });
    expect(isNoop(plan)).toBe(true);
  });

  test('equal modulo forms the API server normalizes: omitted empty lists, defaulted subject apiGroup', () => {
    const desired = [roleBinding('rb', 'ns1', 'view', ['u-1']), clusterRole('a')];
    const actual: KubeObject[] = [
      {
        ...asListed(desired[0]!, '1'),
        subjects: [{ kind: 'User', name: 'u-1' }],
      },
      {
        ...asListed(desired[1]!, '2'),
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [], nonResourceURLs: [] }],
      },
    ];
    expect(isNoop(planChanges(desired, actual))).toBe(true);
  });

  test.each<[string, (o: KubeObject) => void]>([
    ['rules changed', (o) => (o.rules = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }])],
    ['a rule added', (o) => o.rules!.push({ verbs: ['get'], nonResourceURLs: ['/metrics'] })],
    ['rules emptied', (o) => (o.rules = [])],
    ['the managed cluster label changed', (o) => (o.metadata.labels!['corral.io/cluster'] = 'c-other')],
    ['a project label Corral did not set', (o) => (o.metadata.labels!['corral.io/project'] = 'p-x')],
  ])('a ClusterRole is updated when %s', (_name, mutate) => {
    const desired = [clusterRole('a'), clusterRole('b')];
    const actual = desired.map((o, i) => asListed(o, `rv-${i}`));
    mutate(actual[0]!);
    const plan = planChanges(desired, actual);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    // the full desired object, with the listed resourceVersion for compare-and-swap
    expect(plan.update).toEqual([{ ...desired[0]!, metadata: { ...desired[0]!.metadata, resourceVersion: 'rv-0' } }]);
  });

  test.each<[string, (o: KubeObject) => void]>([
    ['a subject is missing', (o) => o.subjects!.pop()],
    ['a subject is extra', (o) => o.subjects!.push({ kind: 'User', apiGroup: RBAC, name: 'u-intruder' })],
    ['a user became a group', (o) => (o.subjects![0]!.kind = 'Group')],
    ['subjects are in another order', (o) => o.subjects!.reverse()],
  ])('a binding is updated in place when %s', (_name, mutate) => {
    const desired = [roleBinding('rb', 'ns1', 'view', ['u-1', 'u-2'])];
    const actual = [asListed(desired[0]!, '7')];
    mutate(actual[0]!);
    const plan = planChanges(desired, actual);
    expect(names(plan.update)).toEqual(['RoleBinding ns1/rb']);
    expect(plan.update[0]!.subjects).toEqual(desired[0]!.subjects);
    expect(plan.update[0]!.metadata.resourceVersion).toBe('7');
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  test('a binding whose roleRef changed is deleted and created again (roleRef is immutable)', () => {
    const desired = [roleBinding('rb', 'ns1', 'edit', ['u-1'])];
    const actual = [asListed(roleBinding('rb', 'ns1', 'view', ['u-1']), '9')];
    const plan = planChanges(desired, actual);
    expect(plan.delete).toEqual(actual);
    expect(plan.create).toEqual(desired);
    expect(plan.update).toEqual([]);
  });

  test('what Corral made but no longer wants is deleted; what it did not make is never touched', () => {
    const desired = [clusterRole('keep')];
    const stale = asListed(roleBinding('gone', 'ns1', 'view', ['u-1']), '3');
    const staleRole = asListed(clusterRole('also-gone'), '4');
    const usersOwn = asListed(clusterRole('keep', ['*']), '5', { labels: { team: 'ops' } });
    const notQuiteManaged = asListed(clusterRole('other'), '6', {
      labels: { 'corral.io/managed': 'false' },
    });
    const plan = planChanges(desired, [stale, notQuiteManaged, usersOwn, staleRole]);
    expect(plan.delete).toEqual([staleRole, stale]);
    // the unmanaged "keep" is not Corral's: Corral creates its own (the server will answer 409 if the name is
    // taken) rather than overwriting or deleting a user's object
    expect(plan.create).toEqual(desired);
    expect(plan.update).toEqual([]);
  });

  test('the plan does not depend on the order of either list', () => {
    const desired = [
      clusterRole('c'),
      clusterRole('a', ['list']),
      roleBinding('rb', 'ns2', 'view', ['u-1']),
      roleBinding('rb', 'ns1', 'view', ['u-1']),
    ];
    const actual = [
      asListed(clusterRole('a'), '1'),
      asListed(clusterRole('z'), '2'),
      asListed(roleBinding('rb', 'ns1', 'edit', ['u-1']), '3'),
      asListed(clusterRole('y'), '4'),
    ];
    const plan = planChanges(desired, actual);
    expect(names(plan.create)).toEqual(['ClusterRole c', 'RoleBinding ns1/rb', 'RoleBinding ns2/rb']);
    expect(names(plan.update)).toEqual(['ClusterRole a']);
    expect(names(plan.delete)).toEqual(['ClusterRole y', 'ClusterRole z', 'RoleBinding ns1/rb']);
    const reversed = planChanges([...desired].reverse(), [...actual].reverse());
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(plan));
  });

  test('two desired objects with one name are refused', () => {
    expect(() => planChanges([clusterRole('a'), clusterRole('a', ['list'])], [])).toThrow(/two desired objects/);
  });
});

describe('planChanges for quota objects', () => {
  const quota = (hard: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'default-quota', namespace: 'ns1', labels: { ...LABELS, 'corral.io/project': 'p-one' } },
    spec: { hard },
  });
  const limitRange = (item: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'default-limitrange', namespace: 'ns1', labels: { ...LABELS, 'corral.io/project': 'p-one' } },
    spec: { limits: [{ type: 'Container', ...item }] },
  });

  test.each<[string, KubeObject, KubeObject, boolean]>([
    [
      'quantities the server rewrote to canonical form',
      quota({ pods: '10', 'requests.memory': '1024Mi', 'limits.cpu': '0.5' }),
      quota({ pods: '10', 'requests.memory': '1Gi', 'limits.cpu': '500m' }),
      true,
    ],
    ['a changed hard limit', quota({ pods: '10' }), quota({ pods: '11' }), false],
    ['a hard limit the desired quota lacks', quota({ pods: '10' }), quota({ pods: '10', secrets: '5' }), false],
    [
      'scopes someone added',
      quota({ pods: '10' }),
      { ...quota({ pods: '10' }), spec: { hard: { pods: '10' }, scopes: ['BestEffort'] } },
      false,
    ],
    [
      'a LimitRange the server completed with defaultRequest = default',
      limitRange({ default: { cpu: '1', memory: '512Mi' } }),
      limitRange({ default: { cpu: '1', memory: '512Mi' }, defaultRequest: { cpu: '1', memory: '512Mi' } }),
      true,
    ],
    [
      'a LimitRange with partial requests completed by the server',
      limitRange({ default: { cpu: '1', memory: '512Mi' }, defaultRequest: { cpu: '100m' } }),
      limitRange({ default: { cpu: '1000m', memory: '0.5Gi' }, defaultRequest: { cpu: '0.1', memory: '512Mi' } }),
      true,
    ],
    [
      'a LimitRange whose default changed',
      limitRange({ default: { cpu: '1' }, defaultRequest: { cpu: '100m' } }),
      limitRange({ default: { cpu: '2' }, defaultRequest: { cpu: '100m' } }),
      false,
    ],
    [
      'a LimitRange whose explicit request differs from what defaulting gives',
      limitRange({ default: { cpu: '1' }, defaultRequest: { cpu: '100m' } }),
      limitRange({ default: { cpu: '1' }, defaultRequest: { cpu: '1' } }),
      false,
    ],
    [
      'a LimitRange with an extra max someone added',
      limitRange({ default: { cpu: '1' } }),
      limitRange({ default: { cpu: '1' }, defaultRequest: { cpu: '1' }, max: { cpu: '4' } }),
      false,
    ],
  ])('%s', (_name, want, have, equal) => {
    const plan = planChanges([want], [asListed(have, '12')]);
    expect(isNoop(plan)).toBe(equal);
    if (!equal) expect(plan.update).toEqual([{ ...want, metadata: { ...want.metadata, resourceVersion: '12' } }]);
  });
});

/** Applies a plan to a map standing in for the cluster, as the API server would (new resourceVersions). */
function apply(cluster: Map<string, KubeObject>, plan: Plan, rv: { n: number }): void {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  for (const o of plan.delete) {
    if (!cluster.delete(key(o))) throw new Error(`delete of missing ${key(o)}`);
  }
  for (const o of plan.create) {
    if (cluster.has(key(o))) throw new Error(`create of existing ${key(o)}`);
    cluster.set(key(o), asListed(o, String(++rv.n)));
  }
  for (const o of plan.update) {
    const current = cluster.get(key(o));
    if (!current || current.metadata.resourceVersion !== o.metadata.resourceVersion) {
      throw new Error(`conflict updating ${key(o)}`);
    }
    if (JSON.stringify(current.roleRef) !== JSON.stringify(o.roleRef)) throw new Error('roleRef is immutable');
    cluster.set(key(o), asListed(o, String(++rv.n)));
  }
}

describe('converging', () => {
  const templates = new Map<string, TemplateInfo>(
    [
      { id: 'edit', context: 'project', external: true, rules: [], roleTemplateIds: [] },
      { id: 'view', context: 'project', external: true, rules: [], roleTemplateIds: [] },
      {
        id: 'project-member',
        context: 'project',
        external: false,
        rules: [{ verbs: ['create'], apiGroups: [''], resources: ['namespaces'] }],
        roleTemplateIds: ['edit'],
      },
      {
        id: 'rt-viewer',
        context: 'project',
        external: false,
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
        roleTemplateIds: ['view'],
      },
    ].map((t) => [t.id, t as TemplateInfo]),
  );

  const states: RbacInputs[] = [
    {
      clusterId: 'c-abcde',
      templates,
      clusterBindings: [{ roleTemplateId: 'view', subject: { kind: 'User', name: 'u-9' } }],
      projectBindings: [
        { projectId: 'p-one', roleTemplateId: 'project-member', subject: { kind: 'User', name: 'u-1' } },
      ],
      namespaces: [
        { name: 'ns1', projectId: 'p-one' },
        { name: 'ns2', projectId: 'p-one' },
      ],
    },
    {
      // a member added, a namespace added, the cluster binding removed
      clusterId: 'c-abcde',
      templates,
      clusterBindings: [],
      projectBindings: [
        { projectId: 'p-one', roleTemplateId: 'project-member', subject: { kind: 'User', name: 'u-1' } },
        { projectId: 'p-one', roleTemplateId: 'project-member', subject: { kind: 'Group', name: 'g-dev' } },
      ],
      namespaces: [
        { name: 'ns1', projectId: 'p-one' },
        { name: 'ns2', projectId: 'p-one' },
        { name: 'ns3', projectId: 'p-one' },
      ],
    },
    {
      // the role changed for everyone, a namespace left the project
      clusterId: 'c-abcde',
      templates,
      clusterBindings: [],
      projectBindings: [{ projectId: 'p-one', roleTemplateId: 'rt-viewer', subject: { kind: 'User', name: 'u-1' } }],
      namespaces: [{ name: 'ns1', projectId: 'p-one' }, { name: 'ns2' }],
    },
    { clusterId: 'c-abcde', templates, clusterBindings: [], projectBindings: [], namespaces: [] },
  ];

  test('applying each plan reaches the desired state, after which the plan is empty', () => {
    const cluster = new Map<string, KubeObject>();
    const rv = { n: 0 };
    for (const state of states) {
      const desired = [
        ...desiredRbac(state),
        ...desiredQuotaObjects({
          clusterId: state.clusterId,
          namespaces: state.namespaces,
          projects: new Map([
            ['p-one', { namespaceDefaultLimit: { pods: '10' }, containerDefaultLimit: { limitsCpu: '1' } }],
          ]),
        }),
      ];
      const plan = planChanges(desired, [...cluster.values()]);
      expect(isNoop(plan)).toBe(false);
      apply(cluster, plan, rv);
      expect(isNoop(planChanges(desired, [...cluster.values()]))).toBe(true);
      expect([...cluster.keys()].length).toBe(desired.length);
    }
    expect(cluster.size).toBe(0);
  });
});
