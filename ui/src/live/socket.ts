/**
 * One multiplexed WebSocket per tab to `/v3/subscribe` (browsers allow only a few connections per
 * host, so every live list shares it). Opened lazily by the first watch; when it drops it reconnects
 * with exponential backoff and jitter, and every watch that was running on the lost socket is told to
 * re-sync: its owner re-lists over HTTP and starts a new watch from the fresh version, so a list never
 * silently misses what happened while the socket was down.
 */

export type WatchTarget =
  | { kind: 'v3'; type: string }
  | {
      kind: 'k8s';
      cluster: string;
      path: string;
      /** objects without managedFields */
      slim?: boolean;
      /** Table rows (src/kube/table.ts) instead of objects */
      table?: boolean;
    };

export interface WatchRequest {
  target: WatchTarget;
  resourceVersion?: string;
  filter?: Record<string, string>;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

export interface WatchError {
  status: number;
  code: string;
  message: string;
}

export interface WatchHandlers {
  /** A batch of events, in order. */
  events(events: WatchEvent[]): void;
  /** The watch cannot continue from its version (410, reconnect…): re-list and watch again. It is finished. */
  resync(reason: string): void;
  /** The watch could not start or was refused. It is finished. */
  error(error: WatchError): void;
  /** The socket dropped; a `resync` follows once it is back. */
  disconnected?(): void;
}

export interface WatchHandle {
  stop(): void;
}

type ServerMessage =
  | { id: string; events: WatchEvent[] }
  | { id: string; resync: true; reason?: string }
  | { id: string; error: WatchError };

interface Active {
  request: WatchRequest;
  handlers: WatchHandlers;
  /** Sent on the current socket; if that socket drops the server has forgotten this watch. */
  sent: boolean;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A socket that stayed up this long was a real connection: the next drop starts backoff afresh. */
const STABLE_MS = 5_000;
/** The close code the server uses when the socket's credentials stop being valid. */
const UNAUTHORIZED_CLOSE = 4401;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private readonly watches = new Map<string, Active>();
  private nextId = 1;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private openedAt = 0;
  private closed = false;

  constructor(private readonly url: () => string) {}

  watch(request: WatchRequest, handlers: WatchHandlers): WatchHandle {
    const id = `w${this.nextId++}`;
    const active: Active = { request, handlers, sent: false };
    this.watches.set(id, active);
    this.closed = false;
    if (this.ws?.readyState === WebSocket.OPEN) this.send(id, active);
    else this.ensureOpen();
    return {
      stop: () => {
        const w = this.watches.get(id);
        if (!w) return;
        this.watches.delete(id);
        if (w.sent && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op: 'stop', id }));
      },
    };
  }

  /** Close for good (log-out): watches are dropped without notice. */
  close(): void {
    this.closed = true;
    this.watches.clear();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  private send(id: string, w: Active): void {
    const { target, resourceVersion, filter, labelSelector, fieldSelector } = w.request;
    const msg: Record<string, unknown> = { op: 'watch', id, target };
    if (resourceVersion) msg.resourceVersion = resourceVersion;
    if (filter && Object.keys(filter).length) msg.filter = filter;
    if (labelSelector) msg.labelSelector = labelSelector;
    if (fieldSelector) msg.fieldSelector = fieldSelector;
    this.ws!.send(JSON.stringify(msg));
    w.sent = true;
  }

  private ensureOpen(): void {
    if (this.ws || this.reconnectTimer || this.closed) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.openedAt = Date.now();
      // Watches that lived on a lost socket resume from unknown state: their owners re-list.
      const lost: Active[] = [];
      for (const [id, w] of this.watches) {
        if (w.sent) {
          this.watches.delete(id);
          lost.push(w);
        } else this.send(id, w);
      }
      for (const w of lost) w.handlers.resync('reconnected');
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      const w = this.watches.get(msg.id);
      if (!w) return; // stopped meanwhile
      if ('events' in msg) w.handlers.events(msg.events);
      else if ('resync' in msg) {
        this.watches.delete(msg.id);
        w.handlers.resync(msg.reason ?? 'resync');
      } else if ('error' in msg) {
        this.watches.delete(msg.id);
        w.handlers.error(msg.error);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.attempt = 0;
      this.openedAt = 0;
      if (ev.code === UNAUTHORIZED_CLOSE) {
        // The session ended (log-out elsewhere, token deleted): reconnecting cannot help. The
        // watches fail, their owners list again over HTTP, and that 401 sends the app to login.
        const lost = [...this.watches.values()];
        this.watches.clear();
        for (const w of lost)
          w.handlers.error({ status: 401, code: 'Unauthorized', message: ev.reason || 'the session ended' });
        return;
      }
      for (const w of this.watches.values()) if (w.sent) w.handlers.disconnected?.();
      if (this.watches.size && !this.closed) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    this.attempt++;
    // Full jitter within the upper half: a restarted server is not hit by every tab at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureOpen();
    }, delay);
  }
}

function subscribeUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/v3/subscribe`;
}

let shared: LiveSocket | null = null;

/** The tab's socket. */
export function liveSocket(): LiveSocket {
  shared ??= new LiveSocket(subscribeUrl);
  return shared;
}

/** Drop the tab's socket and every watch on it (call on log-out; the next watch opens a new one). */
export function closeLiveSocket(): void {
  shared?.close();
  shared = null;
}
