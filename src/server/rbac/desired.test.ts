import { describe, expect, test } from 'vitest';
import { ruleAllows, type PolicyRule, type ResourceAttributes } from '../authz/policy-rule.js';
import {
  desiredRbac,
  MANAGED_LABEL,
  normalizeRule,
  restrictNamespaceRule,
  templateClosure,
  type ClusterBinding,
  type KubeObject,
  type NamespaceInfo,
  type ProjectBinding,
  type RbacInputs,
  type Subject,
  type TemplateInfo,
} from './desired.js';

// ---- fixtures -------------------------------------------------------------------------------------

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});

function tpl(
  id: string,
  rules: PolicyRule[],
  opts: { external?: boolean; inherits?: string[]; context?: 'cluster' | 'project' } = {},
): TemplateInfo {
  return {
    id,
    context: opts.context ?? 'project',
    external: opts.external ?? false,
    rules,
    roleTemplateIds: opts.inherits ?? [],
  };
}

const CLUSTER_OWNER_RULES = [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }];
const MEMBER_RULES = [
  rule(['project.cattle.io'], ['apps'], ['*']),
  rule([''], ['namespaces'], ['create']),
  rule([''], ['persistentvolumeclaims'], ['*']),
];
const OWNER_RULES = [rule(['management.cattle.io'], ['projectroletemplatebindings'], ['*'])];
const READ_ONLY_RULES = [rule(['project.cattle.io'], ['apps'], ['get', 'list', 'watch'])];

const BASE_TEMPLATES: TemplateInfo[] = [
  tpl('cluster-admin', [], { external: true, context: 'cluster' }),
  tpl('admin', [], { external: true }),
  tpl('edit', [], { external: true }),
  tpl('view', [], { external: true }),
  tpl('cluster-owner', CLUSTER_OWNER_RULES, { context: 'cluster' }),
  tpl('cluster-member', [rule([''], ['nodes'], ['get', 'list'])], { context: 'cluster' }),
  tpl('project-owner', OWNER_RULES, { inherits: ['admin'] }),
  tpl('project-member', MEMBER_RULES, { inherits: ['edit'] }),
  tpl('read-only', READ_ONLY_RULES, { inherits: ['view'] }),
];

function templates(...extra: TemplateInfo[]): Map<string, TemplateInfo> {
  return new Map([...BASE_TEMPLATES, ...extra].map((t) => [t.id, t]));
}

const user = (name: string): Subject => ({ kind: 'User', name });
const group = (name: string): Subject => ({ kind: 'Group', name });
const pb = (projectId: string, roleTemplateId: string, subject: Subject): ProjectBinding => ({
  projectId,
  roleTemplateId,
  subject,
});
const cb = (roleTemplateId: string, subject: Subject): ClusterBinding => ({ roleTemplateId, subject });

function inputs(partial: Partial<RbacInputs>): RbacInputs {
  return {
    clusterId: 'c-abcde',
    templates: templates(),
    clusterBindings: [],
    projectBindings: [],
    namespaces: [],
    ...partial,
  };
}

function find(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
}

function get(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const o = find(objects, kind, name, namespace);
  if (!o) throw new Error(`no ${kind} ${name}${namespace ? ` in ${namespace}` : ''}`);
  return o;
}

const subjectNames = (o: KubeObject) => (o.subjects ?? []).map((s) => `${s.kind}:${s.name}`);
const ids = (objects: KubeObject[]) =>
  objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);

/**
 * A small model of Kubernetes' RBAC authorizer over the objects desiredRbac writes: ClusterRoleBindings
 * grant everywhere, RoleBindings in their namespace only; `externalRoles` stands in for Kubernetes' own
 * ClusterRoles (admin, edit, view), which Corral does not write.
 */
