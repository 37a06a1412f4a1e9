import { createHash } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createCA, issueCertificate, type Certificate } from '../pki/index.js';
import { Tunnel, type TunnelStream } from '../tunnel/index.js';
import { AgentDialer, type DialerOptions, type RetryEvent } from './dialer.js';

const TOKEN = 'registration-token-secret-4f9c2b';
const CLUSTER = 'c-abc12';

let ca: Certificate;
let otherCA: Certificate;
let serving: Certificate;

beforeAll(async () => {
  ca = await createCA({ commonName: 'corral-test-ca' });
  otherCA = await createCA({ commonName: 'somebody-else-ca' });
  serving = await issueCertificate(ca, { commonName: 'corral', usages: ['server'], altNames: ['127.0.0.1'] });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

async function waitFor(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Seen {
  path: string;
  upgrade: boolean;
  headers: IncomingHttpHeaders;
}

/** A stand-in for the management server: /cacerts, and /v3/connect checking the agent's headers. */
async function startServer(options: { cacertsPem?: string } = {}) {
  const seen: Seen[] = [];
  const tunnels: Tunnel[] = [];
  const state = { refuse: 0, drop: 0 };
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    seen.push({ path: req.url ?? '', upgrade: false, headers: req.headers });
    if (req.url === '/cacerts') res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    else res.writeHead(404);
    res.end(req.url === '/cacerts' ? (options.cacertsPem ?? ca.certPem) : undefined);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ path: req.url ?? '', upgrade: true, headers: req.headers });
    const authorized = req.headers['x-corral-token'] === TOKEN && req.headers['x-corral-cluster-id'] === CLUSTER;
    if (req.url !== '/v3/connect' || !authorized || state.refuse > 0) {
      state.refuse = Math.max(0, state.refuse - 1);
      const body = JSON.stringify({ type: 'error', status: 401, code: 'Unauthorized', message: 'token not valid' });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tunnel = new Tunnel(ws);
      tunnels.push(tunnel);
      if (state.drop > 0) {
        state.drop--;
        tunnel.close(4000, 'dropped by the test');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    tunnels,
    state,
    async close() {
      for (const tunnel of tunnels) tunnel.close(1001, 'server stopping');
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type LogEntry = { level: string; msg: string; fields?: Record<string, unknown> };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dialer(options: Partial<DialerOptions> & { serverUrl: string }) {
  const logs: LogEntry[] = [];
  const retries: RetryEvent[] = [];
  const d = new AgentDialer({
    token: TOKEN,
    clusterId: CLUSTER,
    caChecksum: sha256(ca.certPem),
    minDelayMs: 10,
    maxDelayMs: 50,
    onTunnel: (tunnel) => tunnel.onStream((stream) => stream.pipe(stream)),
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
    ...options,
  });
  d.on('retry', (retry: RetryEvent) => retries.push(retry));
  cleanups.push(() => d.stop());
  return { d, logs, retries };
}

async function echoThrough(tunnel: Tunnel, text: string): Promise<string> {
  const stream: TunnelStream = tunnel.openStream();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.end(text);
  await once(stream, 'end');
  return Buffer.concat(chunks).toString();
}

describe('AgentDialer', () => {
  it('connects with the right CA checksum, sending its headers, and carries streams', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    const timersBefore = timers();
    const { d, logs } = dialer({ serverUrl: server.url, headers: { 'X-Corral-Agent-Version': '1.2.3' } });
    const connected = d.nextTunnel();
    d.start();
    await connected;
    expect(d.connected).toBe(true);

    const [cacerts, upgrade] = server.seen;
    expect(cacerts).toMatchObject({ path: '/cacerts', upgrade: false });
    expect(cacerts!.headers['x-corral-token']).toBeUndefined();
    expect(upgrade).toMatchObject({ path: '/v3/connect', upgrade: true });
    expect(upgrade!.headers).toMatchObject({
      'x-corral-token': TOKEN,
      'x-corral-cluster-id': CLUSTER,
      'x-corral-agent-version': '1.2.3',
    });
    expect(await echoThrough(server.tunnels[0]!, 'through the agent')).toBe('through the agent');

    await d.stop();
    expect(d.connected).toBe(false);
    expect(await server.tunnels[0]!.closed).toEqual({ code: 1000, reason: 'agent stopping' });
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });

  it('refuses a server whose CA does not match the checksum, and never sends it the token', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    const { d, logs, retries } = dialer({ serverUrl: server.url, caChecksum: sha256(otherCA.certPem) });
    d.start();
    await waitFor(() => retries.length >= 3, 'three attempts');
    await d.stop();

    expect(d.connected).toBe(false);
    expect(server.seen.length).toBeGreaterThanOrEqual(3);
    expect(server.seen.every((request) => request.path === '/cacerts' && !request.upgrade)).toBe(true);
    expect(server.seen.some((request) => JSON.stringify(request.headers).includes(TOKEN))).toBe(false);
    expect(logs.filter((entry) => entry.level === 'error' && /does not match/.test(entry.msg)).length).toBe(
      retries.length,
    );
  });

  it('trusts only the pinned CA: a server certificate from another CA fails before any request', async () => {
    // The server serves otherCA at /cacerts (so the checksum matches) but its certificate is from `ca`.
    const server = await startServer({ cacertsPem: otherCA.certPem });
    cleanups.push(server.close);
    const { d, logs, retries } = dialer({ serverUrl: server.url, caChecksum: sha256(otherCA.certPem) });
    d.start();
    await waitFor(() => retries.length >= 2, 'two attempts');
    await d.stop();

    expect(server.seen.every((request) => !request.upgrade)).toBe(true);
    expect(logs.some((entry) => entry.level === 'warn' && /certificate/i.test(String(entry.fields?.error)))).toBe(true);
  });

  it('logs the server refusal in its own words and keeps retrying until the token is accepted', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    server.state.refuse = 2;
    const { d, logs, retries } = dialer({ serverUrl: server.url });
    const connected = d.nextTunnel();
    d.start();
    await connected;

    expect(retries).toHaveLength(2);
    const refusals = logs.filter((entry) => entry.msg === 'the server refused the registration token');
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ level: 'warn', fields: { status: 401, message: 'token not valid' } });
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });

  it('reconnects after the server drops it, with growing delays up to the maximum', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    server.state.drop = 5;
    // Jitter pinned near its top, so each delay shows its ceiling.
    const { d, retries } = dialer({ serverUrl: server.url, minDelayMs: 10, maxDelayMs: 80, random: () => 0.99 });
    d.start();
    await waitFor(() => server.tunnels.length === 6 && d.connected, 'the sixth connection');

    expect(retries.map((retry) => retry.ceilingMs)).toEqual([10, 20, 40, 80, 80]);
    expect(retries.map((retry) => retry.delayMs)).toEqual([9, 19, 39, 79, 79]);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3, 4, 5]);
    for (const tunnel of server.tunnels.slice(0, 5)) expect(tunnel.isOpen()).toBe(false);
    expect(server.tunnels[5]!.isOpen()).toBe(true);
  });

  it('uses full jitter below the ceiling', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    server.state.drop = 2;
    const { d, retries } = dialer({ serverUrl: server.url, minDelayMs: 100, maxDelayMs: 1000, random: () => 0.25 });
    d.start();
    await waitFor(() => server.tunnels.length === 3 && d.connected, 'the third connection');
    expect(retries.map((retry) => [retry.ceilingMs, retry.delayMs])).toEqual([
      [100, 25],
      [200, 50],
    ]);
  });

  it('starts the backoff over after a connection that stayed up long enough', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    server.state.drop = 2;
    const { d, retries } = dialer({
      serverUrl: server.url,
      minDelayMs: 10,
      maxDelayMs: 1000,
      resetAfterMs: 100,
      random: () => 0.99,
    });
    d.start();
    await waitFor(() => server.tunnels.length === 3 && d.connected, 'the third connection');
    const longLived = server.tunnels[2]!;
    await new Promise((resolve) => setTimeout(resolve, 150));
    longLived.close(4000, 'server restarting');
    await waitFor(() => server.tunnels.length === 4 && d.connected, 'the fourth connection');

    expect(retries.map((retry) => retry.ceilingMs)).toEqual([10, 20, 10]);
  });

  it('stop() ends reconnecting to an unreachable server and leaves no timers', async () => {
    const server = await startServer();
    await server.close(); // nothing listens on its port any more
    const timersBefore = timers();
    const { d, retries } = dialer({ serverUrl: server.url, minDelayMs: 20, maxDelayMs: 20 });
    d.start();
    await waitFor(() => retries.length >= 3, 'three attempts');
    await d.stop();
    const attempts = retries.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(retries.length).toBe(attempts);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it('refuses a server URL that is not https', () => {
    expect(
      () => new AgentDialer({ serverUrl: 'http://x', token: TOKEN, clusterId: CLUSTER, onTunnel: () => {} }),
    ).toThrow(/https/);
  });
});
