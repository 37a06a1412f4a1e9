import { describe, expect, test } from 'vitest';
import { currentRevision, historyOf, templateFromControllerRevision, type KubeObject } from './workload-spec.js';

const owner = { metadata: { name: 'db', uid: 'u-1' } } as KubeObject;
const revision = (name: string, n: number, image: string, uid = 'u-1') =>
  ({
    metadata: { name, ownerReferences: [{ kind: 'StatefulSet', name: 'db', uid }] },
    revision: n,
    data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c', image }] } } } },
  }) as unknown as KubeObject;

describe('revisions of StatefulSets and DaemonSets (ControllerRevisions)', () => {
  test('the template without the patch directive', () => {
    expect(templateFromControllerRevision(revision('db-1', 1, 'a'))).toEqual({
      spec: { containers: [{ name: 'c', image: 'a' }] },
    });
  });

  test("only the workload's own, newest first; the newest is current", () => {
    const h = historyOf(owner, [revision('db-1', 1, 'a'), revision('db-3', 3, 'c'), revision('x-2', 2, 'b', 'u-2')]);
    expect(h.map((e) => [e.name, e.revision, e.replicas])).toEqual([
      ['db-3', 3, undefined],
      ['db-1', 1, undefined],
    ]);
    expect(currentRevision(owner, h)).toBe(3);
  });

  test("a Deployment's current revision is its annotation, its ReplicaSets its history", () => {
    const dep = { metadata: { name: 'web', uid: 'd', annotations: { 'deployment.kubernetes.io/revision': '1' } } };
    const rs = {
      metadata: {
        name: 'web-abc',
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'd' }],
      },
      spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } } },
      status: { replicas: 2 },
    };
    const h = historyOf(dep as KubeObject, [rs as unknown as KubeObject]);
    expect(h).toEqual([
      { name: 'web-abc', revision: 1, created: null, replicas: 2, template: { metadata: { labels: { app: 'web' } } } },
    ]);
    expect(currentRevision(dep as KubeObject, [])).toBe(1);
  });
});
