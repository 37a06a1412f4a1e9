/**
 * Kubernetes label selectors (`a=b,c!=d,e in (f,g),h notin (i),j,!k`) and label validation, shared
 * by every Store backend so that they accept and match exactly the same things.
 */
import { StoreError } from './types.js';

export type Requirement =
  { key: string; op: 'exists' | 'notExists' } | { key: string; op: 'in' | 'notIn'; values: ReadonlySet<string> };

/** A parsed selector: every requirement must hold. Empty matches everything. */
export type LabelSelector = readonly Requirement[];

const NAME_MAX = 63;
const PREFIX_MAX = 253;
const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0) return `label key "${key}" has an empty prefix before "/"`;
    if (prefix.length > PREFIX_MAX) return `label key prefix "${prefix}" is longer than ${PREFIX_MAX} characters`;
    if (!DNS_SUBDOMAIN_RE.test(prefix)) {
      return `label key prefix "${prefix}" must be a DNS subdomain (lowercase letters, digits, "-" and ".")`;
    }
  }
  if (name.length === 0) return `label key "${key}" has an empty name`;
  if (name.length > NAME_MAX) return `label key name "${name}" is longer than ${NAME_MAX} characters`;
  if (!NAME_RE.test(name)) {
    return (
      `label key name "${name}" must consist of letters, digits, "-", "_" or "." ` +
      `and start and end with a letter or digit`
    );
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > NAME_MAX) return `label value "${value}" is longer than ${NAME_MAX} characters`;
  if (!NAME_RE.test(value)) {
    return (
      `label value "${value}" must be empty or consist of letters, digits, "-", "_" or "." ` +
      `and start and end with a letter or digit`
    );
  }
  return undefined;
}

type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: ',' | '(' | ')' | '=' | '==' | '!=' | '!'; pos: number }
  | { kind: 'end'; pos: number };

// Characters that end a word; everything else (including "/" and ".") belongs to keys and values.
const SPECIAL = new Set([' ', '\t', '\n', '\r', ',', '(', ')', '=', '!', '<', '>']);

function tokenize(input: string, fail: (pos: number, problem: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === ',' || c === '(' || c === ')') {
      tokens.push({ kind: c, pos: i++ });
    } else if (c === '=') {
      const double = input[i + 1] === '=';
      tokens.push({ kind: double ? '==' : '=', pos: i });
      i += double ? 2 : 1;
    } else if (c === '!') {
      const ne = input[i + 1] === '=';
      tokens.push({ kind: ne ? '!=' : '!', pos: i });
      i += ne ? 2 : 1;
    } else if (c === '<' || c === '>') {
      fail(i, `operator "${c}" is not supported (use =, ==, !=, in, notin, key or !key)`);
    } else {
      const start = i;
      while (i < input.length && !SPECIAL.has(input[i] as string)) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i), pos: start });
    }
  }
  tokens.push({ kind: 'end', pos: input.length });
  return tokens;
}

/** Parses a selector; rejects with StoreError 'Invalid' naming the problem and where it is. */
export function parseLabelSelector(input: string): LabelSelector {
  const fail = (pos: number, problem: string): never => {
    throw new StoreError('Invalid', `invalid label selector "${input}" at position ${pos}: ${problem}`);
  };
  const tokens = tokenize(input, fail);
  let at = 0;
  const peek = (): Token => tokens[at] as Token;
  const next = (): Token => tokens[at++] as Token;
  const describe = (t: Token): string => (t.kind === 'word' ? `"${t.text}"` : t.kind === 'end' ? 'the end' : t.kind);

  const key = (): string => {
    const t = next();
    if (t.kind !== 'word') fail(t.pos, `expected a label key, found ${describe(t)}`);
    const text = (t as { text: string }).text;
    const problem = labelKeyProblem(text);
    if (problem) fail(t.pos, problem);
    return text;
  };
  const value = (): string => {
    const t = peek();
    // `a=` selects the empty value, as in Kubernetes.
    if (t.kind !== 'word') return '';
    next();
    const problem = labelValueProblem(t.text);
    if (problem) fail(t.pos, problem);
    return t.text;
  };
  const valueSet = (): Set<string> => {
    const open = next();
    if (open.kind !== '(') fail(open.pos, `expected "(" to start the set of values, found ${describe(open)}`);
    const values = new Set<string>();
    if (peek().kind === ')') fail(peek().pos, 'the set of values for "in" or "notin" must not be empty');
    for (;;) {
      values.add(value());
      const t = next();
      if (t.kind === ')') return values;
      if (t.kind !== ',') fail(t.pos, `expected "," or ")" in the set of values, found ${describe(t)}`);
    }
  };
  const requirement = (): Requirement => {
    if (peek().kind === '!') {
      next();
      return { key: key(), op: 'notExists' };
    }
    const k = key();
    const t = peek();
    if (t.kind === ',' || t.kind === 'end') return { key: k, op: 'exists' };
    next();
    if (t.kind === '=' || t.kind === '==') return { key: k, op: 'in', values: new Set([value()]) };
    if (t.kind === '!=') return { key: k, op: 'notIn', values: new Set([value()]) };
    if (t.kind === 'word' && t.text === 'in') return { key: k, op: 'in', values: valueSet() };
    if (t.kind === 'word' && t.text === 'notin') return { key: k, op: 'notIn', values: valueSet() };
    return fail(t.pos, `expected =, ==, !=, in or notin after "${k}", found ${describe(t)}`);
  };

  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(requirement());
    const t = next();
    if (t.kind === 'end') return requirements;
    if (t.kind !== ',') fail(t.pos, `expected "," between requirements, found ${describe(t)}`);
  }
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'in':
        return has && r.values.has(labels[r.key] as string);
      case 'notIn':
        return !has || !r.values.has(labels[r.key] as string);
    }
  });
}
