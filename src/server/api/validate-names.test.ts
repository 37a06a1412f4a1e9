import { expect, test } from 'vitest';
import { ApiError } from '../http/errors.js';
import { cluster } from '../../schema/types/cluster.js';
import { project } from '../../schema/types/project.js';
import { user } from '../../schema/types/user.js';
import type { TypeDef } from '../../schema/schema.js';
import { validateInput } from './validate.js';

function refusal(schema: TypeDef, body: Record<string, unknown>): ApiError {
  try {
    validateInput(schema, body, 'create');
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

const password = 'a-long-enough-password';

test.each([
  ['NUL', 'alice\u0000', 'U+0000'],
  ['a right-to-left override', 'alice\u202egnp.exe', 'U+202E'],
  ['a zero-width space', 'ad\u200bmin', 'U+200B'],
  ['an escape', 'bob\u001b[31m', 'U+001B'],
  ['a newline', 'bob\nadmin', 'U+000A'],
])('a username with %s is refused, naming the character', (_what, username, code) => {
  const err = refusal(user, { username, password });
  expect(err.status).toBe(422);
  expect(err.code).toBe('InvalidFormat');
  expect(err.fieldName).toBe('username');
  expect(err.message).toContain(code);
});

test('display names, project and cluster names refuse them too', () => {
  expect(refusal(user, { username: 'carol', password, name: 'Carol\u202e' }).fieldName).toBe('name');
  expect(refusal(project, { name: 'team\u0000a', clusterId: 'c-abcde' }).fieldName).toBe('name');
  expect(refusal(cluster, { name: 'prod\u2066' }).fieldName).toBe('name');
});

test('ordinary names, accents and scripts other than Latin pass; descriptions keep newlines', () => {
  const ok = validateInput(user, { username: 'zoë', password, name: 'Zoë Ünal 山田', description: 'a\nb' }, 'create');
  expect(ok.fields.name).toBe('Zoë Ünal 山田');
  expect(ok.fields.description).toBe('a\nb');
});
