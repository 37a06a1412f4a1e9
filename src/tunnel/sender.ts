import type { WebSocket } from 'ws';
import { FrameType, MAX_DATA_PAYLOAD, encodeFrame } from './frames.js';
import type { TunnelStream } from './stream.js';

/**
 * Bytes the WebSocket may hold unsent before data stops being handed to it. Enough to keep a fast
 * link busy; small enough that a newly woken stream (or a WINDOW frame) waits behind little.
 */
const SOCKET_HIGH_WATER = 512 * 1024;

/**
 * Hands frames to the WebSocket. Control frames go at once; stream data goes round-robin, one chunk of
 * at most 32 KiB per ready stream per turn, and only while the socket's own buffer is below its high
 * water mark, so a bulk transfer neither starves other streams nor piles up memory in `ws`.
 */
export class FairSender {
  private readonly ready: TunnelStream[] = [];
  private readonly queued = new Set<TunnelStream>();
  private pumping = false;
  private readonly afterSend = (error?: Error): void => {
    // A failed send means the socket is going away; its 'close' event tears the tunnel down.
    if (!error) this.pump();
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly wireId: (stream: TunnelStream) => number,
  ) {}

  sendNow(frame: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(frame, { binary: true }, this.afterSend);
  }

  wake(stream: TunnelStream): void {
    if (!this.queued.has(stream)) {
      this.queued.add(stream);
      this.ready.push(stream);
    }
    this.pump();
  }

  forget(stream: TunnelStream): void {
    // Removed lazily from `ready`: the pump skips streams no longer in `queued`.
    this.queued.delete(stream);
  }

  clear(): void {
    this.ready.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    // Sending can call back into wake() (write callbacks run, writers write more); one loop serves all.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ready.length > 0 && this.ws.readyState === this.ws.OPEN) {
        if (this.ws.bufferedAmount >= SOCKET_HIGH_WATER) return; // resumed by afterSend
        const stream = this.ready.shift()!;
        if (!this.queued.has(stream)) continue;
        const out = stream.pull(MAX_DATA_PAYLOAD);
        if (out === 'end') this.sendNow(encodeFrame(FrameType.End, this.wireId(stream)));
        else if (out) this.sendNow(encodeFrame(FrameType.Data, this.wireId(stream), out));
        if (this.queued.has(stream) && stream.hasSendable()) this.ready.push(stream);
        else this.queued.delete(stream);
      }
    } finally {
      this.pumping = false;
    }
  }
}
