import { describe, expect, test } from 'vitest';
import {
  BUILTIN_GLOBAL_ROLES,
  BUILTIN_ROLE_TEMPLATES,
  builtinGlobalRole,
  builtinRoleTemplate,
} from './builtin-roles.js';
import { coveringRules, rulesAllow, type PolicyRule, type ResourceAttributes } from './policy-rule.js';
import { effectiveRoleTemplateRules } from './roles.js';

const MGMT = 'management.cattle.io';

function globalRules(id: string): PolicyRule[] {
  const role = builtinGlobalRole(id);
  if (!role) throw new Error(`no global role ${id}`);
  return role.rules;
}

const mgmt = (resource: string, verb: string, name?: string): ResourceAttributes => ({
  apiGroup: MGMT,
  resource,
  verb,
  ...(name ? { name } : {}),
});

describe('built-in global roles', () => {
  test('has the Rancher 2.x set of ids, each once', () => {
    const ids = BUILTIN_GLOBAL_ROLES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(
      [
        'admin',
        'authn-manage',
        'catalogs-manage',
        'catalogs-use',
        'clusters-create',
        'clustertemplaterevisions-create',
        'clustertemplates-create',
        'features-manage',
        'kontainerdrivers-manage',
        'nodedrivers-manage',
        'podsecuritypolicytemplates-manage',
        'restricted-admin',
        'roles-manage',
        'settings-manage',
        'user',
        'user-base',
        'users-manage',
        'view-rancher-metrics',
      ].sort(),
    );
  });

  test('all are builtin, named, and only `user` is a new-user default', () => {
    for (const role of BUILTIN_GLOBAL_ROLES) {
      expect(role.builtin).toBe(true);
      expect(role.displayName).not.toBe('');
      expect(role.description).not.toBe('');
      expect(role.rules.length).toBeGreaterThan(0);
    }
    expect(BUILTIN_GLOBAL_ROLES.filter((r) => r.newUserDefault).map((r) => r.id)).toEqual(['user']);
  });

  test('every rule has verbs and is either a resource rule or a non-resource rule', () => {
    for (const role of BUILTIN_GLOBAL_ROLES) {
      for (const rule of role.rules) {
        expect(rule.verbs.length, role.id).toBeGreaterThan(0);
        const resource = (rule.resources?.length ?? 0) > 0 && (rule.apiGroups?.length ?? 0) > 0;
        const nonResource = (rule.nonResourceURLs?.length ?? 0) > 0;
        expect(resource !== nonResource, `${role.id}: ${JSON.stringify(rule)}`).toBe(true);
      }
    }
  });

  test('admin may do anything, including non-resource URLs', () => {
    const admin = globalRules('admin');
    expect(rulesAllow(admin, { apiGroup: 'x.example.com', resource: 'anything', verb: 'escalate' })).toBe(true);
    expect(rulesAllow(admin, { path: '/metrics', verb: 'get' })).toBe(true);
    // Admin holds everything, so it may grant any built-in role.
    for (const role of BUILTIN_GLOBAL_ROLES) expect(coveringRules(admin, role.rules).covered, role.id).toBe(true);
  });

  test('users-manage manages users and global role bindings, and only reads global roles', () => {
    const rules = globalRules('users-manage');
    for (const verb of ['create', 'update', 'delete', 'list']) {
      expect(rulesAllow(rules, mgmt('users', verb, verb === 'list' ? undefined : 'u-abc'))).toBe(true);
      expect(rulesAllow(rules, mgmt('globalrolebindings', verb, verb === 'list' ? undefined : 'grb-1'))).toBe(true);
    }
    expect(rulesAllow(rules, mgmt('globalroles', 'get', 'admin'))).toBe(true);
    expect(rulesAllow(rules, mgmt('globalroles', 'update', 'admin'))).toBe(false);
    expect(rulesAllow(rules, mgmt('settings', 'update', 'server-url'))).toBe(false);
  });

  test('roles-manage manages role templates (as in Rancher, not global roles)', () => {
    const rules = globalRules('roles-manage');
    for (const verb of ['create', 'update', 'patch', 'delete', 'get', 'list', 'watch']) {
      expect(rulesAllow(rules, mgmt('roletemplates', verb, 'custom'))).toBe(true);
    }
    // Rancher lists the verbs rather than `*`, which leaves out escalate and bind.
    expect(rulesAllow(rules, mgmt('roletemplates', 'escalate', 'custom'))).toBe(false);
    expect(rulesAllow(rules, mgmt('globalroles', 'create'))).toBe(false);
  });

  test('settings-manage manages settings only', () => {
    const rules = globalRules('settings-manage');
    expect(rulesAllow(rules, mgmt('settings', 'update', 'server-url'))).toBe(true);
    expect(rulesAllow(rules, mgmt('users', 'get', 'u-1'))).toBe(false);
  });

  test('user-base reads settings and owns preferences, and little else', () => {
    const rules = globalRules('user-base');
    expect(rulesAllow(rules, mgmt('settings', 'list'))).toBe(true);
    expect(rulesAllow(rules, mgmt('settings', 'update', 'server-url'))).toBe(false);
    expect(rulesAllow(rules, mgmt('preferences', 'create'))).toBe(true);
    expect(rulesAllow(rules, mgmt('clusters', 'create'))).toBe(false);
    expect(rulesAllow(rules, mgmt('users', 'list'))).toBe(false);
    expect(rulesAllow(rules, mgmt('tokens', 'list'))).toBe(false);
  });

  test('user can create clusters, search principals and read role templates, but not manage users', () => {
    const rules = globalRules('user');
    expect(rulesAllow(rules, mgmt('clusters', 'create'))).toBe(true);
    expect(rulesAllow(rules, mgmt('principals', 'list'))).toBe(true);
    expect(rulesAllow(rules, mgmt('roletemplates', 'list'))).toBe(true);
    expect(rulesAllow(rules, mgmt('clusters', 'delete', 'c-1'))).toBe(false);
    expect(rulesAllow(rules, mgmt('users', 'create'))).toBe(false);
    expect(rulesAllow(rules, mgmt('globalrolebindings', 'create'))).toBe(false);
    // user holds everything user-base holds, so a user may be narrowed to user-base by a user manager.
    expect(coveringRules(rules, globalRules('user-base')).covered).toBe(true);
  });

  test('restricted-admin manages users and global roles but not settings, and is below admin', () => {
    const rules = globalRules('restricted-admin');
    expect(rulesAllow(rules, mgmt('users', 'delete', 'u-1'))).toBe(true);
    expect(rulesAllow(rules, mgmt('globalroles', 'create'))).toBe(true);
    expect(rulesAllow(rules, mgmt('settings', 'update', 'server-url'))).toBe(false);
    expect(rulesAllow(rules, { path: '/metrics', verb: 'get' })).toBe(false);
    expect(coveringRules(rules, globalRules('admin')).covered).toBe(false);
    expect(coveringRules(rules, globalRules('user')).covered).toBe(true);
  });

  test('the data is frozen, so no caller can change what every other caller sees', () => {
    const admin = globalRules('admin');
    expect(() => admin.push({ verbs: ['get'] })).toThrow(TypeError);
    expect(() => admin[0]!.verbs.push('x')).toThrow(TypeError);
  });
});

