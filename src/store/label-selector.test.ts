import { describe, expect, it } from 'vitest';
import { labelKeyProblem, labelValueProblem, matchesLabels, parseLabelSelector } from './label-selector.js';
import { StoreError } from './types.js';

const matches = (selector: string, labels: Record<string, string>) =>
  matchesLabels(parseLabelSelector(selector), labels);

function parseError(selector: string): StoreError {
  try {
    parseLabelSelector(selector);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error(`"${selector}" parsed, but it should not`);
}

describe('parseLabelSelector', () => {
  it('parses every operator into requirements', () => {
    expect(parseLabelSelector('a=b,c==d,e!=f,g in (h, i),j notin (k),l,!m')).toEqual([
      { key: 'a', op: 'in', values: new Set(['b']) },
      { key: 'c', op: 'in', values: new Set(['d']) },
      { key: 'e', op: 'notIn', values: new Set(['f']) },
      { key: 'g', op: 'in', values: new Set(['h', 'i']) },
      { key: 'j', op: 'notIn', values: new Set(['k']) },
      { key: 'l', op: 'exists' },
      { key: 'm', op: 'notExists' },
    ]);
  });

  it('accepts whitespace around tokens, prefixed keys, and empty values', () => {
    expect(parseLabelSelector('  example.com/app = web ,  tier  ')).toEqual([
      { key: 'example.com/app', op: 'in', values: new Set(['web']) },
      { key: 'tier', op: 'exists' },
    ]);
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', op: 'in', values: new Set(['']) }]);
    expect(parseLabelSelector('a in (,x)')).toEqual([{ key: 'a', op: 'in', values: new Set(['', 'x']) }]);
    expect(parseLabelSelector('')).toEqual([]);
    expect(parseLabelSelector('   ')).toEqual([]);
  });

  it('treats "in" and "notin" as keys where a key is expected', () => {
    expect(parseLabelSelector('in,notin=x')).toEqual([
      { key: 'in', op: 'exists' },
      { key: 'notin', op: 'in', values: new Set(['x']) },
    ]);
  });

  it.each([
    ['a in ()', 'must not be empty'],
    ['a in (b', 'expected "," or ")"'],
    ['a in b', 'expected "(" to start the set of values'],
    ['a=b,', 'expected a label key, found the end'],
    [',a', 'expected a label key, found ,'],
    ['a b', 'expected =, ==, !=, in or notin after "a"'],
    ['a=b c', 'expected "," between requirements'],
    ['a===b', 'expected "," between requirements, found ='],
    ['a>1', 'operator ">" is not supported'],
    ['!', 'expected a label key, found the end'],
    ['-a=b', 'label key name "-a"'],
    ['a=-b', 'label value "-b"'],
    ['Example.com/a=b', 'must be a DNS subdomain'],
    ['/a', 'empty prefix'],
    [`${'k'.repeat(64)}=v`, 'longer than 63 characters'],
    [`k=${'v'.repeat(64)}`, 'longer than 63 characters'],
  ])('rejects %j with Invalid: %s', (selector, problem) => {
    const err = parseError(selector);
    expect(err.code).toBe('Invalid');
    expect(err.status).toBe(422);
    expect(err.message).toContain(`"${selector}"`);
    expect(err.message).toContain(problem);
  });

  it('says where the problem is', () => {
    expect(parseError('a=b,c d').message).toContain('at position 6');
  });
});

describe('matchesLabels', () => {
  const labels = { env: 'prod', tier: 'web', empty: '' };

  it.each([
    ['', true],
    ['env=prod', true],
    ['env==prod', true],
    ['env=dev', false],
    ['env!=dev', true],
    ['env!=prod', false],
    ['missing!=x', true],
    ['env in (dev,prod)', true],
    ['env in (dev)', false],
    ['missing in (x)', false],
    ['env notin (dev)', true],
    ['env notin (prod,dev)', false],
    ['missing notin (x)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['empty=', true],
    ['empty', true],
    ['env=prod,tier=web', true],
    ['env=prod,tier=db', false],
  ])('%j → %s', (selector, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });

  it('does not match inherited properties as labels', () => {
    expect(matches('constructor', {})).toBe(false);
    expect(matches('!toString', {})).toBe(true);
  });
});

describe('label validation', () => {
  it('accepts Kubernetes label keys and values', () => {
    for (const key of ['a', 'app.kubernetes.io/name', 'field.cattle.io/projectId', 'A_b-c.d', 'x'.repeat(63)]) {
      expect(labelKeyProblem(key)).toBeUndefined();
    }
    for (const value of ['', 'p-abc12', 'A.b_c-d', 'v'.repeat(63)]) expect(labelValueProblem(value)).toBeUndefined();
  });

  it('names the problem with a bad key or value', () => {
    expect(labelKeyProblem('a/b/c')).toContain('label key name "b/c"');
    expect(labelKeyProblem('a/')).toContain('empty name');
    expect(labelKeyProblem(`${'p'.repeat(254)}/a`)).toContain('longer than 253');
    expect(labelValueProblem('a b')).toContain('label value "a b"');
    expect(labelValueProblem('a-')).toContain('start and end with a letter or digit');
  });
});
