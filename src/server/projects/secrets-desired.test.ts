import { expect, test } from 'vitest';
import { planChanges } from '../rbac/plan.js';
import { desiredProjectSecrets } from './secrets-desired.js';

const decode = (v: string) => Buffer.from(v, 'base64').toString();

test('each project secret is copied into every namespace of its project and no other', () => {
  const out = desiredProjectSecrets({
    clusterId: 'c-abcde',
    namespaces: [
      { name: 'a1', projectId: 'p-aaaaa' },
      { name: 'a2', projectId: 'p-aaaaa' },
      { name: 'b1', projectId: 'p-bbbbb' },
      { name: 'loose' },
    ],
    secrets: [
      { projectId: 'p-aaaaa', name: 'db', kind: 'secret', values: { data: { password: 'hunter2' } } },
      {
        projectId: 'p-aaaaa',
        name: 'registry',
        kind: 'dockerCredential',
        values: { registries: { 'reg.example': { username: 'u', password: 'p' } } },
      },
    ],
  });
  expect(out.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
    'a1/db',
    'a1/registry',
    'a2/db',
    'a2/registry',
  ]);
  const db = out.find((o) => o.metadata.name === 'db')!;
  expect(db.type).toBe('Opaque');
  expect(decode(db.data!.password!)).toBe('hunter2');
  expect(db.metadata.labels).toMatchObject({
    'corral.io/managed': 'true',
    'corral.io/cluster': 'c-abcde',
    'corral.io/project': 'p-aaaaa',
  });
  const reg = out.find((o) => o.metadata.name === 'registry')!;
  expect(reg.type).toBe('kubernetes.io/dockerconfigjson');
  expect(JSON.parse(decode(reg.data!['.dockerconfigjson']!))).toEqual({
    auths: { 'reg.example': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') } },
  });
});

test('a changed value is an update, a namespace that left is a delete', () => {
  const want = desiredProjectSecrets({
    clusterId: 'c-abcde',
    namespaces: [{ name: 'a1', projectId: 'p-aaaaa' }],
    secrets: [{ projectId: 'p-aaaaa', name: 'db', kind: 'secret', values: { data: { password: 'new' } } }],
  });
  const have = desiredProjectSecrets({
    clusterId: 'c-abcde',
    namespaces: [
      { name: 'a1', projectId: 'p-aaaaa' },
      { name: 'gone', projectId: 'p-aaaaa' },
    ],
    secrets: [{ projectId: 'p-aaaaa', name: 'db', kind: 'secret', values: { data: { password: 'old' } } }],
  });
  const plan = planChanges(want, have);
  expect(plan.update.map((o) => o.metadata.namespace)).toEqual(['a1']);
  expect(plan.delete.map((o) => o.metadata.namespace)).toEqual(['gone']);
  expect(plan.create).toEqual([]);
  expect(planChanges(want, want).update).toEqual([]);
});
