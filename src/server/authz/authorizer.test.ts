import { describe, expect, test } from 'vitest';
import { EscalationError, escalationCheck, GlobalAuthorizer, globalRoleRules } from './authorizer.js';
import { builtinGlobalRole } from './builtin-roles.js';
import type { PolicyRule } from './policy-rule.js';

const MGMT = 'management.cattle.io';

describe('globalRoleRules', () => {
  test('joins the rules of every bound role', () => {
    const rules = globalRoleRules(
      { userId: 'u-1', globalRoleIds: ['users-manage', 'settings-manage'] },
      builtinGlobalRole,
    );
    expect(rules).toEqual([
      ...builtinGlobalRole('users-manage')!.rules,
      ...builtinGlobalRole('settings-manage')!.rules,
    ]);
  });
  test('a binding to a missing role grants nothing and does not fail', () => {
    expect(globalRoleRules({ userId: 'u-1', globalRoleIds: ['deleted-role'] }, builtinGlobalRole)).toEqual([]);
  });
});

describe('GlobalAuthorizer', () => {
  const bound: Record<string, string[]> = { 'u-admin': ['admin'], 'u-std': ['user'], 'u-base': ['user-base'] };
  const authorizer = new GlobalAuthorizer((userId) =>
    globalRoleRules({ userId, globalRoleIds: bound[userId] ?? [] }, builtinGlobalRole),
  );

  test('decides from the rules of the user asked about', () => {
    const createCluster = { apiGroup: MGMT, resource: 'clusters', verb: 'create' };
    expect(authorizer.can('u-admin', createCluster)).toBe(true);
    expect(authorizer.can('u-std', createCluster)).toBe(true);
    expect(authorizer.can('u-base', createCluster)).toBe(false);
    expect(authorizer.can('u-unknown', createCluster)).toBe(false);
  });

  test('handles non-resource requests', () => {
    expect(authorizer.can('u-admin', { path: '/metrics', verb: 'get' })).toBe(true);
    expect(authorizer.can('u-std', { path: '/metrics', verb: 'get' })).toBe(false);
  });

  test('asks for the rules on every call, so role changes apply at once', () => {
    let rules: PolicyRule[] = [];
    const live = new GlobalAuthorizer(() => rules);
    const attrs = { apiGroup: MGMT, resource: 'settings', verb: 'get', name: 'x' };
    expect(live.can('u-1', attrs)).toBe(false);
    rules = [{ apiGroups: [MGMT], resources: ['settings'], verbs: ['get'] }];
    expect(live.can('u-1', attrs)).toBe(true);
  });
});

describe('escalationCheck', () => {
  const actor: PolicyRule[] = [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list', 'create'] }];

  test('passes when the actor holds everything requested', () => {
    expect(() => escalationCheck(actor, [{ apiGroups: [MGMT], resources: ['users'], verbs: ['list'] }])).not.toThrow();
  });

  test('throws an EscalationError listing the uncovered rules', () => {
    let error: unknown;
    try {
      escalationCheck(actor, [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'delete'] }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EscalationError);
    const escalation = error as EscalationError;
    expect(escalation.name).toBe('EscalationError');
    expect(escalation.message).toBe(
      'cannot grant rules you do not hold: verbs=[delete] apiGroups=[management.cattle.io] resources=[users]',
    );
    expect(escalation.uncovered).toEqual([{ apiGroups: [MGMT], resources: ['users'], verbs: ['delete'] }]);
  });

  test('shows the core group, resource names and non-resource URLs readably', () => {
    expect(() =>
      escalationCheck(
        [],
        [
          { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['s1'] },
          { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        ],
      ),
    ).toThrow(
      'cannot grant rules you do not hold: verbs=[get] apiGroups=[""] resources=[secrets] resourceNames=[s1]; ' +
        'verbs=[get] nonResourceURLs=[/metrics]',
    );
  });

  test('lists only the first few of many uncovered rules', () => {
    const requested: PolicyRule[] = [
      { apiGroups: [MGMT], resources: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], verbs: ['delete'] },
    ];
    let error: EscalationError | undefined;
    try {
      escalationCheck(actor, requested);
    } catch (e) {
      error = e as EscalationError;
    }
    expect(error?.uncovered).toHaveLength(7);
    expect(error?.message).toMatch(/resources=\[e\] \(and 2 more\)$/);
    expect(error?.message).not.toContain('resources=[f]');
  });

  test('a user manager cannot grant admin, but an admin can', () => {
    const usersManage = builtinGlobalRole('users-manage')!.rules;
    const admin = builtinGlobalRole('admin')!.rules;
    expect(() => escalationCheck(usersManage, admin)).toThrow(EscalationError);
    expect(() => escalationCheck(admin, admin)).not.toThrow();
  });
});
