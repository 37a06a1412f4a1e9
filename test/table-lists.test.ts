import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { TABLE_ACCEPT, tableRows, type RowObject, type Table } from '../src/kube/table.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// Big list views (pods) list and watch the API server's printed rows instead of objects: a list
// through the proxy as a Table, and a `table` watch on /v3/subscribe sending one row per event.

test('a pod list through the proxy comes as rows, and a table watch sends each change as a row', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane()]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'rows');
  await kubectl(cp, 'create', 'namespace', 'rows');
  await eventually(() => kubectl(cp, 'get', 'serviceaccount', 'default', '-n', 'rows'), 'the default account');
  await kubectl(cp, 'run', 'first', '--image=registry.invalid/x:1', '-n', 'rows');

  const path = '/api/v1/namespaces/rows/pods';
  const listed = await server.call(`/k8s/clusters/${clusterId}${path}?includeObject=None`, {
    token: admin,
    headers: { accept: TABLE_ACCEPT },
  });
  expect(listed.status, listed.text).toBe(200);
  const table = listed.json as Table;
  expect(table.kind).toBe('Table');
  const names = (table.columnDefinitions ?? []).map((c) => c.name);
  expect(names).toEqual(expect.arrayContaining(['Name', 'Ready', 'Status', 'Restarts', 'Age']));
  const before = Date.now();
  const [row] = tableRows(table, 'rows');
  expect(row?.metadata.name).toBe('first');
  expect(row?.metadata.namespace).toBe('rows');
  expect(row?.cells[names.indexOf('Status')]).toBe('Pending');
  // The creation time comes from the printed age: within the seconds it is printed in.
  const created = Date.parse(row!.metadata.creationTimestamp!);
  expect(before - created).toBeGreaterThanOrEqual(0);
  expect(before - created).toBeLessThan(120_000);
  expect(listed.text).not.toContain('managedFields');

  const ws = new WebSocket(new URL('/v3/subscribe', server.url.replace(/^https/, 'wss')), {
    ca: server.ca,
    headers: { authorization: `Bearer ${admin}` },
  });
  const messages: { id?: string; events?: { type: string; object: RowObject }[] }[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(
    JSON.stringify({
      op: 'watch',
      id: 'rows',
      target: { kind: 'k8s', cluster: clusterId, path, table: true },
      resourceVersion: table.metadata?.resourceVersion,
    }),
  );
  const eventsOf = (name: string) =>
    messages.flatMap((m) => (m.id === 'rows' ? (m.events ?? []) : [])).filter((e) => e.object.metadata.name === name);
  // A watch needs a moment to start; then a pod is added, changed and deleted.
  await new Promise((r) => setTimeout(r, 500));
  await kubectl(cp, 'run', 'second', '--image=registry.invalid/x:1', '-n', 'rows');
  await kubectl(cp, 'label', 'pod', 'second', 'tier=web', '-n', 'rows');
  await kubectl(cp, 'delete', 'pod', 'second', '-n', 'rows', '--wait=false', '--grace-period=0', '--force');
  const events = await eventually(async () => {
    const e = eventsOf('second');
    if (!e.some((x) => x.type === 'DELETED')) throw new Error(`events so far: ${JSON.stringify(e)}`);
    return e;
  }, 'the second pod added, changed and deleted on the table watch');
  ws.close();
  expect(events[0]?.type).toBe('ADDED');
  expect(events.some((e) => e.type === 'MODIFIED')).toBe(true);
  for (const e of events) {
    // A row: who it is (with the version to resume from) and its printed cells, nothing else.
    expect(Object.keys(e.object).sort()).toEqual(['cells', 'metadata']);
    expect(e.object.metadata.namespace).toBe('rows');
    expect(e.object.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(e.object.metadata.resourceVersion)).toBeGreaterThan(Number(table.metadata?.resourceVersion));
    expect(e.object.cells[0]).toBe('second');
    expect(e.object.cells.length).toBe(names.length);
  }
  // Versions only move forward.
  const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
  expect([...versions].sort((a, b) => a - b)).toEqual(versions);
  // The first pod did not change, so it sent nothing.
  expect(eventsOf('first')).toEqual([]);
}, 300_000);