function allowed(
  objects: KubeObject[],
  externalRoles: Record<string, PolicyRule[]>,
  subject: Subject,
  attrs: ResourceAttributes,
  namespace?: string,
): boolean {
  const roleRules = (name: string) =>
    find(objects, 'ClusterRole', name)?.rules ?? externalRoles[name] ?? ([] as PolicyRule[]);
  return objects.some(
    (b) =>
      (b.kind === 'ClusterRoleBinding' || (b.kind === 'RoleBinding' && b.metadata.namespace === namespace)) &&
      (b.subjects ?? []).some((s) => s.kind === subject.kind && s.name === subject.name) &&
      roleRules(b.roleRef!.name).some((r) => ruleAllows(r, attrs)),
  );
}

const EXTERNAL_ROLES: Record<string, PolicyRule[]> = {
  edit: [rule([''], ['pods', 'services'], ['*']), rule(['apps'], ['deployments'], ['*'])],
  view: [rule([''], ['pods', 'services'], ['get', 'list', 'watch'])],
  admin: [rule([''], ['pods', 'services'], ['*']), rule(['rbac.authorization.k8s.io'], ['rolebindings'], ['*'])],
};

// ---- closure --------------------------------------------------------------------------------------

describe('templateClosure', () => {
  const closureIds = (map: Map<string, TemplateInfo>, id: string) => templateClosure(map, id).map((t) => t.id);

  test.each([
    ['a template without inheritance is its own closure', 'edit', ['edit']],
    ['one level of inheritance', 'project-member', ['project-member', 'edit']],
    ['an unknown root is empty', 'rt-gone', []],
  ])('%s', (_name, id, expected) => {
    expect(closureIds(templates(), id)).toEqual(expected);
  });

  test('expands recursively, depth first in listed order, each template once', () => {
    const map = templates(
      tpl('rt-top', [], { inherits: ['rt-left', 'rt-right', 'rt-missing'] }),
      tpl('rt-left', [], { inherits: ['rt-base', 'view'] }),
      tpl('rt-right', [], { inherits: ['rt-base'] }),
      tpl('rt-base', [], { inherits: ['edit'] }),
    );
    expect(closureIds(map, 'rt-top')).toEqual(['rt-top', 'rt-left', 'rt-base', 'edit', 'view', 'rt-right']);
  });

  test('a cycle terminates and still yields every template once', () => {
    const map = templates(
      tpl('rt-a', [], { inherits: ['rt-b'] }),
      tpl('rt-b', [], { inherits: ['rt-c', 'rt-a'] }),
      tpl('rt-c', [], { inherits: ['rt-a', 'rt-c', 'view'] }),
      tpl('rt-self', [], { inherits: ['rt-self'] }),
    );
    expect(closureIds(map, 'rt-a')).toEqual(['rt-a', 'rt-b', 'rt-c', 'view']);
    expect(closureIds(map, 'rt-c')).toEqual(['rt-c', 'rt-a', 'rt-b', 'view']);
    expect(closureIds(map, 'rt-self')).toEqual(['rt-self']);
  });

  test('a cycle through bindings produces each binding once', () => {
    const map = templates(
      tpl('rt-a', [rule([''], ['pods'], ['get'])], { inherits: ['rt-b'] }),
      tpl('rt-b', [rule([''], ['services'], ['get'])], { inherits: ['rt-a'] }),
    );
    const out = desiredRbac(
      inputs({
        templates: map,
        projectBindings: [pb('p-one', 'rt-a', user('u-1'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(ids(out.filter((o) => o.kind === 'RoleBinding'))).toEqual([
      'RoleBinding ns1/corral-prtb-rt-a',
      'RoleBinding ns1/corral-prtb-rt-b',
    ]);
    expect(get(out, 'ClusterRole', 'rt-a').rules).toEqual([rule([''], ['pods'], ['get'])]);
    expect(get(out, 'ClusterRole', 'rt-b').rules).toEqual([rule([''], ['services'], ['get'])]);
  });
});

// ---- ClusterRoles -----------------------------------------------------------------------------------

describe('ClusterRoles for templates', () => {
  test('external templates are referenced, never created; inherited templates are bound separately', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'project-owner', user('u-1'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(find(out, 'ClusterRole', 'admin')).toBeUndefined();
    // Rules are the template's own, not flattened with the inherited admin.
    expect(get(out, 'ClusterRole', 'project-owner').rules).toEqual(OWNER_RULES);
    expect(get(out, 'RoleBinding', 'corral-prtb-admin', 'ns1').roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'admin',
    });
    expect(get(out, 'RoleBinding', 'corral-prtb-project-owner', 'ns1').roleRef?.name).toBe('project-owner');
    expect(
      out.filter((o) => o.kind === 'ClusterRole' && !o.metadata.name.startsWith('corral-')).map((o) => o.metadata.name),
    ).toEqual(['project-owner']);
  });

  test('an external template is never created, even when it lists rules (they describe the role)', () => {
    const map = templates(
      tpl('monitoring-view', [rule(['monitoring.coreos.com'], ['prometheuses'], ['get'])], { external: true }),
    );
    const out = desiredRbac(
      inputs({
        templates: map,
        clusterBindings: [cb('monitoring-view', user('u-1'))],
        projectBindings: [pb('p-one', 'monitoring-view', user('u-2'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(find(out, 'ClusterRole', 'monitoring-view')).toBeUndefined();
    expect(get(out, 'ClusterRoleBinding', 'corral-crtb-monitoring-view').roleRef?.name).toBe('monitoring-view');
    expect(get(out, 'RoleBinding', 'corral-prtb-monitoring-view', 'ns1').roleRef?.name).toBe('monitoring-view');
  });

  test('only templates that some binding uses get a ClusterRole, including ones only inherited', () => {
    const map = templates(
      tpl('rt-parent', [rule([''], ['pods'], ['get'])], { inherits: ['rt-child'] }),
      tpl('rt-child', [rule([''], ['secrets'], ['get'])]),
      tpl('rt-unused', [rule([''], ['pods'], ['*'])]),
    );
    const out = desiredRbac(inputs({ templates: map, clusterBindings: [cb('rt-parent', user('u-1'))] }));
    expect(ids(out)).toEqual([
      'ClusterRole rt-child',
      'ClusterRole rt-parent',
      'ClusterRoleBinding corral-crtb-rt-child',
      'ClusterRoleBinding corral-crtb-rt-parent',
    ]);
  });

  test('rules are normalized: empty lists dropped, rules without verbs dropped, order kept', () => {
    const map = templates(
      tpl('rt-messy', [
        { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [], nonResourceURLs: [] },
        { verbs: [], apiGroups: [''], resources: ['secrets'] },
        { verbs: ['get'], nonResourceURLs: ['/healthz'], apiGroups: [], resources: [] },
        { verbs: ['list'], apiGroups: ['apps'], resources: ['deployments'] },
      ]),
    );
    const out = desiredRbac(inputs({ templates: map, clusterBindings: [cb('rt-messy', user('u-1'))] }));
    expect(get(out, 'ClusterRole', 'rt-messy').rules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      { verbs: ['list'], apiGroups: ['apps'], resources: ['deployments'] },
    ]);
  });

  test('a template without rules of its own gets no ClusterRole and no binding; what it inherits is bound', () => {
    const map = templates(
      tpl('rt-alias', [], { inherits: ['view'] }),
      tpl('rt-void', [{ verbs: [], apiGroups: [''], resources: ['pods'] }]),
    );
    const out = desiredRbac(
      inputs({
        templates: map,
        clusterBindings: [cb('rt-alias', user('u-1')), cb('rt-void', user('u-2'))],
      }),
    );
    expect(ids(out)).toEqual(['ClusterRoleBinding corral-crtb-view']);
    expect(subjectNames(out[0]!)).toEqual(['User:u-1']);
  });

  test('the output does not alias the templates', () => {
    const map = templates();
    const out = desiredRbac(inputs({ templates: map, clusterBindings: [cb('cluster-owner', user('u-1'))] }));
    get(out, 'ClusterRole', 'cluster-owner').rules![0]!.verbs.push('mutated');
    expect(map.get('cluster-owner')!.rules[0]!.verbs).toEqual(['*']);
  });

  test('normalizeRule', () => {
    expect(normalizeRule({ verbs: [] })).toBeUndefined();
    expect(normalizeRule({ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [] })).toEqual({
      verbs: ['get'],
      apiGroups: [''],
      resources: ['pods'],
    });
  });
});

// ---- cluster bindings -------------------------------------------------------------------------------

describe('cluster bindings', () => {
  test('one ClusterRoleBinding per template in the closure, subjects merged, deduplicated and sorted', () => {
    const out = desiredRbac(
      inputs({
        templates: templates(
          tpl('rt-viewer', [rule([''], ['nodes'], ['get'])], { inherits: ['view'], context: 'cluster' }),
        ),
        clusterBindings: [
          cb('cluster-member', user('u-zed')),
          cb('cluster-member', group('local://g-team')),
          cb('cluster-member', user('u-amy')),
          cb('cluster-member', user('u-zed')),
          cb('rt-viewer', user('u-amy')),
          cb('cluster-admin', user('u-root')),
        ],
      }),
    );
    expect(ids(out)).toEqual([
      'ClusterRole cluster-member',
      'ClusterRole rt-viewer',
      'ClusterRoleBinding corral-crtb-cluster-admin',
      'ClusterRoleBinding corral-crtb-cluster-member',
      'ClusterRoleBinding corral-crtb-rt-viewer',
      'ClusterRoleBinding corral-crtb-view',
    ]);
    const member = get(out, 'ClusterRoleBinding', 'corral-crtb-cluster-member');
    expect(member.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'local://g-team' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'u-amy' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'u-zed' },
    ]);
    expect(member.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'cluster-member',
    });
    expect(get(out, 'ClusterRoleBinding', 'corral-crtb-cluster-admin').roleRef?.name).toBe('cluster-admin');
    expect(find(out, 'ClusterRole', 'cluster-admin')).toBeUndefined();
    expect(subjectNames(get(out, 'ClusterRoleBinding', 'corral-crtb-view'))).toEqual(['User:u-amy']);
  });

  test('a user and a group with the same name are different subjects', () => {
    const out = desiredRbac(inputs({ clusterBindings: [cb('view', user('same')), cb('view', group('same'))] }));
    expect(subjectNames(out[0]!)).toEqual(['Group:same', 'User:same']);
  });

  test('cluster-wide namespace rules create no project-scoped objects', () => {
    const out = desiredRbac(
      inputs({
        clusterBindings: [cb('cluster-owner', user('u-1'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(ids(out)).toEqual(['ClusterRole cluster-owner', 'ClusterRoleBinding corral-crtb-cluster-owner']);
  });

  test('a binding to an unknown template is skipped', () => {
    expect(desiredRbac(inputs({ clusterBindings: [cb('rt-deleted', user('u-1'))] }))).toEqual([]);
  });
});

// ---- project bindings -------------------------------------------------------------------------------

describe('project bindings', () => {
  const twoNamespaces: NamespaceInfo[] = [
    { name: 'web', projectId: 'p-one' },
    { name: 'api', projectId: 'p-one' },
  ];

  test('one RoleBinding per namespace × template, every subject holding the template merged into it', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [
          pb('p-one', 'project-member', user('u-2')),
          pb('p-one', 'project-member', user('u-1')),
          pb('p-one', 'project-member', user('u-1')), // the same member bound twice
          pb('p-one', 'read-only', group('local://g-audit')),
          pb('p-one', 'project-owner', user('u-1')),
        ],
        namespaces: twoNamespaces,
      }),
    );
    const roleBindings = out.filter((o) => o.kind === 'RoleBinding');
    expect(ids(roleBindings)).toEqual(
      ['api', 'web'].flatMap((ns) =>
        ['admin', 'edit', 'project-member', 'project-owner', 'read-only', 'view'].map(
          (t) => `RoleBinding ${ns}/corral-prtb-${t}`,
        ),
      ),
    );
    for (const ns of ['api', 'web']) {
      expect(subjectNames(get(out, 'RoleBinding', 'corral-prtb-project-member', ns))).toEqual(['User:u-1', 'User:u-2']);
      expect(subjectNames(get(out, 'RoleBinding', 'corral-prtb-edit', ns))).toEqual(['User:u-1', 'User:u-2']);
      expect(subjectNames(get(out, 'RoleBinding', 'corral-prtb-admin', ns))).toEqual(['User:u-1']);
      expect(subjectNames(get(out, 'RoleBinding', 'corral-prtb-view', ns))).toEqual(['Group:local://g-audit']);
      expect(get(out, 'RoleBinding', 'corral-prtb-view', ns).roleRef?.name).toBe('view');
    }
    expect(subjectNames(get(out, 'ClusterRoleBinding', 'corral-p-p-one-member'))).toEqual([
      'Group:local://g-audit',
      'User:u-1',
      'User:u-2',
    ]);
  });

  test('two projects are isolated from each other', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'project-member', user('u-a')), pb('p-two', 'project-member', user('u-b'))],
        namespaces: [
          { name: 'a1', projectId: 'p-one' },
          { name: 'a2', projectId: 'p-one' },
          { name: 'b1', projectId: 'p-two' },
        ],
      }),
    );
    // Structurally: every object of project p-two names only u-b, and only p-two's namespace.
    for (const o of out.filter((o) => o.metadata.labels?.['corral.io/project'] === 'p-two')) {
      expect(o.metadata.namespace ?? 'b1').toBe('b1');
      if (o.subjects) expect(subjectNames(o)).toEqual(['User:u-b']);
      for (const r of o.rules ?? []) expect(r.resourceNames).toEqual(['b1']);
    }
    expect(get(out, 'ClusterRole', 'corral-p-p-one-member').rules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['a1', 'a2'] },
    ]);

    // And by what Kubernetes would decide.
    const pods = (verb: string): ResourceAttributes => ({ apiGroup: '', resource: 'pods', verb });
    const ns = (name: string): ResourceAttributes => ({ apiGroup: '', resource: 'namespaces', verb: 'get', name });
    const can = (who: string, attrs: ResourceAttributes, namespace?: string) =>
      allowed(out, EXTERNAL_ROLES, user(who), attrs, namespace);
    expect(can('u-a', pods('create'), 'a1')).toBe(true);
    expect(can('u-a', pods('create'), 'a2')).toBe(true);
    expect(can('u-a', pods('create'), 'b1')).toBe(false);
    expect(can('u-b', pods('create'), 'b1')).toBe(true);
    expect(can('u-b', pods('get'), 'a1')).toBe(false);
    expect(can('u-a', ns('a1'))).toBe(true);
    expect(can('u-a', ns('b1'))).toBe(false);
    expect(can('u-b', ns('b1'))).toBe(true);
    expect(can('u-b', ns('a2'))).toBe(false);
    expect(can('u-b', ns('kube-system'))).toBe(false);
    expect(can('u-a', { apiGroup: '', resource: 'namespaces', verb: 'list' })).toBe(false);
  });

  test('a namespace in no project, or in a project without bindings, gets nothing', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'project-member', user('u-1'))],
        namespaces: [
          { name: 'in-project', projectId: 'p-one' },
          { name: 'loose' },
          { name: 'unbound', projectId: 'p-empty' },
        ],
      }),
    );
    const mentions = (ns: string) =>
      out.filter((o) => o.metadata.namespace === ns || (o.rules ?? []).some((r) => r.resourceNames?.includes(ns)));
    expect(mentions('in-project').length).toBeGreaterThan(0);
    expect(mentions('loose')).toEqual([]);
    expect(mentions('unbound')).toEqual([]);
    expect(out.filter((o) => o.metadata.name.includes('p-empty'))).toEqual([]);
  });

  test('a namespace listed twice is bound once', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'read-only', user('u-1'))],
        namespaces: [
          { name: 'ns1', projectId: 'p-one' },
          { name: 'ns1', projectId: 'p-one' },
        ],
      }),
    );
    expect(out.filter((o) => o.kind === 'RoleBinding')).toHaveLength(2);
    expect(get(out, 'ClusterRole', 'corral-p-p-one-member').rules![0]!.resourceNames).toEqual(['ns1']);
  });

  test('a project with bindings but no namespaces gets only the template ClusterRoles', () => {
    const out = desiredRbac(inputs({ projectBindings: [pb('p-one', 'project-member', user('u-1'))] }));
    expect(ids(out)).toEqual(['ClusterRole project-member']);
  });

  test('a binding to an unknown template grants nothing, not even membership', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'rt-deleted', user('u-ghost')), pb('p-one', 'read-only', user('u-1'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(out.flatMap(subjectNames)).not.toContain('User:u-ghost');
    expect(subjectNames(get(out, 'ClusterRoleBinding', 'corral-p-p-one-member'))).toEqual(['User:u-1']);
  });

  test('a project with only an unknown template gets nothing at all', () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [pb('p-one', 'rt-deleted', user('u-1'))],
        namespaces: [{ name: 'ns1', projectId: 'p-one' }],
      }),
    );
    expect(out).toEqual([]);
  });
});

