import { describe, expect, test } from 'vitest';
import { changedOnlyByServer } from './edit-conflict';
import type { KubeObject } from './k8s';

const base: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '10', labels: { app: 'web' }, generation: 1 },
  spec: { replicas: 1, template: { metadata: { labels: { app: 'web' } } } },
  status: { replicas: 0 },
};

const changed = (f: (o: KubeObject) => void): KubeObject => {
  const o = structuredClone(base);
  f(o);
  return o;
};

describe('changedOnlyByServer', () => {
  test('status, resourceVersion, managedFields and generation are the server’s', () => {
    expect(
      changedOnlyByServer(
        base,
        changed((o) => {
          o.status = { replicas: 1, readyReplicas: 1 };
          o.metadata.resourceVersion = '11';
          o.metadata.managedFields = [{ manager: 'kube-controller-manager' }];
          o.metadata.generation = 2;
        }),
      ),
    ).toBe(true);
  });

  test('a list item (no apiVersion and kind) and the same object from a watch event agree', () => {
    const { apiVersion: _a, kind: _k, ...listItem } = base;
    expect(changedOnlyByServer(listItem as KubeObject, base)).toBe(true);
  });

  test('key order does not matter', () => {
    const reordered: KubeObject = {
      status: base.status,
      spec: { template: base.spec.template, replicas: 1 },
      metadata: { labels: { app: 'web' }, namespace: 'default', name: 'web', resourceVersion: '12' },
      kind: 'Deployment',
      apiVersion: 'apps/v1',
    };
    expect(changedOnlyByServer(base, reordered)).toBe(true);
  });

  test('a label, an annotation or the spec changed by someone else is a conflict', () => {
    expect(
      changedOnlyByServer(
        base,
        changed((o) => (o.metadata.labels = { app: 'web', by: 'kubectl' })),
      ),
    ).toBe(false);
    expect(
      changedOnlyByServer(
        base,
        changed((o) => (o.metadata.annotations = { note: 'x' })),
      ),
    ).toBe(false);
    expect(
      changedOnlyByServer(
        base,
        changed((o) => (o.spec.replicas = 3)),
      ),
    ).toBe(false);
    expect(
      changedOnlyByServer(
        base,
        changed((o) => (o.data = { key: 'v' })),
      ),
    ).toBe(false);
  });
});
