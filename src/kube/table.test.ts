import { expect, test } from 'vitest';
import { parseShortDuration, tableRows, type Table } from './table.js';

const columns = [
  { name: 'Name', type: 'string', format: 'name', priority: 0 },
  { name: 'Status', type: 'string', format: '', priority: 0 },
  { name: 'Age', type: 'string', format: '', priority: 0 },
];

test('durations as Kubernetes prints them', () => {
  expect(parseShortDuration('45s')).toBe(45);
  expect(parseShortDuration('5m3s')).toBe(303);
  expect(parseShortDuration('2d4h')).toBe(2 * 86_400 + 4 * 3600);
  expect(parseShortDuration('3y45d')).toBe(3 * 31_536_000 + 45 * 86_400);
  expect(parseShortDuration('<unknown>')).toBeUndefined();
  expect(parseShortDuration('')).toBeUndefined();
  expect(parseShortDuration('5x')).toBeUndefined();
});

test('rows without objects take the name from the name column and the namespace from the caller', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  const table: Table = {
    kind: 'Table',
    columnDefinitions: [columns[1]!, columns[0]!, columns[2]!],
    rows: [{ cells: ['Running', 'web-1', '90s'], object: null }, { cells: ['Pending', 'web-2', '<unknown>'] }],
  };
  expect(tableRows(table, 'prod', now)).toEqual([
    {
      metadata: { name: 'web-1', namespace: 'prod', creationTimestamp: '2026-12-06T09:58:30.000Z' },
      cells: ['Running', 'web-1', '90s'],
    },
    { metadata: { name: 'web-2', namespace: 'prod' }, cells: ['Pending', 'web-2', '<unknown>'] },
  ]);
});

test('rows with metadata keep who they are and drop the rest; a bookmark has no row', () => {
  const table: Table = {
    kind: 'Table',
    rows: [
      {
        cells: ['web-1', 'Running', '5m'],
        object: {
          metadata: {
            name: 'web-1',
            namespace: 'prod',
            uid: 'u-1',
            resourceVersion: '42',
            creationTimestamp: '2026-12-06T09:55:00Z',
            managedFields: [{ manager: 'kubectl' }],
            labels: { app: 'web' },
          },
        },
      },
      { cells: ['', '0/0', ''], object: { metadata: { resourceVersion: '43' } } },
    ],
  };
  expect(tableRows(table, 'ignored')).toEqual([
    {
      metadata: {
        name: 'web-1',
        namespace: 'prod',
        uid: 'u-1',
        resourceVersion: '42',
        creationTimestamp: '2026-12-06T09:55:00Z',
      },
      cells: ['web-1', 'Running', '5m'],
    },
  ]);
});
