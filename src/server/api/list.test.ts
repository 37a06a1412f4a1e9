import { describe, expect, test } from 'vitest';
import { filterRendered, parseFilters, parseLimit } from './list.js';
import { schemasHeader } from './schemas-endpoint.js';

const q = (s: string) => new URLSearchParams(s);

describe('list queries', () => {
  test("filters on known fields, with Rancher's modifiers; unknown ones are ignored", () => {
    const filters = parseFilters(
      ['name', 'projectId'],
      q('name=web&projectId_ne=&id_prefix=c-&removed_null=1&system=false&all=true&state_ne=inactive&limit=5'),
    );
    expect(filters).toEqual([
      { field: 'name', op: 'eq', value: 'web' },
      { field: 'projectId', op: 'ne', value: '' },
      { field: 'id', op: 'prefix', value: 'c-' },
      { field: 'state', op: 'ne', value: 'inactive' },
    ]);
  });

  test('filters rendered items; absent and null compare as empty', () => {
    const items = [
      { id: 'a', name: 'web', workloadId: null },
      { id: 'b', name: 'db', workloadId: 'deployment:x:db' },
      { id: 'c', name: 'web2' },
    ];
    expect(filterRendered(items, parseFilters(['workloadId'], q('workloadId=')))).toEqual([items[0], items[2]]);
    expect(filterRendered(items, parseFilters(['name'], q('name_prefix=web'))).map((i) => i.id)).toEqual(['a', 'c']);
    expect(filterRendered(items, parseFilters(['name'], q('name=db&bogus=1'))).map((i) => i.id)).toEqual(['b']);
  });

  test('limit: 1 to the maximum, -1 for the maximum, default when absent', () => {
    expect(parseLimit(q(''))).toBe(1000);
    expect(parseLimit(q('limit='))).toBe(1000);
    expect(parseLimit(q('limit=7'))).toBe(7);
    expect(parseLimit(q('limit=-1'))).toBe(5000);
    for (const bad of ['0', '-2', '5001', '1.5', 'all'])
      expect(() => parseLimit(q(`limit=${bad}`)), bad).toThrow(/limit/);
  });

  test('the schemas header names the API a path belongs to', () => {
    const base = 'https://corral.example';
    expect(schemasHeader(base, '/v3')).toEqual({ 'x-api-schemas': `${base}/v3/schemas` });
    expect(schemasHeader(base, '/v3/clusters')).toEqual({ 'x-api-schemas': `${base}/v3/schemas` });
    expect(schemasHeader(base, '/v3/clusters/c-abcde')).toEqual({
      'x-api-schemas': `${base}/v3/clusters/c-abcde/schemas`,
    });
    expect(schemasHeader(base, '/v3/Projects/c-abcde:p-x/workloads')).toEqual({
      'x-api-schemas': `${base}/v3/projects/c-abcde:p-x/schemas`,
    });
    expect(schemasHeader(base, '/v1')).toEqual({ 'x-api-schemas': `${base}/v1/schemas` });
  });
});
