import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import {
  FrameType,
  PROTOCOL_VERSION,
  ProtocolError,
  decodeFrame,
  decodeHello,
  decodeReset,
  decodeUint32,
  encodeFrame,
  encodeHello,
  encodeReset,
  encodeUint32,
} from './frames.js';
import { FairSender } from './sender.js';
import { STREAM_RESET_CODE, TunnelStream, type StreamHost } from './stream.js';

export interface TunnelOptions {
  /** Per-stream flow-control window in bytes (credit the receiver grants); default 256 KiB. */
  windowBytes?: number;
  /** Ping interval; default 10 s. The tunnel closes if no pong/any frame arrives within heartbeatTimeoutMs (default 30 s). */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Refuse more concurrent streams than this (default 10,000); the opener's stream errors. */
  maxStreams?: number;
}

/** Small JSON sent with an open. */
export interface StreamMeta {
  [key: string]: unknown;
}

export interface TunnelClose {
  code: number;
  reason: string;
}

export interface TunnelStats {
  openStreams: number;
  /** Bytes held by the tunnel's streams: written but not yet sent, plus received but not yet read. */
  bufferedBytes: number;
  /** Epoch milliseconds of the last frame, ping or pong received. */
  lastSeenAt: number;
}

const DEFAULTS = {
  windowBytes: 256 * 1024,
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 30_000,
  maxStreams: 10_000,
};

/**
 * Stream ids: each side numbers the streams it opens from 1 upwards, below 2^31. On the wire the top
 * bit says "opened by the receiver of this frame", so both sides may open at once without collisions
 * and without agreeing who is client or server. Locally, a stream's id is the id as the peer sends
 * it: the top bit is set for streams the peer opened.
 */
const PEER_OPENED = 0x8000_0000;
/** Metadata rides in one frame that every peer accepts (`MAX_FRAME_BYTES`). */
const MAX_META_BYTES = 64 * 1024;
const MAX_LOCAL_ID = 0x7fff_ffff;

function toWire(id: number): number {
  return (id ^ PEER_OPENED) >>> 0;
}

function closedError(close: TunnelClose): Error {
  const detail = close.reason ? `${close.code}: ${close.reason}` : `${close.code}`;
  return Object.assign(new Error(`tunnel closed (${detail})`), { code: STREAM_RESET_CODE });
}

/**
 * Many byte streams over one WebSocket, in both directions, with per-stream credit-based flow
 * control, fair scheduling, half-close and heartbeats. Emits 'close' with `{ code, reason }`.
 */
export class Tunnel extends EventEmitter {
  /** Resolves once the tunnel is closed (by either side, heartbeat timeout, or socket error). */
  readonly closed: Promise<TunnelClose>;

