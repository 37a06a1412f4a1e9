import { Duplex } from 'node:stream';

/** What a stream needs from its tunnel; kept narrow so the stream can be reasoned about alone. */
export interface StreamHost {
  readonly isOpen: () => boolean;
  /** Sends WINDOW at once: credit must never wait behind data, or two busy peers could starve each other. */
  sendWindow(stream: TunnelStream, increment: number): void;
  sendReset(stream: TunnelStream, failed: boolean, reason: string): void;
  /** The stream has DATA or END it may send now. */
  wake(stream: TunnelStream): void;
  /** The stream is gone; forget it. */
  release(stream: TunnelStream): void;
}

export interface StreamFlow {
  /** Bytes written by the local writer and not yet handed to the WebSocket. */
  queuedToSend: number;
  /** Bytes the peer still allows this side to send. */
  sendCredit: number;
  /** Bytes received from the peer that the local reader has not taken yet. */
  queuedReceived: number;
  /** Bytes the peer may still send before this side grants more. */
  receiveAllowance: number;
}

export interface StreamWindows {
  /** The peer's receive window: initial credit, or 0 until the peer's HELLO says how much. */
  sendCredit: number;
  /** This side's receive window, which also bounds what the writer may queue locally. */
  windowBytes: number;
}

interface PendingWrite {
  chunk: Buffer;
  callback: (error?: Error | null) => void;
}

/** Error code of a stream the peer reset with an error or lost with the tunnel, as for a TCP reset. */
export const STREAM_RESET_CODE = 'ECONNRESET';

function streamError(message: string, code = STREAM_RESET_CODE): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * One logical byte stream of a tunnel, shaped like a `net.Socket` so that Node's HTTP client and
 * server can run over it.
 *
 * Flow control, seen from one side:
 * - sending: the writer's chunks wait in `sendQueue` (at most `windowBytes`, further writes are held
 *   back through the write callback) and leave only as the peer's credit allows;
 * - receiving: frames wait in `receiveQueue` and move into the Readable only when it asks
 *   (`_read`); credit goes back to the peer once the reader has taken a quarter of the window.
 *   A reader that stops therefore stops its own peer writer after one window, and nobody else.
 */
export class TunnelStream extends Duplex {
  readonly id: number;

  // Socket look-alike fields; the tunnel has no addresses of its own, the owner may fill them in.
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  readonly connecting = false;
  readonly pending = false;
  bytesRead = 0;
  bytesWritten = 0;
  /** The idle timeout set by `setTimeout`, which `http.Agent` reads before re-setting it. */
  timeout: number | undefined;

  private readonly host: StreamHost;
  private readonly windowBytes: number;
  private readonly grantThreshold: number;

  private sendQueue: Buffer[] = [];
  private sendQueued = 0;
  private sendCredit: number;
  private pendingWrite: PendingWrite | null = null;
  private finalCallback: ((error?: Error | null) => void) | null = null;
  private endSent = false;

  private receiveQueue: Buffer[] = [];
  private receiveQueued = 0;
  private receiveAllowance: number;
  private ungranted = 0;
  private readerWants = false;
  private endReceived = false;
  private endPushed = false;
  /** The peer already knows the stream is over (it reset it, or the tunnel is gone). */
  private peerGone = false;

  private idleTimer: NodeJS.Timeout | undefined;

  /** @internal Streams are made by `Tunnel.openStream` and by the tunnel for the peer's opens. */
  constructor(id: number, host: StreamHost, windows: StreamWindows) {
    super({ allowHalfOpen: true });
    this.id = id;
    this.host = host;
    this.windowBytes = windows.windowBytes;
    this.grantThreshold = Math.max(1, Math.floor(windows.windowBytes / 4));
    this.sendCredit = windows.sendCredit;
    this.receiveAllowance = windows.windowBytes;
  }

  flow(): StreamFlow {
    return {
      queuedToSend: this.sendQueued,
      sendCredit: this.sendCredit,
      queuedReceived: this.receiveQueued,
      receiveAllowance: this.receiveAllowance,
    };
  }

  // ---- called by the tunnel ----

  /** @internal */
  hasSendable(): boolean {
    if (this.destroyed || this.endSent) return false;
    if (this.sendQueued > 0) return this.sendCredit > 0;
    return this.finalCallback !== null;
  }

  /**
   * @internal Takes what may be sent now: up to `max` bytes of data within the credit, or 'end'
   * once everything written has left. Null when there is nothing to send.
   */
  pull(max: number): Buffer[] | 'end' | null {
    if (!this.hasSendable()) return null;
    if (this.sendQueued === 0) {
      this.endSent = true;
      const callback = this.finalCallback;
      this.finalCallback = null;
      // Safe before the caller sends END: Node emits 'finish' on a later tick.
      callback?.();
      return 'end';
    }
    let want = Math.min(max, this.sendCredit, this.sendQueued);
    const parts: Buffer[] = [];
    while (want > 0) {
      const head = this.sendQueue[0]!;
      if (head.length <= want) {
        this.sendQueue.shift();
        parts.push(head);
        want -= head.length;
      } else {
        parts.push(head.subarray(0, want));
        this.sendQueue[0] = head.subarray(want);
        want = 0;
      }
    }
    const sent = parts.reduce((sum, part) => sum + part.length, 0);
    this.sendQueued -= sent;
    this.sendCredit -= sent;
    this.bytesWritten += sent;
    this.touch();
    this.admitPendingWrite();
    return parts;
  }

