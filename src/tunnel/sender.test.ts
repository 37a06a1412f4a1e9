import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { FrameType, MAX_DATA_PAYLOAD, decodeFrame, encodeFrame, encodeUint32 } from './frames.js';
import { FairSender } from './sender.js';
import { TunnelStream, type StreamHost } from './stream.js';

/**
 * The scheduler's order of frames is what fairness means, so it is checked against a recording
 * socket whose buffer drains only when the test says so.
 */
class RecordingSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: { type: number; id: number; length: number }[] = [];
  private callbacks: (() => void)[] = [];

  send(data: Buffer, _options: unknown, callback: () => void): void {
    const frame = decodeFrame(data);
    this.frames.push({ type: frame.type, id: frame.id, length: frame.payload.length });
    this.bufferedAmount += data.length;
    this.callbacks.push(callback);
  }

  /** The kernel took everything: buffers empty, send callbacks run. */
  drain(): void {
    this.bufferedAmount = 0;
    for (const callback of this.callbacks.splice(0)) callback();
  }
}

function setup() {
  const socket = new RecordingSocket();
  const sender = new FairSender(socket as unknown as WebSocket, (stream) => stream.id);
  const host: StreamHost = {
    isOpen: () => true,
    sendWindow: () => {},
    sendReset: () => {},
    wake: (stream) => sender.wake(stream),
    release: (stream) => sender.forget(stream),
  };
  const stream = (id: number, credit = 1 << 30) =>
    new TunnelStream(id, host, { sendCredit: credit, windowBytes: 1 << 30 });
  return { socket, sender, stream };
}

describe('FairSender', () => {
  it('sends ready streams round-robin in chunks of at most 32 KiB', () => {
    const { socket, sender, stream } = setup();
    const a = stream(1);
    const b = stream(2);
    const c = stream(3);
    // A frame in flight on a full socket holds everything back until all three streams have data.
    sender.sendNow(encodeFrame(FrameType.Window, 9, encodeUint32(1)));
    socket.bufferedAmount = Number.MAX_SAFE_INTEGER;
    a.write(Buffer.alloc(200 * 1024));
    b.write(Buffer.alloc(100 * 1024));
    c.write(Buffer.alloc(10));
    expect(socket.frames).toHaveLength(1);
    socket.drain();
    socket.drain();

    const data = socket.frames.filter((frame) => frame.type === FrameType.Data);
    expect(data.every((frame) => frame.length <= MAX_DATA_PAYLOAD)).toBe(true);
    // Each stream gets one chunk per turn while it has data; the small one is done on its first turn.
    expect(data.map((frame) => frame.id)).toEqual([1, 2, 3, 1, 2, 1, 2, 1, 2, 1, 1, 1]);
    expect(data.filter((frame) => frame.id === 1).reduce((sum, frame) => sum + frame.length, 0)).toBe(200 * 1024);
  });

  it('stops handing data to the socket above its high water mark and resumes on send callbacks', () => {
    const { socket, stream } = setup();
    const a = stream(1);
    a.write(Buffer.alloc(4 * 1024 * 1024));
    const firstBurst = socket.frames.length;
    // 512 KiB of 32 KiB frames (plus headers) fit before the socket is considered full.
    expect(firstBurst).toBe(16);
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(512 * 1024);
    expect(a.flow().queuedToSend).toBe(4 * 1024 * 1024 - 16 * MAX_DATA_PAYLOAD);

    socket.drain();
    expect(socket.frames.length).toBe(32);
  });

  it('sends no more than the credit, and END only after all data', () => {
    const { socket, stream } = setup();
    const a = stream(1, 50_000);
    a.end(Buffer.alloc(100_000));
    while (socket.frames.length < 2 || socket.bufferedAmount > 0) socket.drain();
    const sent = socket.frames.reduce((sum, frame) => sum + frame.length, 0);
    expect(sent).toBe(50_000);
    expect(socket.frames.some((frame) => frame.type === FrameType.End)).toBe(false);

    a.addCredit(50_000);
    socket.drain();
    expect(socket.frames.reduce((sum, frame) => sum + frame.length, 0)).toBe(100_000);
    expect(socket.frames.at(-1)?.type).toBe(FrameType.End);
  });
});
