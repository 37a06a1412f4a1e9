import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { testDir } from '../../../test/helpers/control-plane.js';
import { openSqliteStore } from '../../store/sqlite.js';
import { failInterruptedApps, manifestResources, parseExternalId } from './apps.js';
import { compareVersions, parseQuestions } from './charts.js';
import { answersToValues, HELM_TOKEN_TTL_MS } from './helm.js';
import { externalIdFor } from './sync.js';

describe('catalog pieces', () => {
  it('externalIds in the three catalog forms, and back', () => {
    expect(externalIdFor('catalog', 'lib', 'demo', '1.0.0')).toBe('catalog://?catalog=lib&template=demo&version=1.0.0');
    const cluster = externalIdFor('clusterCatalog', 'c-abcde:mine', 'demo', '1.0.0');
    expect(cluster).toBe('catalog://?catalog=c-abcde%2Fmine&type=clusterCatalog&template=demo&version=1.0.0');
    expect(parseExternalId(cluster)).toMatchObject({
      catalogType: 'clusterCatalog',
      catalogId: 'c-abcde:mine',
      templateVersionId: 'c-abcde-mine-demo-1.0.0',
    });
    expect(parseExternalId('catalog://?catalog=p-x/pc&type=projectCatalog&template=t&version=2').templateId).toBe(
      'p-x-pc-t',
    );
    expect(() => parseExternalId('helm://x')).toThrow(/must look like catalog:\/\//);
    expect(() => parseExternalId('catalog://?catalog=a&template=b')).toThrow(/needs catalog, template and version/);
    expect(() => parseExternalId('catalog://?catalog=a&template=b&version=1&type=x')).toThrow(/type must be/);
  });

  it('answers typed as --set types them; manifests as Kind/name; versions in SemVer order', () => {
    expect(answersToValues({ 'a.b': '2', 'a.c': 'true', d: 'x', e: '007x' })).toBe(
      'a:\n  b: 2\n  c: true\nd: x\ne: 007x\n',
    );
    expect(
      manifestResources(
        '---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\nkind: Deployment\nmetadata:\n  name: d\n',
      ),
    ).toEqual(['Service/s', 'Deployment/d']);
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1', 'v1.9.9'].sort(compareVersions)).toEqual([
      '1.2.0-rc.1',
      '1.2.0',
      'v1.9.9',
      '1.10.0',
    ]);
  });

  it('questions.yml: what is wrong and where', () => {
    expect(parseQuestions('questions:\n- variable: a\n  type: enum\n  options: [x]\n')).toHaveLength(1);
    expect(() => parseQuestions('questions: 3')).toThrow('must hold a list under `questions:`');
    expect(() => parseQuestions('questions:\n- label: x\n')).toThrow('questions[0] needs a variable');
    expect(() => parseQuestions('questions:\n- variable: a\n  type: enum\n')).toThrow('(a): an enum needs options');
    expect(() =>
      parseQuestions('questions:\n- variable: a\n  subquestions:\n  - variable: b\n    type: nope\n'),
    ).toThrow('questions[0].subquestions[0] (b): unknown type "nope"');
    expect(() => parseQuestions('questions: [')).toThrow(/^not YAML/);
  });

  it('apps whose helm was interrupted fail once its token has expired, and no sooner', async () => {
    const store = await openSqliteStore({ path: join(await testDir('apps'), 'corral.db') });
    onTestFinished(() => store.close());
    const now = Date.parse('2026-01-01T12:00:00Z');
    const app = (name: string, state: string, startedMsAgo: number) =>
      store.create({
        type: 'app',
        id: `p-x:${name}`,
        metadata: { name, labels: {}, annotations: {} },
        spec: { name },
        status: { state, operationStarted: new Date(now - startedMsAgo).toISOString() },
      });
    await app('old', 'upgrading', HELM_TOKEN_TTL_MS + 120_000);
    await app('recent', 'installing', 60_000);
    await app('done', 'active', HELM_TOKEN_TTL_MS * 4);
    expect(await failInterruptedApps(store, now)).toBe(1);
    expect((await store.get('app', 'p-x:old')).status).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/upgrading was interrupted/),
    });
    expect((await store.get('app', 'p-x:recent')).status.state).toBe('installing');
    expect((await store.get('app', 'p-x:done')).status.state).toBe('active');
    expect(await failInterruptedApps(store, now)).toBe(0);
  });
});
