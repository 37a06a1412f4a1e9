import { createElement, Fragment, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { expect, test } from 'vitest';
import { projectSecret } from '../../../src/schema/types/project-secret.js';
import { roleTemplate } from '../../../src/schema/types/role-template.js';
import { setting } from '../../../src/schema/types/setting.js';
import { token } from '../../../src/schema/types/token.js';
import { user } from '../../../src/schema/types/user.js';
import { relative } from '../app/format';
import { schemaColumns } from './schemaColumns';
import { initialValues, schemaBody, type FormValues } from './SchemaForm';

type Row = Record<string, unknown>;
const html = (node: ReactNode) => renderToStaticMarkup(createElement(Fragment, null, node));
const column = (cols: ReturnType<typeof schemaColumns<Row>>, id: string) => cols.find((c) => c.id === id)!;

test('the columns are the declared ones, in order, with headers from the field names and labels', () => {
  const cols = schemaColumns<Row>(user);
  expect(cols.map((c) => c.id)).toEqual(user.columns);
  expect(cols.map((c) => c.header)).toEqual(['Id', 'Username', 'Display name', 'Enabled', 'Age']);
});

test('each cell shows its value as the field type says', () => {
  const now = Date.now();
  const row: Row = {
    id: 'token-abc',
    description: 'ci',
    clusterId: 'c-1',
    expiresAt: new Date(now + 3 * 86400_000 + 60_000).toISOString(),
    created: new Date(now - 2 * 3600_000).toISOString(),
    state: 'active',
  };
  const cols = schemaColumns<Row>(token, { columns: [...token.columns, 'state'] });
  expect(html(column(cols, 'id').cell(row))).toBe('<code>token-abc</code>');
  expect(html(column(cols, 'clusterId').cell(row))).toBe('<code>c-1</code>');
  expect(html(column(cols, 'created').cell(row))).toMatch(/^<time datetime="[^"]+" title="[^"]+">2h<\/time>$/i);
  expect(html(column(cols, 'expiresAt').cell(row))).toContain('>in 3d<');
  expect(html(column(cols, 'state').cell(row))).toContain('data-state="active"');
  // Nothing there is a muted dash, not an empty cell.
  expect(html(column(cols, 'description').cell({}))).toBe('<span class="muted">—</span>');
  // A missing expiry sorts after every real one.
  expect(column(cols, 'expiresAt').sortValue!({})).toBe('9999');
});

test('booleans, lists of objects, lists of values and long text are compact', () => {
  const rt = schemaColumns<Row>(roleTemplate, { columns: ['builtin', 'rules', 'roleTemplateIds'] });
  expect(column(rt, 'builtin').cell({ builtin: true })).toBe('yes');
  expect(column(rt, 'builtin').cell({ builtin: false })).toBe('no');
  expect(column(rt, 'rules').cell({ rules: [{ verbs: ['get'] }, { verbs: ['list'] }] })).toBe(2);
  expect(html(column(rt, 'roleTemplateIds').cell({ roleTemplateIds: ['a', 'b'] }))).toBe('<span>a, b</span>');

  const value = 'x'.repeat(200);
  const cell = html(column(schemaColumns<Row>(setting), 'value').cell({ value }));
  expect(cell).toContain(`title="${value}"`);
  expect(cell).toContain(`>${'x'.repeat(79)}…<`);

  const secrets = schemaColumns<Row>(projectSecret);
  expect(html(column(secrets, 'keys').cell({ keys: ['tls.crt', 'tls.key'] }))).toBe('<span>tls.crt, tls.key</span>');
});

test('a page overrides parts of a derived column and places its own columns', () => {
  const cols = schemaColumns<Row>(setting, {
    override: { id: { header: 'Name' } },
    extra: [{ id: 'actions', header: 'Actions', cell: () => 'edit' }],
  });
  expect(cols.map((c) => [c.id, c.header])).toEqual([
    ['id', 'Name'],
    ['value', 'Value'],
    ['customized', 'Customized'],
    ['actions', 'Actions'],
  ]);
  // The override keeps the rest of the derived column.
  expect(column(cols, 'id').sortValue!({ id: 'server-url' })).toBe('server-url');
  const placed = schemaColumns<Row>(setting, {
    columns: ['actions', 'id'],
    extra: [{ id: 'actions', header: 'Actions', cell: () => 'edit' }],
  });
  expect(placed.map((c) => c.id)).toEqual(['actions', 'id']);
});

test('relative times: ages in the past, "in …" for the future', () => {
  const now = Date.parse('2026-01-10T00:00:00Z');
  expect(relative('2026-01-09T23:57:00Z', now)).toBe('3m');
  expect(relative('2026-01-12T00:00:00Z', now)).toBe('in 2d');
  expect(relative(undefined, now)).toBe('—');
});

test('an update sends emptied inputs as cleared values; a create leaves them out', () => {
  const names = ['name', 'description', 'context'];
  const values: FormValues = { ...initialValues(roleTemplate.fields, names), name: 'Reader', description: '  ' };
  // A required choice starts at the first option, which is what its select shows.
  expect(values.context).toBe('cluster');
  expect(schemaBody(roleTemplate.fields, names, values)).toEqual({ name: 'Reader', context: 'cluster' });
  expect(schemaBody(roleTemplate.fields, names, values, 'update')).toEqual({
    name: 'Reader',
    description: '',
    context: 'cluster',
  });
  // A setting's value may span lines (a PEM) and keeps its whitespace.
  const pem = '-----BEGIN X-----\nabc\n-----END X-----\n';
  expect(schemaBody(setting.fields, ['value'], { value: pem }, 'update')).toEqual({ value: pem });
  expect(schemaBody(setting.fields, ['value'], { value: '' }, 'update')).toEqual({ value: '' });
});