// ---- namespace rules ----------------------------------------------------------------------------------

describe('namespace rules of project roles', () => {
  test("a template's namespace rules become a ClusterRole restricted to the project's namespaces", () => {
    const out = desiredRbac(
      inputs({
        projectBindings: [
          pb('p-one', 'project-member', user('u-2')),
          pb('p-one', 'project-member', user('u-1')),
          pb('p-one', 'read-only', user('u-3')),
        ],
        namespaces: [
          { name: 'zeta', projectId: 'p-one' },
          { name: 'alpha', projectId: 'p-one' },
          { name: 'other', projectId: 'p-two' },
        ],
      }),
    );
    const role = get(out, 'ClusterRole', 'corral-p-p-one-project-member');
    expect(role.rules).toEqual([
      { verbs: ['create'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['alpha', 'zeta'] },
    ]);
    const roleBinding = get(out, 'ClusterRoleBinding', 'corral-p-p-one-project-member');
    expect(roleBinding.roleRef?.name).toBe('corral-p-p-one-project-member');
    expect(subjectNames(roleBinding)).toEqual(['User:u-1', 'User:u-2']);
    // read-only has no namespace rule: no such role for it
    expect(find(out, 'ClusterRole', 'corral-p-p-one-read-only')).toBeUndefined();
    expect(find(out, 'ClusterRoleBinding', 'corral-p-p-one-read-only')).toBeUndefined();
    // every member may get each of the project's namespaces
    expect(get(out, 'ClusterRole', 'corral-p-p-one-member').rules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['alpha', 'zeta'] },
    ]);
    expect(subjectNames(get(out, 'ClusterRoleBinding', 'corral-p-p-one-member'))).toEqual([
      'User:u-1',
      'User:u-2',
      'User:u-3',
    ]);
  });

  const NAMES = ['a1', 'a2'];
  test.each<[string, PolicyRule, PolicyRule | undefined]>([
    [
      'core namespaces',
      rule([''], ['namespaces'], ['get', 'update']),
      { verbs: ['get', 'update'], apiGroups: [''], resources: ['namespaces'], resourceNames: NAMES },
    ],
    [
      'everything in every group narrows to namespaces',
      rule(['*'], ['*'], ['*']),
      { verbs: ['*'], apiGroups: [''], resources: ['namespaces'], resourceNames: NAMES },
    ],
    [
      'other resources in the same rule are not granted cluster-wide',
      rule(['', 'apps'], ['pods', 'namespaces', 'deployments'], ['get']),
      { verbs: ['get'], apiGroups: [''], resources: ['namespaces'], resourceNames: NAMES },
    ],
    [
      'namespace subresources listed with namespaces are kept',
      rule([''], ['namespaces', 'namespaces/status'], ['get']),
      { verbs: ['get'], apiGroups: [''], resources: ['namespaces', 'namespaces/status'], resourceNames: NAMES },
    ],
    [
      "a rule's own resourceNames are intersected",
      rule([''], ['namespaces'], ['delete'], ['a2', 'elsewhere']),
      { verbs: ['delete'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['a2'] },
    ],
    ['names outside the project only: nothing', rule([''], ['namespaces'], ['delete'], ['elsewhere']), undefined],
    ['namespaces of another API group: nothing', rule(['example.io'], ['namespaces'], ['get']), undefined],
    ['other core resources: nothing', rule([''], ['pods'], ['get']), undefined],
    ['no verbs: nothing', rule([''], ['namespaces'], []), undefined],
    ['non-resource URLs: nothing', { verbs: ['get'], nonResourceURLs: ['*'] }, undefined],
  ])('restrictNamespaceRule: %s', (_name, input, expected) => {
    expect(restrictNamespaceRule(input, NAMES)).toEqual(expected);
  });

  test('a template with several namespace rules keeps each, in order', () => {
    const map = templates(
      tpl('rt-ns-admin', [
        rule([''], ['namespaces'], ['get', 'list', 'watch']),
        rule([''], ['pods'], ['*']),
        rule(['*'], ['*'], ['update'], ['ns1', 'not-mine']),
      ]),
    );
    const out = desiredRbac(
      inputs({
        templates: map,
        projectBindings: [pb('p-one', 'rt-ns-admin', group('g'))],
        namespaces: [
          { name: 'ns2', projectId: 'p-one' },
          { name: 'ns1', projectId: 'p-one' },
        ],
      }),
    );
    expect(get(out, 'ClusterRole', 'corral-p-p-one-rt-ns-admin').rules).toEqual([
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['ns1', 'ns2'] },
      { verbs: ['update'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['ns1'] },
    ]);
    // The template's own ClusterRole keeps its rules unrestricted; RoleBindings only grant them per namespace.
    expect(get(out, 'ClusterRole', 'rt-ns-admin').rules).toEqual(map.get('rt-ns-admin')!.rules);
  });
});