  private readonly ws: WebSocket;
  private readonly options: Required<TunnelOptions>;
  private readonly streams = new Map<number, TunnelStream>();
  private readonly sender: FairSender;
  private readonly host: StreamHost;
  private readonly heartbeat: NodeJS.Timeout;
  private resolveClosed!: (close: TunnelClose) => void;
  private handler: ((stream: TunnelStream, meta: StreamMeta) => void) | undefined;
  /** The peer's receive window per stream, known from its HELLO; until then nothing can be sent. */
  private peerWindow: number | undefined;
  private nextId = 1;
  private lastSeenAt = Date.now();
  private open = true;

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    this.lastSeenAt = Date.now();
    try {
      if (!isBinary || !Buffer.isBuffer(data)) throw new ProtocolError('expected a binary frame');
      this.handleFrame(data);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.close(1002, `protocol error: ${error.message}`);
    }
  };
  private readonly onAlive = (): void => {
    this.lastSeenAt = Date.now();
  };
  private readonly onSocketClose = (code: number, reason: Buffer): void => {
    this.shutdown({ code, reason: reason.toString('utf8') });
    this.detach();
  };
  private readonly onSocketError = (error: Error): void => {
    // 'close' follows; closing here makes the error, not a bare 1006, the reason streams see.
    this.shutdown({ code: 1006, reason: error.message });
    this.ws.terminate();
  };

  constructor(ws: WebSocket, options: TunnelOptions = {}) {
    super();
    if (ws.readyState !== WebSocket.OPEN) throw new Error('a tunnel needs an open WebSocket');
    this.ws = ws;
    this.options = { ...DEFAULTS, ...definedOnly(options) };
    if (this.options.windowBytes < 1 || this.options.windowBytes > 0xffff_ffff) {
      throw new RangeError(`windowBytes must be between 1 and 2^32-1, got ${this.options.windowBytes}`);
    }
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.sender = new FairSender(ws, (stream) => toWire(stream.id));
    this.host = {
      isOpen: () => this.open,
      sendWindow: (stream, increment) =>
        this.sender.sendNow(encodeFrame(FrameType.Window, toWire(stream.id), encodeUint32(increment))),
      sendReset: (stream, failed, reason) =>
        this.sender.sendNow(encodeFrame(FrameType.Reset, toWire(stream.id), encodeReset(failed, reason))),
      wake: (stream) => this.sender.wake(stream),
      release: (stream) => {
        if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
        this.sender.forget(stream);
      },
    };

    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onMessage);
    ws.on('ping', this.onAlive);
    ws.on('pong', this.onAlive);
    ws.on('close', this.onSocketClose);
    ws.on('error', this.onSocketError);
    // Not unref'd: an open tunnel's socket holds the process anyway, and a leaked timer should show.
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.sender.sendNow(encodeHello(this.options.windowBytes));
  }

  /** Opens a stream to the peer. Returns at once; data written before the peer accepts is buffered within the window. */
  openStream(meta: StreamMeta = {}): TunnelStream {
    const json = Buffer.from(JSON.stringify(meta), 'utf8');
    if (json.length > MAX_META_BYTES)
      throw new RangeError(`stream metadata is ${json.length} bytes; at most ${MAX_META_BYTES}`);
    const refusal = !this.open
      ? 'tunnel closed'
      : this.streams.size >= this.options.maxStreams
        ? `too many streams (${this.options.maxStreams})`
        : undefined;
    if (refusal) {
      // The caller gets a stream either way, so it handles refusal where it handles other stream errors.
      // It is never announced and sends nothing before it fails; its id is 0.
      const silent: StreamHost = { ...this.host, sendWindow: () => {}, sendReset: () => {}, wake: () => {} };
      const refused = new TunnelStream(0, silent, { sendCredit: 0, windowBytes: this.options.windowBytes });
      process.nextTick(() => refused.abort(Object.assign(new Error(refusal), { code: STREAM_RESET_CODE })));
      return refused;
    }
    const id = this.allocateId();
    const stream = this.newStream(id, this.peerWindow ?? 0);
    this.streams.set(id, stream);
    this.sender.sendNow(encodeFrame(FrameType.Open, toWire(id), json));
    return stream;
  }

  /** Called for each stream the peer opens. */
  onStream(handler: (stream: TunnelStream, meta: StreamMeta) => void): void {
    this.handler = handler;
  }

  close(code = 1000, reason = ''): void {
    if (!this.open) return;
    this.shutdown({ code, reason });
    try {
      this.ws.close(code, closeReason(reason));
    } catch {
      // An invalid close code for the WebSocket protocol: drop the connection instead.
      this.ws.terminate();
    }
  }

  isOpen(): boolean {
    return this.open;
  }

  stats(): TunnelStats {
    let bufferedBytes = 0;
    for (const stream of this.streams.values()) {
      const flow = stream.flow();
      bufferedBytes += flow.queuedToSend + flow.queuedReceived;
    }
    return { openStreams: this.streams.size, bufferedBytes, lastSeenAt: this.lastSeenAt };
  }

  private newStream(id: number, sendCredit: number): TunnelStream {
    return new TunnelStream(id, this.host, { sendCredit, windowBytes: this.options.windowBytes });
  }

  private allocateId(): number {
    // Wraps after 2^31 opens, skipping ids still in use.
    for (;;) {
      const id = this.nextId;
      this.nextId = id === MAX_LOCAL_ID ? 1 : id + 1;
      if (!this.streams.has(id)) return id;
    }
  }

  private beat(): void {
    if (Date.now() - this.lastSeenAt > this.options.heartbeatTimeoutMs) {
      this.shutdown({ code: 1006, reason: 'heartbeat timeout' });
      this.ws.terminate();
      return;
    }
    try {
      this.ws.ping();
    } catch {
      // The socket is closing; its 'close' event ends the tunnel.
    }
  }

  private handleFrame(message: Buffer): void {
    const frame = decodeFrame(message);
    if (frame.type === FrameType.Hello) return this.handleHello(frame.payload);
    if (this.peerWindow === undefined) throw new ProtocolError('frame before HELLO');
    if (frame.type === FrameType.Open) return this.handleOpen(frame.id, frame.payload);
    const stream = this.streams.get(frame.id);
    // Frames for a stream that is gone are normal: they crossed our RESET or END on the wire.
    if (!stream) return;
    switch (frame.type) {
      case FrameType.Data:
        if (frame.payload.length > 0) stream.receiveData(frame.payload);
        return;
      case FrameType.End:
        return stream.receiveEnd();
      case FrameType.Reset: {
        const { failed, reason } = decodeReset(frame.payload);
        return stream.receiveReset(failed, reason);
      }
      case FrameType.Window:
        return stream.addCredit(decodeUint32(frame.payload, 'WINDOW'));
    }
  }

  private handleHello(payload: Buffer): void {
    const hello = decodeHello(payload);
    if (hello.version !== PROTOCOL_VERSION) throw new ProtocolError(`unsupported protocol version ${hello.version}`);
    if (this.peerWindow !== undefined) throw new ProtocolError('second HELLO');
    this.peerWindow = hello.windowBytes;
    // Streams opened before the HELLO arrived hold written data; they may send now.
    for (const stream of this.streams.values()) stream.addCredit(hello.windowBytes);
  }

  private handleOpen(id: number, payload: Buffer): void {
    if ((id & PEER_OPENED) === 0 || this.streams.has(id)) throw new ProtocolError(`OPEN for a stream id in use: ${id}`);
    const refuse = (reason: string): void =>
      this.sender.sendNow(encodeFrame(FrameType.Reset, toWire(id), encodeReset(true, reason)));
    if (this.streams.size >= this.options.maxStreams) return refuse(`too many streams (${this.options.maxStreams})`);
    if (!this.handler) return refuse('the peer accepts no streams');
    let meta: unknown;
    try {
      meta = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse('stream metadata is not JSON');
    }
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      return refuse('stream metadata is not a JSON object');
    }
    const stream = this.newStream(id, this.peerWindow ?? 0);
    this.streams.set(id, stream);
    try {
      this.handler(stream, meta as StreamMeta);
    } catch (error) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Ends everything that depends on the socket; the socket itself is closed by the caller. */
  private shutdown(close: TunnelClose): void {
    if (!this.open) return;
    this.open = false;
    clearInterval(this.heartbeat);
    this.ws.off('message', this.onMessage);
    this.ws.off('ping', this.onAlive);
    this.ws.off('pong', this.onAlive);
    this.sender.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.abort(closedError(close));
    if (this.ws.readyState === WebSocket.CLOSED) this.detach();
    this.resolveClosed(close);
    this.emit('close', close);
  }

  /** Called once the socket is closed: nothing of ours stays attached to it. */
  private detach(): void {
    this.ws.off('close', this.onSocketClose);
    this.ws.off('error', this.onSocketError);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** WebSocket close reasons are at most 123 bytes of valid UTF-8: cut whole characters. */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut, 'utf8') > 123) cut = cut.slice(0, -1);
  return cut;
}
