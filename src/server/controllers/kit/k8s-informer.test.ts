import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Upstream } from '../../../kube/forward.js';
import { K8sInformer } from './k8s-informer.js';

interface Pod {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
}
const pod = (name: string, rv: string, namespace = 'default'): Pod => ({
  metadata: { name, namespace, uid: `u-${name}`, resourceVersion: rv },
});

/** A fake API server: `handle` answers each request; requests are recorded. */
async function fakeApi(handle: (url: URL, req: IncomingMessage, res: ServerResponse) => void) {
  const requests: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    handle(url, req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upstream: Upstream = {
    protocol: 'http:',
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    options: { agent: false },
  };
  servers.push(server);
  return { upstream, requests };
}
const servers: Server[] = [];
const informers: { stop(): void }[] = [];
afterEach(async () => {
  for (const i of informers.splice(0)) i.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
};

const status = (res: ServerResponse, code: number, message: string) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', code, message }));
};

describe('K8sInformer', () => {
  it('lists in pages, watches from the list version, and keeps a cache indexed by namespace', async () => {
    let watchFrom: string | null = null;
    let watchRes: ServerResponse | undefined;
    const { upstream } = await fakeApi((url, _req, res) => {
      if (url.searchParams.get('watch')) {
        watchFrom = url.searchParams.get('resourceVersion');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watchRes = res;
        return;
      }
      const second = url.searchParams.get('continue') === 'next';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          metadata: second ? { resourceVersion: '10' } : { resourceVersion: '9', continue: 'next' },
          items: second ? [pod('b', '5', 'kube-system')] : [pod('a', '4')],
        }),
      );
    });
    const informer = new K8sInformer<Pod>(upstream, { path: '/api/v1/pods', pageSize: 1 });
    informers.push(informer);
    const seen: string[] = [];
    informer.on({
      onAdd: (p) => seen.push(`add ${p.metadata.name}`),
      onUpdate: (_o, p) => seen.push(`update ${p.metadata.name}`),
      onDelete: (p) => seen.push(`delete ${p.metadata.name}`),
    });
    informer.start();
    await until(() => watchRes !== undefined);
    expect(watchFrom).toBe('10');
    expect(informer.synced).toBe(true);
    expect(informer.cache.inNamespace('kube-system').map((p) => p.metadata.name)).toEqual(['b']);
    watchRes!.write(`${JSON.stringify({ type: 'MODIFIED', object: pod('a', '11') })}\n`);
    watchRes!.write(`${JSON.stringify({ type: 'ADDED', object: pod('c', '12', 'kube-system') })}\n`);
    watchRes!.write(`${JSON.stringify({ type: 'DELETED', object: pod('b', '13', 'kube-system') })}\n`);
    await until(() => seen.length === 5);
    expect(seen).toEqual(['add a', 'add b', 'update a', 'add c', 'delete b']);
    expect(informer.cache.inNamespace('kube-system').map((p) => p.metadata.name)).toEqual(['c']);
  });

  it('lists again after 410 Gone and reports only the differences', async () => {
    let lists = 0;
    const { upstream } = await fakeApi((url, _req, res) => {
      if (url.searchParams.get('watch')) {
        if (lists === 1) return status(res, 410, 'too old');
        res.writeHead(200);
        res.flushHeaders();
        return;
      }
      lists++;
      res.writeHead(200, { 'content-type': 'application/json' });
      const items = lists === 1 ? [pod('a', '1'), pod('b', '2')] : [pod('a', '1'), pod('c', '7')];
      res.end(JSON.stringify({ metadata: { resourceVersion: String(lists * 10) }, items }));
    });
    const informer = new K8sInformer<Pod>(upstream, { path: '/api/v1/pods', backoff: { baseMs: 10 } });
    informers.push(informer);
    const seen: string[] = [];
    informer.on({
      onAdd: (p) => seen.push(`add ${p.metadata.name}`),
      onUpdate: (_o, p) => seen.push(`update ${p.metadata.name}`),
      onDelete: (p) => seen.push(`delete ${p.metadata.name}`),
    });
    informer.start();
    await until(() => lists === 2 && seen.length === 4);
    await sleep(30);
    expect(seen).toEqual(['add a', 'add b', 'delete b', 'add c']);
  });

  it('backs off exponentially on 403 instead of reopening at once', async () => {
    const { upstream, requests } = await fakeApi((_url, _req, res) => status(res, 403, 'forbidden'));
    const failures: { status?: number; retryInMs: number }[] = [];
    const informer = new K8sInformer(upstream, {
      path: '/api/v1/pods',
      backoff: { baseMs: 40, maxMs: 10_000, random: () => 0.999 },
      onFailure: (_reason, s, retryInMs) => failures.push({ status: s, retryInMs }),
    });
    informers.push(informer);
    informer.start();
    await sleep(500);
    // 40 + 80 + 160 = 280 ms, then a 320 ms wait: four attempts in half a second, not hundreds.
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.length).toBeLessThanOrEqual(5);
    expect(failures[0]?.status).toBe(403);
    const delays = failures.map((f) => f.retryInMs);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
  });

  it('backs off when the watch is refused after a good list', async () => {
    let lists = 0;
    const { upstream } = await fakeApi((url, _req, res) => {
      if (url.searchParams.get('watch')) return status(res, 429, 'slow down');
      lists++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ metadata: { resourceVersion: '1' }, items: [] }));
    });
    const informer = new K8sInformer(upstream, {
      path: '/api/v1/pods',
      backoff: { baseMs: 40, random: () => 0.999 },
    });
    informers.push(informer);
    informer.start();
    await sleep(500);
    expect(lists).toBeGreaterThanOrEqual(3);
    expect(lists).toBeLessThanOrEqual(5);
  });
});