// ---- labels, names, determinism ---------------------------------------------------------------------

describe('labels, names and determinism', () => {
  const setup = inputs({
    clusterBindings: [cb('cluster-member', user('u-9')), cb('cluster-owner', group('g-ops'))],
    projectBindings: [
      pb('p-one', 'project-owner', user('u-1')),
      pb('p-one', 'project-member', user('u-2')),
      pb('p-two', 'read-only', group('g-audit')),
      pb('p-two', 'project-member', user('u-2')),
    ],
    namespaces: [
      { name: 'n3', projectId: 'p-two' },
      { name: 'n1', projectId: 'p-one' },
      { name: 'n2', projectId: 'p-one' },
      { name: 'free' },
    ],
  });

  test('every object is labelled managed and with its cluster, and project objects with their project', () => {
    const out = desiredRbac(setup);
    for (const o of out) {
      const labels = o.metadata.labels ?? {};
      expect(labels[MANAGED_LABEL]).toBe('true');
      expect(labels['corral.io/cluster']).toBe('c-abcde');
      const projectScoped = o.kind === 'RoleBinding' || o.metadata.name.startsWith('corral-p-');
      if (projectScoped) {
        const expected =
          o.metadata.namespace === 'n3' || o.metadata.name.startsWith('corral-p-p-two') ? 'p-two' : 'p-one';
        expect(labels['corral.io/project']).toBe(expected);
      } else {
        expect(labels).not.toHaveProperty('corral.io/project');
      }
    }
  });

  test('output is sorted by kind, namespace and name, and does not depend on input order', () => {
    const out = desiredRbac(setup);
    const keys = out.map((o) => [o.kind, o.metadata.namespace ?? '', o.metadata.name].join('\u0000'));
    expect(keys).toEqual([...keys].sort());
    const shuffled: RbacInputs = {
      ...setup,
      templates: new Map([...setup.templates.entries()].reverse()),
      clusterBindings: [...setup.clusterBindings].reverse(),
      projectBindings: [...setup.projectBindings].reverse(),
      namespaces: [...setup.namespaces].reverse(),
    };
    expect(JSON.stringify(desiredRbac(shuffled))).toBe(JSON.stringify(out));
  });

  test('objects do not share label maps (a caller may edit one safely)', () => {
    const out = desiredRbac(setup);
    out[0]!.metadata.labels!.extra = 'x';
    expect(out.filter((o) => o.metadata.labels?.extra === 'x')).toHaveLength(1);
  });

  test('a template id that is not a valid Kubernetes name is refused', () => {
    const map = templates(tpl('Bad_Name', [rule([''], ['pods'], ['get'])]));
    expect(() => desiredRbac(inputs({ templates: map, clusterBindings: [cb('Bad_Name', user('u-1'))] }))).toThrow(
      /role template id "Bad_Name" is not a valid Kubernetes object name/,
    );
  });

  test('a cluster id that cannot be a label value is refused', () => {
    expect(() => desiredRbac(inputs({ clusterId: 'c/x', clusterBindings: [cb('view', user('u-1'))] }))).toThrow(
      /label value/,
    );
  });

  test('two objects with one name are refused rather than one silently replacing the other', () => {
    // A template called "member" with a namespace rule would collide with the project's member role.
    const map = templates(tpl('member', [rule([''], ['namespaces'], ['get'])]));
    expect(() =>
      desiredRbac(
        inputs({
          templates: map,
          projectBindings: [pb('p-one', 'member', user('u-1'))],
          namespaces: [{ name: 'ns1', projectId: 'p-one' }],
        }),
      ),
    ).toThrow(/two desired objects are both ClusterRole corral-p-p-one-member/);
  });
});

