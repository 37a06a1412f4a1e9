import { describe, expect, it } from 'vitest';
import { defineType } from '../schema/schema.js';
import { globalRoleBinding } from '../schema/types/global-role.js';
import { token } from '../schema/types/token.js';
import { user } from '../schema/types/user.js';
import { bodyFromFlags, createFlags, optionKey, optionSpec } from './schema-flags.js';

const sample = defineType({
  id: 'sample',
  plural: 'samples',
  fields: {
    name: { type: 'string', required: true },
    replicas: { type: 'int', min: 1, max: 10 },
    paused: { type: 'boolean' },
    mode: { type: 'enum', options: ['fast', 'safe'] },
    tags: { type: 'array[string]' },
    ports: { type: 'array[int]' },
    selector: { type: 'map[string]' },
    ownerId: { type: 'reference[user]' },
    secret: { type: 'password' },
    spec: { type: 'json' },
    nested: { type: 'resourceQuotaLimit' },
    status: { type: 'string', create: false },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET'],
  columns: ['id'],
  authz: { apiGroup: 'x', resource: 'samples' },
});

describe('flags derived from the schema', () => {
  it('one flag per creatable field with a flag shape, in declaration order', () => {
    const flags = createFlags(sample);
    expect(flags.map((f) => [f.flag, f.kind, f.required])).toEqual([
      ['--name', 'string', true],
      ['--replicas', 'int', false],
      ['--paused', 'boolean', false],
      ['--mode', 'enum', false],
      ['--tags', 'array', false],
      ['--ports', 'array', false],
      ['--selector', 'map', false],
      ['--owner-id', 'string', false],
    ]);
    expect(flags.find((f) => f.flag === '--mode')?.choices).toEqual(['fast', 'safe']);
    expect(flags.map(optionSpec)).toContain('--paused [bool]');
    expect(flags.map(optionSpec)).toContain('--selector <key=value>');
    expect(optionKey('--owner-id')).toBe('ownerId');
  });

  it('real types: passwords and server-owned fields get no flag; omit drops what a verb takes otherwise', () => {
    expect(createFlags(user, ['username', 'name']).map((f) => f.flag)).toEqual([
      '--description',
      '--enabled',
      '--must-change-password',
    ]);
    expect(createFlags(token, ['ttl', 'clusterId']).map((f) => f.flag)).toEqual(['--description']);
    expect(createFlags(globalRoleBinding).map((f) => f.flag)).toEqual([
      '--global-role-id',
      '--user-id',
      '--group-principal-id',
    ]);
  });

  it('parses values into the body, leaving out flags not given', () => {
    const body = bodyFromFlags(createFlags(sample), {
      name: 'web',
      replicas: '3',
      paused: true,
      mode: 'safe',
      tags: ['a', 'b'],
      ports: ['80', '443'],
      selector: ['app=web', 'tier=front=end'],
    });
    expect(body).toEqual({
      name: 'web',
      replicas: 3,
      paused: true,
      mode: 'safe',
      tags: ['a', 'b'],
      ports: [80, 443],
      selector: { app: 'web', tier: 'front=end' },
    });
    expect(bodyFromFlags(createFlags(sample), { name: 'x', paused: 'false' })).toEqual({ name: 'x', paused: false });
  });

  it('a value of the wrong type is a usage error naming the flag and what it takes', () => {
    const flags = createFlags(sample);
    const parse = (v: Record<string, unknown>) => () => bodyFromFlags(flags, { name: 'x', ...v });
    expect(parse({ replicas: 'three' })).toThrow('--replicas takes a whole number, not "three"');
    expect(parse({ replicas: '1.5' })).toThrow(/--replicas takes a whole number/);
    expect(parse({ replicas: '11' })).toThrow('--replicas must be at most 10, not 11');
    expect(parse({ paused: 'maybe' })).toThrow('--paused takes true or false, not "maybe"');
    expect(parse({ mode: 'slow' })).toThrow('--mode takes one of fast, safe, not "slow"');
    expect(parse({ ports: ['80', 'http'] })).toThrow('--ports takes a whole number, not "http"');
    expect(parse({ selector: ['novalue'] })).toThrow('--selector takes key=value, not "novalue"');
    expect(() => bodyFromFlags(flags, {})).toThrow('--name is required');
    try {
      parse({ replicas: 'x' })();
    } catch (err) {
      expect((err as Error).name).toBe('UsageError');
    }
  });
});
