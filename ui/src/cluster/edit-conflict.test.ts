import { describe, expect, test } from 'vitest';
import { changedPaths, conflictingFields, mergePatch, userPatch } from './edit-conflict';
import type { KubeObject } from './k8s';

const base: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '10', labels: { app: 'web' }, generation: 1 },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] } } },
  status: { replicas: 0 },
};

const changed = (f: (o: KubeObject) => void, from = base): KubeObject => {
  const o = structuredClone(from);
  f(o);
  return o;
};

describe('three-way conflicts', () => {
  test('status, bookkeeping, apiVersion and kind are never the user’s nor a conflict', () => {
    const current = changed((o) => {
      o.status = { replicas: 1 };
      o.metadata.resourceVersion = '11';
      o.metadata.managedFields = [{ manager: 'kube-controller-manager' }];
      o.metadata.generation = 2;
    });
    const { apiVersion: _a, kind: _k, ...listItem } = base;
    const edited = changed((o) => (o.spec.replicas = 2), listItem as KubeObject);
    expect(conflictingFields(listItem as KubeObject, edited, current)).toEqual([]);
    expect(userPatch(listItem as KubeObject, edited)).toEqual({ spec: { replicas: 2 } });
  });

  test('different fields changed on each side merge; the same field is a conflict, named', () => {
    const edited = changed((o) => (o.metadata.labels = { app: 'web', tier: 'back' }));
    const annotated = changed((o) => (o.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' }));
    expect(conflictingFields(base, edited, annotated)).toEqual([]);
    const otherLabel = changed((o) => (o.metadata.labels = { app: 'web', by: 'kubectl' }));
    expect(conflictingFields(base, edited, otherLabel)).toEqual([]);
    const sameLabel = changed((o) => (o.metadata.labels = { app: 'web', tier: 'middle' }));
    expect(conflictingFields(base, edited, sameLabel)).toEqual(['metadata.labels.tier']);
  });

  test('a list is one field: changes anywhere in the same list conflict', () => {
    const edited = changed((o) => (o.spec.template.spec.containers[0].image = 'nginx:2'));
    const current = changed((o) => (o.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }]));
    expect(conflictingFields(base, edited, current)).toEqual(['spec.template.spec.containers']);
  });

  test('a field removed on one side and changed on the other conflicts', () => {
    const edited = changed((o) => delete o.metadata.labels);
    const current = changed((o) => (o.metadata.labels = { app: 'api' }));
    expect(conflictingFields(base, edited, current)).toEqual(['metadata.labels']);
  });

  test('merge patches follow RFC 7386: nested changes, null deletes, lists replaced whole, key order ignored', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: 3, b: 1 }, l: [1, 2, 3], n: 'x' })).toEqual({
      a: { c: 3 },
      l: [1, 2, 3],
      n: 'x',
    });
    expect(mergePatch({ a: { b: 1 }, d: 1 }, { a: {} })).toEqual({ a: { b: null }, d: null });
    expect(changedPaths({ a: { b: 1, c: 2 } }, { a: { c: 2, b: 1 } })).toEqual([]);
  });
});