// ---- object count -------------------------------------------------------------------------------------

describe('object count against Rancher', () => {
  function realistic(projects: number, namespacesPerProject: number, usersPerProject: number): RbacInputs {
    const namespaces: NamespaceInfo[] = [];
    const projectBindings: ProjectBinding[] = [];
    for (let p = 0; p < projects; p++) {
      const projectId = `p-${p}`;
      for (let n = 0; n < namespacesPerProject; n++) namespaces.push({ name: `ns-${p}-${n}`, projectId });
      for (let u = 0; u < usersPerProject; u++)
        projectBindings.push(pb(projectId, 'project-member', user(`u-${p}-${u}`)));
    }
    return inputs({ projectBindings, namespaces });
  }

  test('3 projects × 4 namespaces × 5 project members', () => {
    const out = desiredRbac(realistic(3, 4, 5));
    const byKind = (kind: string) => out.filter((o) => o.kind === kind).length;
    // ClusterRoles: project-member (edit is Kubernetes' own), and per project its namespace-create role and
    // its member role. ClusterRoleBindings: the latter two per project. RoleBindings: 12 namespaces × 2
    // templates (project-member, edit), each listing the project's 5 users.
    expect(byKind('ClusterRole')).toBe(1 + 3 * 2);
    expect(byKind('ClusterRoleBinding')).toBe(3 * 2);
    expect(byKind('RoleBinding')).toBe(12 * 2);
    expect(out).toHaveLength(37);
    for (const rb of out.filter((o) => o.kind === 'RoleBinding')) expect(rb.subjects).toHaveLength(5);
    // Rancher: one RoleBinding per namespace × role (the template and the inherited edit) × subject.
    const rancherRoleBindings = 12 * 2 * 5;
    expect(rancherRoleBindings).toBe(120);
    expect(out.length).toBeLessThan(rancherRoleBindings);
  });

  // With one project role whose closure has c templates (r of them non-external with rules, k with
  // namespace rules): r + P·N·c + 2·P·(k + 1) objects, whatever the number of users U. Rancher: P·N·c·U
  // RoleBindings alone. Here c = 2 (project-member, edit), r = 1, k = 1.
  test.each([
    [1, 1, 1],
    [3, 4, 5],
    [3, 4, 50],
    [10, 10, 100],
  ])('%i projects × %i namespaces × %i users: r + P·N·c + 2P(k+1)', (p, n, u) => {
    const out = desiredRbac(realistic(p, n, u));
    expect(out).toHaveLength(1 + p * n * 2 + 2 * p * 2);
  });
});
