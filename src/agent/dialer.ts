import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, type ClientOptions } from 'ws';
import { MAX_FRAME_BYTES, Tunnel, type TunnelOptions } from '../tunnel/index.js';

export interface DialerOptions {
  /** https://server[:port] */
  serverUrl: string;
  /** Sent as header `X-Corral-Token` (a cluster registration token `<token>`), and `X-Corral-Cluster-Id`. */
  token: string;
  clusterId: string;
  /**
   * Lower-case hex SHA-256 of the server CA's PEM text (what GET <server>/cacerts returns, byte for
   * byte). When set, the agent fetches /cacerts (without verification), checks the checksum, then
   * connects trusting ONLY that CA; a mismatch is an error and nothing is sent to the server. When
   * empty, the system CAs are used.
   */
  caChecksum?: string;
  /** Extra headers on the upgrade request (e.g. agent info). */
  headers?: Record<string, string>;
  tunnel?: TunnelOptions;
  /** Called with each established tunnel (the lead wires stream handling here). */
  onTunnel: (tunnel: Tunnel) => void;
  /**
   * Reconnect backoff: starts at minDelayMs (default 1 s), doubles to maxDelayMs (default 30 s), full
   * jitter; resets after a connection stayed up for resetAfterMs (default 60 s).
   */
  minDelayMs?: number;
  maxDelayMs?: number;
  resetAfterMs?: number;
  /** Source of jitter in [0, 1); tests pin it to see the backoff itself. */
  random?: () => number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Emitted as 'retry' before each wait between attempts. */
export interface RetryEvent {
  /** Failed attempts (or short-lived connections) since the last long-lived connection. */
  attempt: number;
  /** The backoff ceiling for this wait: minDelayMs doubled per attempt, at most maxDelayMs. */
  ceilingMs: number;
  /** The wait actually taken: uniformly random below the ceiling. */
  delayMs: number;
}

const CACERTS_MAX_BYTES = 1024 * 1024;
const CACERTS_TIMEOUT_MS = 15_000;
const HANDSHAKE_TIMEOUT_MS = 20_000;
const REFUSAL_BODY_MAX_BYTES = 64 * 1024;
/** How long stop() waits for the server to acknowledge the close before dropping the socket. */
const CLOSE_GRACE_MS = 2_000;

/** A failure whose message is fit for the log as it is (no stack, no token). */
class DialError extends Error {
  constructor(
    message: string,
    readonly level: 'warn' | 'error',
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * The agent's side of the connection: dials `wss://<server>/v3/connect`, wraps the socket in a
 * Tunnel, and dials again with exponential backoff and full jitter whenever the connection fails or
 * ends, until stop(). Emits 'connected' (tunnel), 'disconnected' ({ code, reason }) and 'retry'
 * (RetryEvent).
 */
export class AgentDialer extends EventEmitter {
  private readonly opts: DialerOptions;
  private readonly connectUrl: URL;
  private readonly cacertsUrl: URL;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly resetAfterMs: number;
  private readonly random: () => number;
  private readonly log: NonNullable<DialerOptions['log']>;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private tunnel: Tunnel | undefined;
  private attempt = 0;

  constructor(opts: DialerOptions) {
    super();
    const base = new URL(opts.serverUrl);
    if (base.protocol !== 'https:') throw new Error(`the server URL must be https://, got ${base.protocol}//`);
    const caChecksum = opts.caChecksum?.trim().toLowerCase();
    if (caChecksum && !/^[0-9a-f]{64}$/.test(caChecksum)) {
      throw new Error('caChecksum must be 64 hex characters (SHA-256 of the server CA PEM)');
    }
    this.opts = { ...opts, caChecksum };
    this.connectUrl = new URL('/v3/connect', base);
    this.connectUrl.protocol = 'wss:';
    this.cacertsUrl = new URL('/cacerts', base);
    this.minDelayMs = opts.minDelayMs ?? 1_000;
    this.maxDelayMs = Math.max(this.minDelayMs, opts.maxDelayMs ?? 30_000);
    this.resetAfterMs = opts.resetAfterMs ?? 60_000;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? (() => {});
  }

  get connected(): boolean {
    return this.tunnel?.isOpen() ?? false;
  }

  /** Resolves with the next tunnel established from now on. */
  nextTunnel(): Promise<Tunnel> {
    return once(this, 'connected').then(([tunnel]) => tunnel as Tunnel);
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  /** Stops dialing, closes the current tunnel, and resolves once nothing of the dialer is left running. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort?.abort();
    this.tunnel?.close(1000, 'agent stopping');
    await this.loop;
    this.loop = undefined;
    this.abort = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let upSince: number | undefined;
      try {
        upSince = await this.connectOnce(signal);
      } catch (error) {
        // A bug must not end the agent's only way home; it is logged, and dialing goes on.
        this.log('error', 'unexpected failure while connecting', { error: describe(error) });
      }
      if (signal.aborted) break;
      if (upSince !== undefined && Date.now() - upSince >= this.resetAfterMs) this.attempt = 0;
      const ceilingMs = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** Math.min(this.attempt, 30));
      const delayMs = Math.floor(this.random() * ceilingMs);
      this.attempt++;
      const retry: RetryEvent = { attempt: this.attempt, ceilingMs, delayMs };
      this.emit('retry', retry);
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        break; // stopped
      }
    }
  }

  /** One attempt: returns when the connection failed or ended; with the time it came up, if it did. */
  private async connectOnce(signal: AbortSignal): Promise<number | undefined> {
    const fields = { server: this.connectUrl.origin, clusterId: this.opts.clusterId };
    let ws: WebSocket;
    try {
      const ca = this.opts.caChecksum ? await this.fetchPinnedCA(this.opts.caChecksum, signal) : undefined;
      ws = await this.open(ca, signal);
    } catch (error) {
      if (!signal.aborted) {
        if (error instanceof DialError) this.log(error.level, error.message, { ...fields, ...error.fields });
        else this.log('warn', 'cannot connect to the server', { ...fields, error: describe(error) });
      }
      return undefined;
    }

    const upSince = Date.now();
    const tunnel = new Tunnel(ws, this.opts.tunnel);
    this.tunnel = tunnel;
    try {
      this.opts.onTunnel(tunnel);
    } catch (error) {
      this.log('error', 'the tunnel handler failed', { ...fields, error: describe(error) });
    }
    this.log('info', 'tunnel established', fields);
    this.emit('connected', tunnel);
    // stop() may have come while onTunnel ran.
    if (signal.aborted) tunnel.close(1000, 'agent stopping');

    const close = await tunnel.closed;
    await closedSocket(ws);
    this.tunnel = undefined;
    this.log(signal.aborted ? 'info' : 'warn', 'tunnel closed', { ...fields, code: close.code, reason: close.reason });
    this.emit('disconnected', close);
    return upSince;
  }

  /** GET /cacerts without verification, and accept it only if it is the CA the checksum names. */
  private async fetchPinnedCA(checksum: string, signal: AbortSignal): Promise<string> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      // No token, no cluster id: the server is not trusted yet.
      const req = https.get(this.cacertsUrl, {
        rejectUnauthorized: false,
        agent: false,
        signal,
        timeout: CACERTS_TIMEOUT_MS,
      });
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${CACERTS_TIMEOUT_MS} ms`)));
      req.on('error', reject);
    }).catch((error: unknown) => {
      throw new DialError('cannot fetch the server CA from /cacerts', 'warn', { error: describe(error) });
    });
    const body = await readBody(res, CACERTS_MAX_BYTES);
    if (res.statusCode !== 200) {
      throw new DialError('the server did not return its CA from /cacerts', 'error', { status: res.statusCode });
    }
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== checksum) {
      throw new DialError(
        'the server CA does not match the configured CA checksum; not connecting (wrong server, or its CA changed)',
        'error',
        { expected: checksum, actual },
      );
    }
    return body.toString('utf8');
  }

  /** Opens the WebSocket; rejects with the server's own message when it refuses the upgrade. */
  private open(ca: string | undefined, signal: AbortSignal): Promise<WebSocket> {
    const options: ClientOptions = {
      headers: {
        ...this.opts.headers,
        'X-Corral-Token': this.opts.token,
        'X-Corral-Cluster-Id': this.opts.clusterId,
      },
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_FRAME_BYTES,
      // With a pinned CA it is the only trust anchor; without, Node's default CAs apply.
      ...(ca === undefined ? {} : { ca }),
    };
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.connectUrl, options);
      let settled = false;
      const settle = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (!error) return resolve(ws);
        // Keep an error listener: ws may still report the aborted handshake after this.
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      const onAbort = (): void => settle(new Error('stopped'));
      signal.addEventListener('abort', onAbort, { once: true });
      ws.once('open', () => {
        ws.removeAllListeners('error');
        settle(undefined);
      });
      ws.on('error', (error) => settle(error));
      ws.once('unexpected-response', (_req, res) => {
        readBody(res, REFUSAL_BODY_MAX_BYTES)
          .catch(() => Buffer.alloc(0))
          .then((body) => settle(refusal(res.statusCode ?? 0, body)));
      });
    });
  }
}

/** The server refused the upgrade: say why, in its words (Rancher-style `{type:"error",message}`). */
function refusal(status: number, body: Buffer): DialError {
  let message = body.toString('utf8').slice(0, 500);
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // not JSON: the text itself is the best explanation there is
  }
  const auth = status === 401 || status === 403;
  return new DialError(
    auth ? 'the server refused the registration token' : 'the server refused the tunnel',
    auth ? 'warn' : 'error',
    { status, message },
  );
}

async function readBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      res.destroy();
      throw new DialError(`the server's answer exceeds ${maxBytes} bytes`, 'error');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Waits for the socket to be fully closed, dropping it if the server does not finish the close handshake. */
async function closedSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const ignore = (): void => {};
  ws.on('error', ignore); // whatever goes wrong now, the socket is on its way out
  const closed = new Promise((resolve) => ws.once('close', resolve));
  const grace = new AbortController();
  const timer = sleep(CLOSE_GRACE_MS, undefined, { signal: grace.signal }).then(
    () => ws.terminate(),
    () => {},
  );
  await closed;
  grace.abort();
  await timer;
  ws.off('error', ignore);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
