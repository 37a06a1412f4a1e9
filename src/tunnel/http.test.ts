import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunnelStream } from './index.js';
import { tunnelPair, type TunnelPair } from './testing.js';

/**
 * The way the tunnel is used: the management server sends plain HTTP/1.1 over a stream it opens;
 * the agent hands each stream to an http.Server as a connection.
 */
let pair: TunnelPair;
let agentHttp: http.Server;
const agentStreams: TunnelStream[] = [];
/** SHA-256 of each /echo request body as the agent's HTTP server read it. */
const agentReceived: string[] = [];

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

beforeAll(async () => {
  pair = await tunnelPair();
  agentHttp = http.createServer((req, res) => {
    if (req.url === '/echo') {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => hash.update(chunk));
      req.on('end', () => agentReceived.push(hash.digest('hex')));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${req.headers.host}`);
  });
  agentHttp.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: corral-test\r\n\r\nserver speaks first;',
    );
    if (head.length) socket.write(head.toString().toUpperCase());
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString('latin1').toUpperCase(), 'latin1'));
    socket.on('end', () => socket.end('server done'));
  });
  pair.client.onStream((stream) => {
    agentStreams.push(stream);
    agentHttp.emit('connection', stream);
  });
});

afterAll(async () => {
  await pair.dispose();
  agentHttp.close();
});

function request(options: http.RequestOptions): http.ClientRequest {
  return http.request({ host: 'cluster.test', ...options, createConnection: () => pair.server.openStream({}) });
}

async function body(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('HTTP over the tunnel', () => {
  it('answers a simple request and releases the stream on both sides', async () => {
    const req = request({ path: '/hello' });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    expect(res.statusCode).toBe(200);
    expect((await body(res)).toString()).toBe('hello from cluster.test:80');
    await expect
      .poll(() => [pair.server.stats().openStreams, pair.client.stats().openStreams], { timeout: 5000 })
      .toEqual([0, 0]);
  });

  it('carries a 20 MB request body and its 20 MB echo intact', async () => {
    const payload = randomBytes(20 * 1024 * 1024);
    const req = request({ path: '/echo', method: 'POST', headers: { 'content-length': payload.length } });
    // The echo starts before the upload ends, so the response is read while the request is written.
    const echo = (once(req, 'response') as Promise<[http.IncomingMessage]>).then(([res]) => body(res));
    // Written in 1 MiB pieces with backpressure, as a proxy would.
    for (let offset = 0; offset < payload.length; offset += 1024 * 1024) {
      if (!req.write(payload.subarray(offset, offset + 1024 * 1024))) await once(req, 'drain');
    }
    req.end();
    const echoed = await echo;
    expect(echoed.length).toBe(payload.length);
    expect(sha(echoed)).toBe(sha(payload));
    expect(agentReceived.at(-1)).toBe(sha(payload));
    await expect
      .poll(() => [pair.server.stats().openStreams, pair.client.stats().openStreams], { timeout: 5000 })
      .toEqual([0, 0]);
  });

  it('switches protocols with 101 and then carries raw bytes both ways', async () => {
    const req = request({ path: '/exec', headers: { connection: 'Upgrade', upgrade: 'corral-test' } });
    req.end();
    const [res, socket, head] = (await once(req, 'upgrade')) as [http.IncomingMessage, Duplex, Buffer];
    expect(res.statusCode).toBe(101);
    expect(res.headers.upgrade).toBe('corral-test');

    const received: Buffer[] = [head];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const text = () => Buffer.concat(received).toString('latin1');
    await expect.poll(text, { timeout: 5000 }).toBe('server speaks first;');

    socket.write('ping;');
    await expect.poll(text, { timeout: 5000 }).toBe('server speaks first;PING;');

    // A large raw payload after the upgrade, both ways (uppercased by the agent).
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    socket.write(big);
    socket.end();
    await once(socket, 'end');
    expect(text()).toBe('server speaks first;PING;' + 'X'.repeat(big.length) + 'server done');
    await expect
      .poll(() => [pair.server.stats().openStreams, pair.client.stats().openStreams], { timeout: 5000 })
      .toEqual([0, 0]);
  });

  it('tells the agent when the caller aborts a request mid-response', async () => {
    const before = agentStreams.length;
    const req = request({ path: '/echo', method: 'POST' });
    req.write('partial');
    req.on('error', () => {});
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    expect(res.statusCode).toBe(200);
    const agentSide = agentStreams[before]!;
    const agentClosed = once(agentSide, 'close');
    req.destroy();
    await agentClosed;
    expect(pair.client.stats().openStreams).toBe(0);
  });

  it('pools streams like sockets in a keep-alive http.Agent, and closes them when idle', async () => {
    const before = agentStreams.length;
    const agent = new (class extends http.Agent {
      override createConnection(): Duplex {
        return pair.server.openStream({ kind: 'http' });
      }
    })({ keepAlive: true, maxSockets: 2, timeout: 200 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const req = http.request({ host: 'cluster.test', path: '/hello', agent });
        req.end();
        const [res] = (await once(req, 'response')) as [http.IncomingMessage];
        return (await body(res)).toString();
      }),
    );
    expect(answers).toEqual(Array(10).fill('hello from cluster.test'));
    // Ten requests rode two streams.
    expect(agentStreams.length - before).toBe(2);
    // The pool closes idle streams through their setTimeout (long before the server's keep-alive timeout).
    await expect
      .poll(() => [pair.server.stats().openStreams, pair.client.stats().openStreams], { timeout: 5000 })
      .toEqual([0, 0]);
    agent.destroy();
  });
});
