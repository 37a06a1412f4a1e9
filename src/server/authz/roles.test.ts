import { describe, expect, test } from 'vitest';
import type { PolicyRule } from './policy-rule.js';
import {
  effectiveRoleTemplateRules,
  RoleTemplateInheritanceError,
  validateRoleTemplateInheritance,
  type RoleTemplate,
} from './roles.js';

function rt(id: string, roleTemplateIds: string[] = [], rules: PolicyRule[] = []): RoleTemplate {
  return { id, name: id, displayName: id, context: 'project', builtin: false, external: false, roleTemplateIds, rules };
}

const r = (resource: string): PolicyRule => ({ apiGroups: [''], resources: [resource], verbs: ['get'] });

function lookupOf(...templates: RoleTemplate[]): (id: string) => RoleTemplate | undefined {
  const byId = new Map(templates.map((t) => [t.id, t]));
  return (id) => byId.get(id);
}

describe('effectiveRoleTemplateRules', () => {
  test('own rules, then inherited ones, depth first', () => {
    const lookup = lookupOf(
      rt('a', ['b', 'c'], [r('a')]),
      rt('b', ['d'], [r('b')]),
      rt('c', [], [r('c')]),
      rt('d', [], [r('d')]),
    );
    expect(effectiveRoleTemplateRules('a', lookup)).toEqual([r('a'), r('b'), r('d'), r('c')]);
  });

  test('a shared ancestor (diamond) is counted once and is not a cycle', () => {
    const lookup = lookupOf(rt('a', ['b', 'c']), rt('b', ['d']), rt('c', ['d']), rt('d', [], [r('d')]));
    expect(effectiveRoleTemplateRules('a', lookup)).toEqual([r('d')]);
  });

  test('a cycle throws and names its members in order', () => {
    const lookup = lookupOf(rt('a', ['b']), rt('b', ['c']), rt('c', ['a']));
    expect(() => effectiveRoleTemplateRules('a', lookup)).toThrow(
      new RoleTemplateInheritanceError('role template inheritance cycle: a -> b -> c -> a'),
    );
  });

  test('a cycle below the starting template names only the cycle', () => {
    const lookup = lookupOf(rt('top', ['x']), rt('x', ['y']), rt('y', ['x']));
    expect(() => effectiveRoleTemplateRules('top', lookup)).toThrow('role template inheritance cycle: x -> y -> x');
  });

  test('a template inheriting itself is a cycle', () => {
    expect(() => effectiveRoleTemplateRules('a', lookupOf(rt('a', ['a'])))).toThrow(
      'role template inheritance cycle: a -> a',
    );
  });

  test('an unknown inherited template throws, naming who inherits it', () => {
    const lookup = lookupOf(rt('a', ['b']), rt('b', ['ghost']));
    expect(() => effectiveRoleTemplateRules('a', lookup)).toThrow(
      'role template "ghost" (inherited by "b") does not exist',
    );
  });

  test('an unknown starting template throws', () => {
    expect(() => effectiveRoleTemplateRules('nope', lookupOf())).toThrow(RoleTemplateInheritanceError);
  });
});

describe('validateRoleTemplateInheritance', () => {
  const stored = lookupOf(rt('base', [], [r('base')]), rt('mid', ['base']), rt('uses-custom', ['custom']));

  test('accepts a new template inheriting existing ones', () => {
    expect(() => validateRoleTemplateInheritance(rt('custom', ['mid']), stored)).not.toThrow();
  });

  test('refuses inheriting a template that does not exist', () => {
    expect(() => validateRoleTemplateInheritance(rt('custom', ['missing']), stored)).toThrow(
      'role template "missing" (inherited by "custom") does not exist',
    );
  });

  test('refuses a change that closes a cycle through stored templates', () => {
    // `uses-custom` already inherits `custom`; making `custom` inherit `uses-custom` closes the loop.
    expect(() => validateRoleTemplateInheritance(rt('custom', ['uses-custom']), stored)).toThrow(
      'role template inheritance cycle: custom -> uses-custom -> custom',
    );
  });

  test('judges the candidate, not the stored version of the same id', () => {
    const withOld = lookupOf(rt('custom', ['missing']), rt('base'));
    expect(() => validateRoleTemplateInheritance(rt('custom', ['base']), withOld)).not.toThrow();
  });
});
