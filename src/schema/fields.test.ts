import { expect, expectTypeOf, test } from 'vitest';
import { f, specOf, type SpecOf } from './fields.js';
import { defineSubtype, defineType, subtype, type ResourceOf } from './schema.js';
import { project, resourceQuotaLimit } from './types/project.js';
import { token } from './types/token.js';
import { user } from './types/user.js';

test('builders make the plain FieldDef one would write by hand', () => {
  expect(f.string({ required: true, maxLength: 63 })).toEqual({ type: 'string', required: true, maxLength: 63 });
  expect(f.int({ min: 0, default: 0 })).toEqual({ type: 'int', min: 0, default: 0 });
  expect(f.boolean({ readOnly: true })).toEqual({ type: 'boolean', create: false, update: false });
  expect(f.enum(['a', 'b'], { default: 'a' })).toEqual({ type: 'enum', options: ['a', 'b'], default: 'a' });
  expect(f.password({ writeOnly: true })).toEqual({ type: 'password', writeOnly: true });
  expect(f.date()).toEqual({ type: 'date' });
  expect(f.ref('cluster', { update: false })).toEqual({ type: 'reference[cluster]', update: false });
  expect(f.array(f.ref('roleTemplate'))).toEqual({ type: 'array[reference[roleTemplate]]' });
  expect(f.map(f.string())).toEqual({ type: 'map[string]' });
  expect(f.object(resourceQuotaLimit, { nullable: true })).toEqual({ type: 'resourceQuotaLimit', nullable: true });
  expect(f.quantity()).toEqual({ type: 'string', format: 'quantity' });
  expect(f.json<{ a: number }>()).toEqual({ type: 'json' });
});

test('a spec type follows from the declaration', () => {
  type Spec = SpecOf<typeof project>;
  expectTypeOf<Spec['name']>().toEqualTypeOf<string>();
  expectTypeOf<Spec['clusterId']>().toEqualTypeOf<string>();
  expectTypeOf<Spec['description']>().toEqualTypeOf<string | null | undefined>();
  expectTypeOf<NonNullable<Spec['resourceQuota']>['limit']>().toMatchTypeOf<
    { pods?: string | null | undefined } | null | undefined
  >();
  const spec = specOf(project, { name: 'p', clusterId: 'c-1' });
  expectTypeOf(spec.name).toEqualTypeOf<string>();
});

test('a rendered resource has the common fields, no writeOnly fields, and server-owned fields always', () => {
  type User = ResourceOf<typeof user>;
  expectTypeOf<User['id']>().toEqualTypeOf<string>();
  expectTypeOf<User['links']>().toEqualTypeOf<Record<string, string>>();
  expectTypeOf<User['enabled']>().toEqualTypeOf<boolean>();
  expectTypeOf<User['principalIds']>().toEqualTypeOf<string[]>();
  expectTypeOf<User>().not.toHaveProperty('password');
  type Token = ResourceOf<typeof token>;
  expectTypeOf<Token['clusterId']>().toEqualTypeOf<string | null | undefined>();
  expectTypeOf<Token['ttl']>().toEqualTypeOf<number>();
});

test('a declaration written as plain FieldDefs still yields types', () => {
  const plain = defineType({
    id: 'plainThing',
    plural: 'plainThings',
    fields: {
      name: { type: 'string', required: true, maxLength: 63 },
      phase: { type: 'enum', options: ['Active', 'Terminating'], create: false, update: false },
      labels2: { type: 'map[string]' },
      other: { type: 'someSubtype' },
    },
    collectionMethods: ['GET'],
    resourceMethods: ['GET'],
    columns: ['id', 'name'],
    authz: { apiGroup: '', resource: 'plainthings' },
  });
  expect(plain.fields.name).toEqual({ type: 'string', required: true, maxLength: 63 });
  type Plain = ResourceOf<typeof plain>;
  expectTypeOf<Plain['name']>().toEqualTypeOf<string>();
  expectTypeOf<Plain['phase']>().toEqualTypeOf<'Active' | 'Terminating'>();
  expectTypeOf<Plain['labels2']>().toEqualTypeOf<Record<string, string> | null | undefined>();
  expectTypeOf<Plain['other']>().toEqualTypeOf<unknown>();
  const sub = defineSubtype({ id: 'plainSub', fields: { n: { type: 'int', required: true } } });
  expect(subtype('plainSub')).toBe(sub);
  expectTypeOf<SpecOf<typeof sub>['n']>().toEqualTypeOf<number>();
});