describe('built-in role templates', () => {
  test('has ids unique, named and consistent', () => {
    const ids = BUILTIN_ROLE_TEMPLATES.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(42);
    for (const t of BUILTIN_ROLE_TEMPLATES) {
      expect(t.name).toBe(t.id);
      expect(t.builtin).toBe(true);
      expect(t.displayName).not.toBe('');
      expect(['cluster', 'project']).toContain(t.context);
    }
  });

  test('has the templates named in Rancher in the right context', () => {
    const context = (id: string) => builtinRoleTemplate(id)?.context;
    for (const id of [
      'cluster-owner',
      'cluster-member',
      'cluster-admin',
      'nodes-manage',
      'nodes-view',
      'projects-create',
      'projects-view',
      'clusterroletemplatebindings-manage',
      'clusterroletemplatebindings-view',
      'clustercatalogs-manage',
      'clustercatalogs-view',
      'backups-manage',
      'storage-manage',
      'navlinks-manage',
    ]) {
      expect(context(id), id).toBe('cluster');
    }
    for (const id of [
      'project-owner',
      'project-member',
      'read-only',
      'admin',
      'edit',
      'view',
      'create-ns',
      'projectroletemplatebindings-manage',
      'projectroletemplatebindings-view',
      'secrets-manage',
      'secrets-view',
      'configmaps-manage',
      'configmaps-view',
      'workloads-manage',
      'workloads-view',
      'ingress-manage',
      'ingress-view',
      'services-manage',
      'services-view',
      'serviceaccounts-manage',
      'serviceaccounts-view',
      'persistentvolumeclaims-manage',
      'persistentvolumeclaims-view',
      'projectcatalogs-manage',
      'projectcatalogs-view',
      'monitoring-ui-view',
      'project-monitoring-readonly',
      'navlinks-view',
    ]) {
      expect(context(id), id).toBe('project');
    }
  });

  test('the Kubernetes roles are external, hidden and without rules of their own', () => {
    for (const id of ['cluster-admin', 'admin', 'edit', 'view']) {
      const t = builtinRoleTemplate(id)!;
      expect(t).toMatchObject({ external: true, hidden: true, rules: [], roleTemplateIds: [] });
    }
    expect(builtinRoleTemplate('cluster-admin')!.administrative).toBe(true);
    expect(BUILTIN_ROLE_TEMPLATES.filter((t) => t.external).map((t) => t.id)).toEqual([
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'monitoring-ui-view',
    ]);
  });

  test('inheritance follows Rancher', () => {
    const inherits = (id: string) => builtinRoleTemplate(id)?.roleTemplateIds;
    expect(inherits('project-owner')).toEqual(['admin']);
    expect(inherits('project-member')).toEqual(['edit']);
    expect(inherits('read-only')).toEqual(['view']);
    expect(inherits('projects-view')).toEqual(['view']);
    expect(inherits('project-monitoring-readonly')).toEqual(['view']);
    const inheriting = BUILTIN_ROLE_TEMPLATES.filter((t) => t.roleTemplateIds.length > 0).map((t) => t.id);
    expect(inheriting.sort()).toEqual(
      ['project-member', 'project-monitoring-readonly', 'project-owner', 'projects-view', 'read-only'].sort(),
    );
  });

  test('every template resolves: no unknown parents, no cycles', () => {
    for (const t of BUILTIN_ROLE_TEMPLATES) {
      expect(() => effectiveRoleTemplateRules(t.id, builtinRoleTemplate), t.id).not.toThrow();
    }
  });

  test('the creator defaults and administrative flags are those of Rancher', () => {
    expect(BUILTIN_ROLE_TEMPLATES.filter((t) => t.clusterCreatorDefault).map((t) => t.id)).toEqual(['cluster-owner']);
    expect(BUILTIN_ROLE_TEMPLATES.filter((t) => t.projectCreatorDefault).map((t) => t.id)).toEqual(['project-owner']);
    expect(BUILTIN_ROLE_TEMPLATES.filter((t) => t.administrative).map((t) => t.id)).toEqual([
      'cluster-admin',
      'cluster-owner',
      'clustercatalogs-manage',
    ]);
    // Rancher's hidden ones, and those for features Corral does not have yet (kept off the pickers).
    expect(BUILTIN_ROLE_TEMPLATES.filter((t) => t.hidden).map((t) => t.id)).toEqual([
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'clustercatalogs-manage',
      'clustercatalogs-view',
      'backups-manage',
      'navlinks-manage',
      'projectcatalogs-manage',
      'projectcatalogs-view',
      'project-monitoring-readonly',
      'monitoring-ui-view',
      'navlinks-view',
    ]);
  });

  test('cluster-owner may do anything in its cluster; cluster-member reads members and creates projects', () => {
    const owner = effectiveRoleTemplateRules('cluster-owner', builtinRoleTemplate);
    expect(rulesAllow(owner, mgmt('clusterroletemplatebindings', 'create'))).toBe(true);
    expect(rulesAllow(owner, { path: '/version', verb: 'get' })).toBe(true);
    const member = effectiveRoleTemplateRules('cluster-member', builtinRoleTemplate);
    expect(rulesAllow(member, mgmt('clusterroletemplatebindings', 'list'))).toBe(true);
    expect(rulesAllow(member, mgmt('clusterroletemplatebindings', 'create'))).toBe(false);
    expect(rulesAllow(member, mgmt('projects', 'create'))).toBe(true);
    expect(rulesAllow(member, mgmt('clusters', 'get', 'local'))).toBe(true);
    expect(rulesAllow(member, mgmt('clusters', 'list'))).toBe(false);
    expect(coveringRules(owner, member).covered).toBe(true);
  });

  test('project roles: owner manages members, member and read-only only read them', () => {
    const rules = (id: string) => effectiveRoleTemplateRules(id, builtinRoleTemplate);
    expect(rulesAllow(rules('project-owner'), mgmt('projectroletemplatebindings', 'create'))).toBe(true);
    expect(rulesAllow(rules('project-owner'), mgmt('projects', 'own', 'p-1'))).toBe(true);
    expect(rulesAllow(rules('project-member'), mgmt('projectroletemplatebindings', 'list'))).toBe(true);
    expect(rulesAllow(rules('project-member'), mgmt('projectroletemplatebindings', 'create'))).toBe(false);
    expect(rulesAllow(rules('read-only'), mgmt('projectroletemplatebindings', 'create'))).toBe(false);
    expect(rulesAllow(rules('read-only'), { apiGroup: '', resource: 'namespaces', verb: 'create' })).toBe(false);
    expect(rulesAllow(rules('project-member'), { apiGroup: '', resource: 'namespaces', verb: 'create' })).toBe(true);
  });

  test('workloads-manage grants pod exec; workloads-view does not', () => {
    const exec = { apiGroup: '', resource: 'pods', subresource: 'exec', verb: 'create', name: 'p' };
    expect(rulesAllow(builtinRoleTemplate('workloads-manage')!.rules, exec)).toBe(true);
    expect(rulesAllow(builtinRoleTemplate('workloads-view')!.rules, exec)).toBe(false);
    const logs = { apiGroup: '', resource: 'pods', subresource: 'log', verb: 'get', name: 'p' };
    expect(rulesAllow(builtinRoleTemplate('workloads-view')!.rules, logs)).toBe(true);
  });

  test('each -view template is covered by its -manage twin', () => {
    const pairs = BUILTIN_ROLE_TEMPLATES.map((t) => t.id)
      .filter((id) => id.endsWith('-view') && builtinRoleTemplate(id.replace(/-view$/, '-manage')))
      .map((id) => [id.replace(/-view$/, '-manage'), id] as const);
    expect(pairs.length).toBeGreaterThanOrEqual(12);
    for (const [manage, view] of pairs) {
      const covered = coveringRules(builtinRoleTemplate(manage)!.rules, builtinRoleTemplate(view)!.rules);
      expect(covered.uncovered, `${manage} covers ${view}`).toEqual([]);
    }
  });

  test('monitoring-ui-view carries its external rules, limited to the monitoring services', () => {
    const t = builtinRoleTemplate('monitoring-ui-view')!;
    expect(t.rules).toEqual([]);
    const proxy = { apiGroup: '', resource: 'services', subresource: 'proxy', verb: 'get' };
    expect(rulesAllow(t.externalRules!, { ...proxy, name: 'http:rancher-monitoring-grafana:80' })).toBe(true);
    expect(rulesAllow(t.externalRules!, { ...proxy, name: 'http:my-app:80' })).toBe(false);
  });
});
