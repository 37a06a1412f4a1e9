import { describe, expect, test } from 'vitest';
import {
  breakdownRule,
  coveringRules,
  ruleAllows,
  rulesAllow,
  type PolicyRule,
  type RequestAttributes,
} from './policy-rule.js';

const MGMT = 'management.cattle.io';

describe('ruleAllows: resource requests', () => {
  const cases: { name: string; rule: PolicyRule; attrs: RequestAttributes; allowed: boolean }[] = [
    {
      name: 'exact group, resource and verb',
      rule: { apiGroups: [MGMT], resources: ['users'], verbs: ['get'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'get', name: 'u-1' },
      allowed: true,
    },
    {
      name: 'other verb',
      rule: { apiGroups: [MGMT], resources: ['users'], verbs: ['get'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'delete', name: 'u-1' },
      allowed: false,
    },
    {
      name: 'verb *',
      rule: { apiGroups: [MGMT], resources: ['users'], verbs: ['*'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'deletecollection' },
      allowed: true,
    },
    {
      name: 'other api group',
      rule: { apiGroups: [MGMT], resources: ['users'], verbs: ['*'] },
      attrs: { apiGroup: 'provisioning.cattle.io', resource: 'users', verb: 'get' },
      allowed: false,
    },
    {
      name: 'core group is the empty string, not a wildcard',
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      attrs: { apiGroup: MGMT, resource: 'secrets', verb: 'get' },
      allowed: false,
    },
    {
      name: 'core group matches core request',
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      attrs: { apiGroup: '', resource: 'secrets', verb: 'get' },
      allowed: true,
    },
    {
      name: 'wildcard api group',
      rule: { apiGroups: ['*'], resources: ['users'], verbs: ['get'] },
      attrs: { apiGroup: 'anything.example.com', resource: 'users', verb: 'get' },
      allowed: true,
    },
    {
      name: 'no api groups at all',
      rule: { resources: ['users'], verbs: ['get'] },
      attrs: { apiGroup: '', resource: 'users', verb: 'get' },
      allowed: false,
    },
    {
      name: 'resource prefix is not a match',
      rule: { apiGroups: [MGMT], resources: ['user'], verbs: ['get'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'get' },
      allowed: false,
    },
    {
      name: 'resource * matches everything',
      rule: { apiGroups: [MGMT], resources: ['*'], verbs: ['get'] },
      attrs: { apiGroup: MGMT, resource: 'settings', verb: 'get' },
      allowed: true,
    },
    {
      name: 'resource * matches subresources too',
      rule: { apiGroups: [MGMT], resources: ['*'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'users', subresource: 'status', verb: 'update' },
      allowed: true,
    },
    {
      name: 'plain resource does not match its subresource',
      rule: { apiGroups: [MGMT], resources: ['users'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'users', subresource: 'status', verb: 'update' },
      allowed: false,
    },
    {
      name: 'resource/subresource matches that subresource',
      rule: { apiGroups: [MGMT], resources: ['users/status'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'users', subresource: 'status', verb: 'update' },
      allowed: true,
    },
    {
      name: 'resource/subresource does not match the parent resource',
      rule: { apiGroups: [MGMT], resources: ['users/status'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'update' },
      allowed: false,
    },
    {
      name: 'resource/subresource does not match another subresource',
      rule: { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      attrs: { apiGroup: '', resource: 'pods', subresource: 'exec', verb: 'get' },
      allowed: false,
    },
    {
      name: '*/subresource matches that subresource of any resource',
      rule: { apiGroups: [MGMT], resources: ['*/status'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', subresource: 'status', verb: 'update' },
      allowed: true,
    },
    {
      name: '*/subresource does not match a top-level resource',
      rule: { apiGroups: [MGMT], resources: ['*/status'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'update' },
      allowed: false,
    },
    {
      name: '*/subresource does not match a subresource with that suffix',
      rule: { apiGroups: [MGMT], resources: ['*/status'], verbs: ['update'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', subresource: 'podstatus', verb: 'update' },
      allowed: false,
    },
    {
      name: 'resourceNames allows a named get',
      rule: { apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['local'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'get', name: 'local' },
      allowed: true,
    },
    {
      name: 'resourceNames refuses another name',
      rule: { apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['local'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'get', name: 'c-abcde' },
      allowed: false,
    },
    {
      name: 'resourceNames refuses list (no name)',
      rule: { apiGroups: [MGMT], resources: ['clusters'], verbs: ['list', 'get'], resourceNames: ['local'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'list' },
      allowed: false,
    },
    {
      name: 'resourceNames refuses create (no name)',
      rule: { apiGroups: [MGMT], resources: ['clusters'], verbs: ['*'], resourceNames: ['local'] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'create' },
      allowed: false,
    },
    {
      name: 'empty resourceNames allows any name and none',
      rule: { apiGroups: [MGMT], resources: ['clusters'], verbs: ['list'], resourceNames: [] },
      attrs: { apiGroup: MGMT, resource: 'clusters', verb: 'list' },
      allowed: true,
    },
    {
      name: 'a non-resource rule never matches a resource request',
      rule: { nonResourceURLs: ['*'], verbs: ['*'] },
      attrs: { apiGroup: MGMT, resource: 'users', verb: 'get' },
      allowed: false,
    },
  ];
  test.each(cases)('$name', ({ rule, attrs, allowed }) => {
    expect(ruleAllows(rule, attrs)).toBe(allowed);
  });
});

describe('ruleAllows: non-resource requests', () => {
  const cases: { name: string; rule: PolicyRule; path: string; verb?: string; allowed: boolean }[] = [
    { name: 'exact path', rule: { nonResourceURLs: ['/healthz'], verbs: ['get'] }, path: '/healthz', allowed: true },
    {
      name: 'exact path, other verb',
      rule: { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      path: '/healthz',
      verb: 'post',
      allowed: false,
    },
    {
      name: 'exact path does not match a longer one',
      rule: { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      path: '/healthz/etcd',
      allowed: false,
    },
    {
      name: 'trailing * matches by prefix',
      rule: { nonResourceURLs: ['/healthz/*'], verbs: ['get'] },
      path: '/healthz/etcd',
      allowed: true,
    },
    {
      name: 'trailing * prefix includes the slash',
      rule: { nonResourceURLs: ['/healthz/*'], verbs: ['get'] },
      path: '/healthz',
      allowed: false,
    },
    {
      name: 'trailing * without slash matches siblings by prefix',
      rule: { nonResourceURLs: ['/metrics*'], verbs: ['get'] },
      path: '/metricsfoo/bar',
      allowed: true,
    },
    {
      name: '* alone matches any path',
      rule: { nonResourceURLs: ['*'], verbs: ['*'] },
      path: '/v3/anything',
      allowed: true,
    },
    {
      name: 'an inner * is literal',
      rule: { nonResourceURLs: ['/a/*/c'], verbs: ['get'] },
      path: '/a/b/c',
      allowed: false,
    },
    {
      name: 'a resource rule never matches a non-resource request',
      rule: { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      path: '/healthz',
      allowed: false,
    },
  ];
  test.each(cases)('$name', ({ rule, path, verb, allowed }) => {
    expect(ruleAllows(rule, { path, verb: verb ?? 'get' })).toBe(allowed);
  });
});

describe('rulesAllow', () => {
  const rules: PolicyRule[] = [
    { apiGroups: [MGMT], resources: ['settings'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [MGMT], resources: ['preferences'], verbs: ['*'] },
  ];
  test('allows when any rule allows', () => {
    expect(rulesAllow(rules, { apiGroup: MGMT, resource: 'preferences', verb: 'create' })).toBe(true);
    expect(rulesAllow(rules, { apiGroup: MGMT, resource: 'settings', verb: 'list' })).toBe(true);
  });
  test('denies when no rule allows', () => {
    expect(rulesAllow(rules, { apiGroup: MGMT, resource: 'settings', verb: 'update', name: 'x' })).toBe(false);
  });
  test('denies everything with no rules', () => {
    expect(rulesAllow([], { apiGroup: MGMT, resource: 'settings', verb: 'get' })).toBe(false);
    expect(rulesAllow([], { path: '/', verb: 'get' })).toBe(false);
  });
});

describe('breakdownRule', () => {
  test('one atom per group × resource × verb', () => {
    const atoms = breakdownRule({ apiGroups: ['a', 'b'], resources: ['x', 'y'], verbs: ['get', 'list'] });
    expect(atoms).toHaveLength(8);
    expect(atoms).toContainEqual({ apiGroups: ['b'], resources: ['y'], verbs: ['list'] });
  });
  test('one atom per resource name', () => {
    expect(
      breakdownRule({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['s1', 's2'] }),
    ).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['s1'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['s2'] },
    ]);
  });
  test('non-resource URLs combine with verbs only', () => {
    expect(breakdownRule({ nonResourceURLs: ['/a', '/b*'], verbs: ['get'] })).toEqual([
      { nonResourceURLs: ['/a'], verbs: ['get'] },
      { nonResourceURLs: ['/b*'], verbs: ['get'] },
    ]);
  });
});

describe('coveringRules', () => {
  const cases: { name: string; owner: PolicyRule[]; requested: PolicyRule[]; covered: boolean }[] = [
    {
      name: 'identical rules',
      owner: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      requested: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      covered: true,
    },
    {
      name: 'a subset of verbs',
      owner: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      requested: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['list'] }],
      covered: true,
    },
    {
      name: 'a verb the owner lacks',
      owner: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      requested: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'delete'] }],
      covered: false,
    },
    {
      name: 'pieces spread over several owner rules',
      owner: [
        { apiGroups: [MGMT], resources: ['users'], verbs: ['get'] },
        { apiGroups: [MGMT], resources: ['users', 'tokens'], verbs: ['list'] },
      ],
      requested: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      covered: true,
    },
    {
      name: 'owner * covers any explicit verb, group and resource',
      owner: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      requested: [{ apiGroups: [MGMT, ''], resources: ['users', 'secrets/status'], verbs: ['delete', 'escalate'] }],
      covered: true,
    },
    {
      name: 'owner * covers requested *',
      owner: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      requested: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      covered: true,
    },
    {
      name: 'requested verb * is not covered by every explicit verb',
      owner: [
        {
          apiGroups: [MGMT],
          resources: ['users'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
        },
      ],
      requested: [{ apiGroups: [MGMT], resources: ['users'], verbs: ['*'] }],
      covered: false,
    },
    {
      name: 'requested resource * is not covered by explicit resources',
      owner: [{ apiGroups: [MGMT], resources: ['users', 'tokens'], verbs: ['get'] }],
      requested: [{ apiGroups: [MGMT], resources: ['*'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'requested api group * is not covered by an explicit group',
      owner: [{ apiGroups: [MGMT], resources: ['*'], verbs: ['*'] }],
      requested: [{ apiGroups: ['*'], resources: ['users'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'owner resource * within one group covers that group only',
      owner: [{ apiGroups: [MGMT], resources: ['*'], verbs: ['*'] }],
      requested: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'owner */status covers one resource status',
      owner: [{ apiGroups: [MGMT], resources: ['*/status'], verbs: ['update'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters/status'], verbs: ['update'] }],
      covered: true,
    },
    {
      name: 'owner */status does not cover the resource itself',
      owner: [{ apiGroups: [MGMT], resources: ['*/status'], verbs: ['update'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['update'] }],
      covered: false,
    },
    {
      name: 'owner resource does not cover its subresource',
      owner: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['update'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters/status'], verbs: ['update'] }],
      covered: false,
    },
    {
      name: 'owner without names covers a named request',
      owner: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['local'] }],
      covered: true,
    },
    {
      name: 'owner with names covers the same names',
      owner: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['a', 'b'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['b'] }],
      covered: true,
    },
    {
      name: 'owner with names does not cover another name',
      owner: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['a'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['a', 'c'] }],
      covered: false,
    },
    {
      name: 'owner with names does not cover all names',
      owner: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'], resourceNames: ['a'] }],
      requested: [{ apiGroups: [MGMT], resources: ['clusters'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'non-resource URL covered by a prefix pattern',
      owner: [{ nonResourceURLs: ['/metrics/*'], verbs: ['get'] }],
      requested: [{ nonResourceURLs: ['/metrics/cadvisor', '/metrics/*'], verbs: ['get'] }],
      covered: true,
    },
    {
      name: 'non-resource prefix pattern does not cover a broader pattern',
      owner: [{ nonResourceURLs: ['/metrics/*'], verbs: ['get'] }],
      requested: [{ nonResourceURLs: ['/*'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'non-resource * covers any URL',
      owner: [{ nonResourceURLs: ['*'], verbs: ['*'] }],
      requested: [{ nonResourceURLs: ['/healthz', '*'], verbs: ['get', '*'] }],
      covered: true,
    },
    {
      name: 'a resource rule does not cover a non-resource URL',
      owner: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      requested: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'a non-resource rule does not cover a resource',
      owner: [{ nonResourceURLs: ['*'], verbs: ['*'] }],
      requested: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      covered: false,
    },
    {
      name: 'nothing requested is always covered',
      owner: [],
      requested: [],
      covered: true,
    },
  ];
  test.each(cases)('$name', ({ owner, requested, covered }) => {
    const result = coveringRules(owner, requested);
    expect(result.covered).toBe(covered);
    expect(result.uncovered.length === 0).toBe(covered);
  });

  test('reports exactly the uncovered atoms', () => {
    const result = coveringRules(
      [{ apiGroups: [MGMT], resources: ['users'], verbs: ['get', 'list'] }],
      [
        { apiGroups: [MGMT], resources: ['users', 'tokens'], verbs: ['get', 'delete'] },
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      ],
    );
    expect(result.uncovered).toEqual([
      { apiGroups: [MGMT], resources: ['users'], verbs: ['delete'] },
      { apiGroups: [MGMT], resources: ['tokens'], verbs: ['get'] },
      { apiGroups: [MGMT], resources: ['tokens'], verbs: ['delete'] },
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
    ]);
  });
});
