import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// The web UI's tables watch objects without managedFields (`slim` on the watch target); every
// other watch, the object page's included, gets them whole.

test('a slim watch leaves out managedFields, a plain one keeps them', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane()]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'slim');
  await kubectl(cp, 'create', 'namespace', 'slim');
  const list = await server.call(`/k8s/clusters/${clusterId}/api/v1/namespaces/slim/configmaps`, { token: admin });
  expect(list.status, list.text).toBe(200);

  // The watch: one slim, one whole, from the same version.
  const ws = new WebSocket(new URL('/v3/subscribe', server.url.replace(/^https/, 'wss')), {
    ca: server.ca,
    headers: { authorization: `Bearer ${admin}` },
  });
  const events: { id?: string; events?: { type: string; object: { metadata: Record<string, unknown> } }[] }[] = [];
  ws.on('message', (d) => events.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const path = '/api/v1/namespaces/slim/configmaps';
  const rv = list.json.metadata.resourceVersion as string;
  ws.send(
    JSON.stringify({
      op: 'watch',
      id: 'slim',
      target: { kind: 'k8s', cluster: clusterId, path, slim: true },
      resourceVersion: rv,
    }),
  );
  ws.send(
    JSON.stringify({
      op: 'watch',
      id: 'whole',
      target: { kind: 'k8s', cluster: clusterId, path },
      resourceVersion: rv,
    }),
  );
  await kubectl(cp, 'create', 'configmap', 'd', '-n', 'slim', '--from-literal=k=v');
  const added = (id: string) =>
    events
      .filter((m) => m.id === id)
      .flatMap((m) => m.events ?? [])
      .find((e) => e.object.metadata.name === 'd');
  const [slimEvent, wholeEvent] = await eventually(async () => {
    const s = added('slim');
    const w = added('whole');
    if (!s || !w) throw new Error('not yet');
    return [s, w];
  }, 'the new configmap on both watches');
  ws.close();
  expect('managedFields' in slimEvent.object.metadata).toBe(false);
  expect(Array.isArray(wholeEvent.object.metadata.managedFields)).toBe(true);
  // Nothing else is lost.
  const { managedFields: _m, ...rest } = wholeEvent.object.metadata;
  expect(slimEvent.object.metadata).toEqual(rest);
}, 300_000);
