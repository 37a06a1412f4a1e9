import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// The web UI's list views ask for objects without managedFields (x-corral-slim on the list, `slim`
// on the watch); everything else, the object page and the YAML editor included, gets them whole.

interface KubeList {
  items: { metadata: { name: string; managedFields?: unknown[] } }[];
  metadata: { resourceVersion: string };
}

test('a slim list and a slim watch leave out managedFields; plain ones keep them, errors pass unchanged', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane()]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'slim');
  await kubectl(cp, 'create', 'namespace', 'slim');
  for (const name of ['a', 'b', 'c'])
    await kubectl(cp, 'create', 'configmap', name, '-n', 'slim', '--from-literal=k=v');
  const base = `/k8s/clusters/${clusterId}/api/v1/namespaces/slim/configmaps`;
  const slim = { 'x-corral-slim': 'true' };

  const full = await server.call(base, { token: admin });
  expect(full.status, full.text).toBe(200);
  const fullList = full.json as KubeList;
  expect(fullList.items.every((i) => Array.isArray(i.metadata.managedFields))).toBe(true);

  const light = await server.call(base, { token: admin, headers: slim });
  expect(light.status, light.text).toBe(200);
  const lightList = light.json as KubeList;
  expect(lightList.items.map((i) => i.metadata.name)).toEqual(fullList.items.map((i) => i.metadata.name));
  expect(lightList.items.some((i) => 'managedFields' in i.metadata)).toBe(false);
  expect(Number(light.headers['content-length'])).toBe(Buffer.byteLength(light.text));
  expect(light.text.length).toBeLessThan(full.text.length);
  // Nothing else is lost.
  const strip = (l: KubeList) =>
    l.items.map(({ metadata: { managedFields: _m, ...m }, ...rest }) => ({ ...rest, metadata: m }));
  expect(strip(lightList)).toEqual(strip(fullList));

  // One object: the object page asks without the header and gets it whole.
  const one = await server.call(`${base}/a`, { token: admin });
  expect(Array.isArray(one.json.metadata.managedFields)).toBe(true);
  const oneSlim = await server.call(`${base}/a`, { token: admin, headers: slim });
  expect(oneSlim.json.metadata.managedFields).toBeUndefined();
  expect(oneSlim.json.data).toEqual({ k: 'v' });

  // A Kubernetes error comes back as the cluster sent it.
  const missing = await server.call(`${base}/nope`, { token: admin, headers: slim });
  expect(missing.status).toBe(404);
  expect(missing.json.kind).toBe('Status');
  expect(missing.json.reason).toBe('NotFound');

  // The watch: one slim, one whole, from the same version.
  const ws = new WebSocket(new URL('/v3/subscribe', server.url.replace(/^https/, 'wss')), {
    ca: server.ca,
    headers: { authorization: `Bearer ${admin}` },
  });
  const events: { id?: string; events?: { type: string; object: { metadata: Record<string, unknown> } }[] }[] = [];
  ws.on('message', (d) => events.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const path = '/api/v1/namespaces/slim/configmaps';
  const rv = fullList.metadata.resourceVersion;
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
}, 300_000);
