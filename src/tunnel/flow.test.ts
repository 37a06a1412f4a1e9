import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelStream } from './index.js';
import { tunnelPair, type TunnelPair } from './testing.js';

const pairs: TunnelPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.splice(0).map((pair) => pair.dispose()));
});

async function waitFor(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function echoRoundTrip(stream: TunnelStream, payload: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(stream, 'end');
  for (let offset = 0; offset < payload.length; offset += 16 * 1024) {
    if (!stream.write(payload.subarray(offset, offset + 16 * 1024))) await once(stream, 'drain');
  }
  stream.end();
  await ended;
  return Buffer.concat(chunks);
}

describe('Tunnel flow control', () => {
  it('a never-read stream stalls only itself, and buffers at most a window on each side', async () => {
    const windowBytes = 64 * 1024;
    const pair = await tunnelPair({ server: { windowBytes }, client: { windowBytes } });
    pairs.push(pair);
    const { server, client } = pair;
    let stalledAtServer: TunnelStream | undefined;
    server.onStream((stream, meta) => {
      if (meta.stall)
        stalledAtServer = stream; // never read
      else stream.pipe(stream);
    });

    // A fast writer on the stalled stream that honours backpressure, as pipe() does.
    const stalled = client.openStream({ stall: true });
    const written: Buffer[] = [];
    let maxQueuedToSend = 0;
    let writerDone = false;
    const writer = (async () => {
      for (let i = 0; i < 128; i++) {
        const chunk = randomBytes(16 * 1024);
        written.push(chunk);
        const more = stalled.write(chunk);
        maxQueuedToSend = Math.max(maxQueuedToSend, stalled.flow().queuedToSend);
        if (!more) await once(stalled, 'drain');
      }
      stalled.end();
      writerDone = true;
    })();

    const others = Array.from({ length: 20 }, async () => {
      const payload = randomBytes(1024 * 1024);
      expect(sha(await echoRoundTrip(client.openStream(), payload))).toBe(sha(payload));
    });
    await Promise.all(others);

    // The stalled stream has spent its credit and its writer is held back, 2 MiB from done.
    // Settled: the writer is held back, and everything its credit allowed has arrived.
    await waitFor(
      () =>
        stalled.flow().sendCredit === 0 && stalled.writableNeedDrain && stalledAtServer!.flow().receiveAllowance === 0,
      'the stalled writer to block',
    );
    expect(writerDone).toBe(false);
    const sender = stalled.flow();
    const receiver = stalledAtServer!.flow();
    expect(maxQueuedToSend).toBeLessThanOrEqual(windowBytes);
    expect(sender.queuedToSend).toBeLessThanOrEqual(windowBytes);
    expect(receiver.queuedReceived).toBeLessThanOrEqual(windowBytes);
    expect(receiver.receiveAllowance).toBe(0);
    expect(client.stats().bufferedBytes).toBeLessThanOrEqual(windowBytes);
    expect(server.stats().bufferedBytes).toBeLessThanOrEqual(windowBytes);
    expect(client.stats().openStreams).toBe(1);

    // Once read, credit flows again and every byte arrives in order.
    const received: Buffer[] = [];
    stalledAtServer!.on('data', (chunk: Buffer) => {
      received.push(chunk);
      maxQueuedToSend = Math.max(maxQueuedToSend, stalled.flow().queuedToSend);
    });
    await once(stalledAtServer!, 'end');
    await writer;
    expect(sha(Buffer.concat(received))).toBe(sha(Buffer.concat(written)));
    expect(maxQueuedToSend).toBeLessThanOrEqual(windowBytes);
    stalledAtServer!.end();
    stalled.resume();
    await Promise.all([once(stalled, 'close'), once(stalledAtServer!, 'close')]);
    expect(client.stats().openStreams).toBe(0);
  });

  it('a pipe destination that stops taking data holds back its own stream only', async () => {
    const windowBytes = 32 * 1024;
    const pair = await tunnelPair({ server: { windowBytes }, client: { windowBytes } });
    pairs.push(pair);
    const { server, client } = pair;
    const chunks = 256;
    const expected = Buffer.concat(Array.from({ length: chunks }, (_, i) => Buffer.alloc(16 * 1024, i)));
    // The agent side answers every stream like a watch: 4 MiB as fast as the stream takes them.
    const agentStreams: TunnelStream[] = [];
    client.onStream((stream) => {
      agentStreams.push(stream);
      stream.resume();
      void (async () => {
        for (let i = 0; i < chunks; i++) if (!stream.write(Buffer.alloc(16 * 1024, i))) await once(stream, 'drain');
        stream.end();
      })();
    });

    const watch = server.openStream({ watch: 'slow' });
    watch.end();
    const destination = new PassThrough(); // nobody reads it: pipe() must pause the watch
    watch.pipe(destination);

    const fast = server.openStream({ watch: 'fast' });
    fast.end();
    const fastData: Buffer[] = [];
    fast.on('data', (chunk: Buffer) => fastData.push(chunk));
    await once(fast, 'end');
    expect(sha(Buffer.concat(fastData))).toBe(sha(expected));

    const slowAtAgent = agentStreams[0]!;
    await waitFor(
      () => slowAtAgent.flow().sendCredit === 0 && slowAtAgent.writableNeedDrain && watch.flow().receiveAllowance === 0,
      'the watch writer to block',
    );
    expect(slowAtAgent.flow().queuedToSend).toBeLessThanOrEqual(windowBytes);
    expect(watch.flow().queuedReceived).toBeLessThanOrEqual(windowBytes);
    // In memory on the consuming side: the destination's buffer, the watch's Readable buffer, one window.
    const held = destination.writableLength + destination.readableLength + watch.readableLength;
    expect(held).toBeLessThan(expected.length / 4);

    const slowData: Buffer[] = [];
    destination.on('data', (chunk: Buffer) => slowData.push(chunk));
    await once(destination, 'end');
    expect(sha(Buffer.concat(slowData))).toBe(sha(expected));
  });
});
