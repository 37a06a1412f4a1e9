import { expect, test } from 'vitest';
import { slimJson } from './slim.js';

const entry = { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {} } } };
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: 'ns', labels: { app: 'x' }, managedFields: [entry, { ...entry, manager: 'kwok' }] },
  spec: { containers: [{ name: 'c', image: 'i', args: ['a"b', 'c\\', '{"[', ']}'] }] },
  status: { phase: 'Running' },
  ...extra,
});
const whole = (v: unknown) => Buffer.from(JSON.stringify(v));
const withoutManaged = (v: { items?: { metadata: Record<string, unknown> }[]; metadata?: Record<string, unknown> }) => {
  const copy = structuredClone(v);
  for (const o of copy.items ?? [copy]) delete (o.metadata as { managedFields?: unknown }).managedFields;
  return copy;
};

test('a list loses every item’s managedFields and nothing else', () => {
  const list = { kind: 'PodList', metadata: { resourceVersion: '12' }, items: [pod('a'), pod('b'), pod('c')] };
  const out = slimJson(whole(list));
  expect(JSON.parse(out.toString())).toEqual(withoutManaged(list));
  expect(out.length).toBeLessThan(whole(list).length);
});

test('one object loses its managedFields', () => {
  const obj = pod('a');
  expect(JSON.parse(slimJson(whole(obj)).toString())).toEqual(withoutManaged(obj));
});

test('text that looks like the key inside a string, and a field of that name holding something else, stay', () => {
  const tricky = {
    metadata: { name: 'cm', annotations: { note: ',"managedFields":[{"x":1}]', slash: 'ends with \\' } },
    data: { managedFields: 'a value', other: String.raw`\",\"managedFields\":[{\"` },
  };
  const out = slimJson(whole(tricky));
  expect(JSON.parse(out.toString())).toEqual(tricky);
});

test('malformed text comes back as it was', () => {
  const broken = Buffer.from('{"metadata":{"name":"a","managedFields":[{"manager":"x"');
  expect(slimJson(broken)).toBe(broken);
});
