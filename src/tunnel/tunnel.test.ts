import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameType, decodeFrame, decodeReset, encodeFrame, encodeHello } from './frames.js';
import { Tunnel, TunnelStream, type StreamMeta } from './index.js';
import { tunnelPair, type TunnelPair } from './testing.js';

const pairs: TunnelPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.splice(0).map((pair) => pair.dispose()));
});

async function pair(options: Parameters<typeof tunnelPair>[0] = {}): Promise<TunnelPair> {
  const created = await tunnelPair(options);
  pairs.push(created);
  return created;
}

function readAll(stream: TunnelStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Resolves with the error the stream fails with, or rejects if it ends cleanly. */
function failure(stream: TunnelStream): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    stream.on('error', resolve);
    stream.on('close', () => setImmediate(() => reject(new Error(`stream ${stream.id} closed without an error`))));
  });
}

async function waitFor(condition: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function closed(stream: TunnelStream): Promise<unknown> {
  return stream.closed ? Promise.resolve() : once(stream, 'close');
}

/** Tunnel close fails streams left open, as it should; tests that leave streams open expect that. */
function tolerateErrors(stream: TunnelStream): TunnelStream {
  stream.on('error', () => {});
  return stream;
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('Tunnel', () => {
  it('carries 200 concurrent streams opened from both sides, intact', async () => {
    const { server, client } = await pair();
    const echo = (stream: TunnelStream) => stream.pipe(stream);
    server.onStream(echo);
    client.onStream(echo);

    const exchanges = Array.from({ length: 200 }, async (_, i) => {
      const opener = i % 2 === 0 ? client : server;
      const payload = randomBytes(1 + ((i * 7919) % (128 * 1024)));
      const stream = opener.openStream({ i });
      const reply = readAll(stream);
      // Several writes per stream, so frames of different streams interleave on the socket.
      for (let offset = 0; offset < payload.length; offset += 10_000)
        stream.write(payload.subarray(offset, offset + 10_000));
      stream.end();
      expect(sha(await reply)).toBe(sha(payload));
      return { side: opener === client ? 'client' : 'server', id: stream.id };
    });
    const opened = await Promise.all(exchanges);

    // Both sides numbered their own streams from 1, yet no stream got another's data.
    const clientIds = opened.filter((o) => o.side === 'client').map((o) => o.id);
    const serverIds = opened.filter((o) => o.side === 'server').map((o) => o.id);
    expect(new Set(clientIds).size).toBe(100);
    expect(new Set(serverIds).size).toBe(100);
    expect(clientIds.filter((id) => serverIds.includes(id)).length).toBe(100);
    await waitFor(() => client.stats().openStreams === 0 && server.stats().openStreams === 0, 'streams released');
    expect(client.stats().bufferedBytes).toBe(0);
    expect(server.stats().bufferedBytes).toBe(0);
  });

  it('passes the open metadata to the handler', async () => {
    const { server, client } = await pair();
    const seen = new Promise<StreamMeta>((resolve) =>
      server.onStream((stream, meta) => (tolerateErrors(stream).resume(), resolve(meta))),
    );
    tolerateErrors(client.openStream({ kind: 'http', nested: { n: 1 } })).end();
    expect(await seen).toEqual({ kind: 'http', nested: { n: 1 } });
  });

  it('half-closes: end() ends the peer readable while the peer can still write back', async () => {
    const { server, client } = await pair();
    const serverSide = new Promise<{ received: string; stream: TunnelStream }>((resolve) =>
      server.onStream((stream) => {
        readAll(stream).then((received) => {
          // Our readable has ended, yet the writable is still open and the client still reads.
          expect(stream.writable).toBe(true);
          stream.end('reply after your end');
          resolve({ received: received.toString(), stream });
        });
      }),
    );
    const stream = client.openStream();
    const reply = readAll(stream);
    stream.end('request');
    await once(stream, 'finish');
    expect(stream.readable).toBe(true);

    const { received, stream: accepted } = await serverSide;
    expect(received).toBe('request');
    expect((await reply).toString()).toBe('reply after your end');
    // Both directions done: both sides destroy the stream by themselves, without an error.
    await Promise.all([closed(stream), closed(accepted)]);
    expect(stream.errored).toBeNull();
    expect(accepted.errored).toBeNull();
    expect(client.stats().openStreams).toBe(0);
    expect(server.stats().openStreams).toBe(0);
  });

  it('propagates destroy(err) as a reset that fails the peer stream', async () => {
    const { server, client } = await pair();
    const accepted = new Promise<TunnelStream>((resolve) => server.onStream(resolve));
    const stream = tolerateErrors(client.openStream());
    stream.write('some data');
    const serverStream = await accepted;
    const failed = failure(serverStream);
    stream.destroy(new Error('boom'));

    const error = await failed;
    expect(error.message).toMatch(/reset by peer: boom/);
    expect(error.code).toBe('ECONNRESET');
    await waitFor(() => server.stats().openStreams === 0 && client.stats().openStreams === 0, 'streams released');
  });

  it('propagates a plain destroy() as a close without end on the peer', async () => {
    const { server, client } = await pair();
    client.onStream((stream) => stream.destroy());
    const stream = server.openStream();
    stream.resume();
    // The peer gave up on the stream: this side closes too, but never sees a clean end of data.
    await expect(finished(stream)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(stream.errored).toBeNull();
    expect(server.stats().openStreams).toBe(0);
  });

  it('refuses streams when the peer registered no handler', async () => {
    const { client } = await pair();
    const error = await failure(client.openStream());
    expect(error.message).toMatch(/accepts no streams/);
  });

  it('refuses streams beyond maxStreams on either side', async () => {
    const { server, client } = await pair({ server: { maxStreams: 2 }, client: { maxStreams: 3 } });
    const held: TunnelStream[] = [];
    server.onStream((stream) => held.push(tolerateErrors(stream)));
    const first = tolerateErrors(client.openStream());
    const second = tolerateErrors(client.openStream());
    const third = client.openStream();
    expect((await failure(third)).message).toMatch(/too many streams \(2\)/);
    expect(held).toHaveLength(2);
    expect(first.destroyed || second.destroyed).toBe(false);

    tolerateErrors(client.openStream());
    const fourth = client.openStream(); // the client's own limit of 3: two open, one refused, one new
    expect(client.stats().openStreams).toBe(3);
    expect((await failure(fourth)).message).toMatch(/too many streams \(3\)/);
  });

  it('destroys every stream on both sides when the tunnel closes, and leaves no timers', async () => {
    const timersBefore = timers();
    const { server, client, serverSocket, clientSocket } = await tunnelPair({
      server: { heartbeatIntervalMs: 50 },
      client: { heartbeatIntervalMs: 50 },
    });
    const accepted: TunnelStream[] = [];
    server.onStream((stream) => accepted.push(stream));
    client.onStream((stream) => accepted.push(stream));
    const opened = [client.openStream(), client.openStream(), server.openStream(), server.openStream()];
    await waitFor(() => accepted.length === 4, 'streams accepted');
    const all = [...opened, ...accepted];
    const failures = all.map(failure);
    const socketsClosed = [once(serverSocket, 'close'), once(clientSocket, 'close')];

    client.close(1000, 'bye');

    for (const error of await Promise.all(failures)) expect(error.message).toMatch(/tunnel closed \(1000: bye\)/);
    expect(await client.closed).toEqual({ code: 1000, reason: 'bye' });
    expect(await server.closed).toEqual({ code: 1000, reason: 'bye' });
    expect(client.isOpen()).toBe(false);
    expect(server.isOpen()).toBe(false);
    expect(client.stats().openStreams).toBe(0);
    expect(server.stats().openStreams).toBe(0);
    // A stream opened on a closed tunnel fails the same way.
    expect((await failure(client.openStream())).message).toMatch(/tunnel closed/);

    await Promise.all(socketsClosed);
    for (const event of ['message', 'ping', 'pong', 'close', 'error']) {
      expect(clientSocket.listenerCount(event)).toBe(0);
      // The WebSocketServer's own client tracking keeps one 'close' listener on accepted sockets.
      expect(serverSocket.listenerCount(event)).toBe(event === 'close' ? 1 : 0);
    }
    // wss is still listening, but no timer of the tunnels or their sockets remains.
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it('closes when the socket drops, failing the streams on the other side', async () => {
    const { server, client, clientSocket } = await pair();
    client.onStream(tolerateErrors);
    const stream = server.openStream();
    const failed = failure(stream);
    clientSocket.terminate();
    expect((await server.closed).code).toBe(1006);
    expect((await failed).message).toMatch(/tunnel closed \(1006/);
    expect((await client.closed).code).toBe(1006);
  });

  it('closes on heartbeat timeout when the peer stops answering', async () => {
    const { server, client, clientSocket } = await pair({
      server: { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 200 },
    });
    client.onStream(tolerateErrors);
    const stream = server.openStream();
    const failed = failure(stream);
    // The client stops reading its socket: it neither answers pings nor sends anything.
    clientSocket.pause();

    expect(await server.closed).toEqual({ code: 1006, reason: 'heartbeat timeout' });
    expect((await failed).message).toMatch(/heartbeat timeout/);
    clientSocket.resume();
    expect((await client.closed).code).toBe(1006);
  });

  it('stays open and counts pongs as life while the peer answers', async () => {
    const { server, client } = await pair({
      server: { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 2000 },
      client: { heartbeatIntervalMs: 60_000 },
    });
    const before = server.stats().lastSeenAt;
    // No traffic but the server's pings: only pongs can move lastSeenAt.
    await waitFor(() => server.stats().lastSeenAt > before, 'a pong');
    expect(server.isOpen()).toBe(true);
    expect(client.isOpen()).toBe(true);
  });
});

describe('Tunnel protocol enforcement', () => {
  /** A tunnel whose peer is a bare WebSocket the test drives frame by frame. */
  async function rawPeer(options: { windowBytes: number }) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const raw = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    const frames: ReturnType<typeof decodeFrame>[] = [];
    raw.on('message', (data: Buffer) => frames.push(decodeFrame(data)));
    await once(raw, 'open');
    const [socket] = await accepted;
    const tunnel = new Tunnel(socket, options);
    const dispose = async () => {
      tunnel.close();
      if (raw.readyState !== WebSocket.CLOSED) await once(raw, 'close');
      await new Promise((resolve) => wss.close(resolve));
    };
    return { tunnel, raw, frames, dispose };
  }

  it('resets a stream whose peer sends beyond the window it was granted', async () => {
    const peer = await rawPeer({ windowBytes: 1024 });
    try {
      const accepted = new Promise<TunnelStream>((resolve) => peer.tunnel.onStream(resolve));
      const wireId = 5 | 0x8000_0000; // "opened by the sender"
      peer.raw.send(encodeHello(1 << 20));
      peer.raw.send(encodeFrame(FrameType.Open, wireId, Buffer.from('{}')));
      const stream = await accepted;
      const failed = failure(stream);
      peer.raw.send(encodeFrame(FrameType.Data, wireId, Buffer.alloc(1000)));
      peer.raw.send(encodeFrame(FrameType.Data, wireId, Buffer.alloc(100)));

      expect((await failed).code).toBe('EPROTO');
      await waitFor(() => peer.frames.some((frame) => frame.type === FrameType.Reset), 'a RESET frame');
      const reset = peer.frames.find((frame) => frame.type === FrameType.Reset)!;
      expect(reset.id).toBe(5);
      expect(decodeReset(reset.payload)).toMatchObject({ failed: true, reason: expect.stringMatching(/window/) });
      expect(peer.tunnel.isOpen()).toBe(true);
    } finally {
      await peer.dispose();
    }
  });

  it('closes the tunnel with 1002 on a malformed frame', async () => {
    const peer = await rawPeer({ windowBytes: 1024 });
    try {
      peer.raw.send(Buffer.from([9, 0, 0, 0, 0]));
      expect(await peer.tunnel.closed).toMatchObject({
        code: 1002,
        reason: expect.stringMatching(/unknown frame type 9/),
      });
    } finally {
      await peer.dispose();
    }
  });
});