  /** @internal The peer granted more credit. */
  addCredit(increment: number): void {
    this.sendCredit += increment;
    if (this.hasSendable()) this.host.wake(this);
  }

  /** @internal DATA from the peer. Returns false when the peer sent beyond its credit (the stream is reset). */
  receiveData(data: Buffer): boolean {
    if (this.destroyed) return true;
    const violation = this.endReceived
      ? 'the peer sent data after ending the stream'
      : data.length > this.receiveAllowance
        ? 'the peer sent more data than the flow-control window allows'
        : undefined;
    if (violation) {
      this.destroy(streamError(violation, 'EPROTO'));
      return false;
    }
    this.receiveAllowance -= data.length;
    this.bytesRead += data.length;
    this.touch();
    this.receiveQueue.push(data);
    this.receiveQueued += data.length;
    this.deliver();
    return true;
  }

  /** @internal END from the peer. */
  receiveEnd(): void {
    if (this.destroyed || this.endReceived) return;
    this.endReceived = true;
    this.deliver();
  }

  /** @internal RESET from the peer. */
  receiveReset(failed: boolean, reason: string): void {
    if (this.destroyed) return;
    this.peerGone = true;
    if (failed) this.destroy(streamError(`stream reset by peer: ${reason}`));
    else this.destroy();
  }

  /** @internal The tunnel is gone: fail without telling the peer (there is no peer to tell). */
  abort(error: Error): void {
    this.peerGone = true;
    this.destroy(error);
  }

  // ---- Duplex implementation ----

  override _read(): void {
    this.readerWants = true;
    this.deliver();
  }

  /** Moves received data into the Readable as far as the reader wants it, and pays the peer back. */
  private deliver(): void {
    while (this.readerWants && this.receiveQueue.length > 0) {
      const chunk = this.receiveQueue.shift()!;
      this.receiveQueued -= chunk.length;
      this.ungranted += chunk.length;
      this.readerWants = this.push(chunk);
    }
    if (this.receiveQueue.length === 0 && this.endReceived && !this.endPushed) {
      this.endPushed = true;
      this.push(null);
    }
    if (this.ungranted >= this.grantThreshold && !this.endReceived && !this.destroyed && this.host.isOpen()) {
      this.receiveAllowance += this.ungranted;
      this.host.sendWindow(this, this.ungranted);
      this.ungranted = 0;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.host.isOpen()) return callback(streamError('tunnel closed'));
    if (chunk.length === 0) return callback();
    // Queue at most a window locally; beyond that the writer waits, which is its backpressure.
    if (this.fitsInQueue(chunk.length)) {
      this.enqueue(chunk);
      callback();
    } else {
      this.pendingWrite = { chunk, callback };
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.host.isOpen()) return callback(streamError('tunnel closed'));
    // Completed when END is handed to the WebSocket, after all data: 'finish' then means "all sent".
    this.finalCallback = callback;
    this.host.wake(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearIdleTimer();
    const graceful = this.endSent && this.endReceived;
    if (!this.peerGone && !graceful && this.host.isOpen()) {
      this.host.sendReset(this, error !== null, error?.message ?? 'closed');
    }
    this.host.release(this);
    this.sendQueue = [];
    this.sendQueued = 0;
    this.receiveQueue = [];
    this.receiveQueued = 0;
    const pending = this.pendingWrite;
    const final = this.finalCallback;
    this.pendingWrite = null;
    this.finalCallback = null;
    const reason = error ?? streamError('stream destroyed', 'ERR_STREAM_DESTROYED');
    pending?.callback(reason);
    final?.(reason);
    callback(error);
  }

  private fitsInQueue(length: number): boolean {
    return this.sendQueued === 0 || this.sendQueued + length <= this.windowBytes;
  }

  private enqueue(chunk: Buffer): void {
    this.sendQueue.push(chunk);
    this.sendQueued += chunk.length;
    if (this.hasSendable()) this.host.wake(this);
  }

  private admitPendingWrite(): void {
    const pending = this.pendingWrite;
    if (!pending || !this.fitsInQueue(pending.chunk.length)) return;
    this.pendingWrite = null;
    this.enqueue(pending.chunk);
    pending.callback();
  }

  // ---- net.Socket look-alikes that Node's HTTP code calls ----

  /** Like `net.Socket#setTimeout`: emits 'timeout' after `ms` without reads or writes; 0 disables. */
  setTimeout(ms: number, callback?: () => void): this {
    this.clearIdleTimer();
    this.timeout = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref();
    }
    return this;
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): Record<string, never> {
    return {};
  }

  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Like `net.Socket#destroySoon`, which Node's HTTP code prefers to `end()`: end, then close once sent. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  private touch(): void {
    this.idleTimer?.refresh();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
