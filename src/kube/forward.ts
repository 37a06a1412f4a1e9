import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';

/**
 * Where requests go: a kube-apiserver reached directly (https, with its CA and maybe a client
 * certificate), or through a tunnel (plain http over a tunnel stream; the agent adds TLS and
 * credentials on its side).
 */
export interface Upstream {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /** Path prefix of the API server URL (a kubeconfig server may have one). */
  basePath?: string;
  options: HttpsRequestOptions & { agent?: HttpAgent | false };
  /** Headers the upstream needs on every request (a bearer token for a direct cluster). */
  headers?: Record<string, string>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The end-to-end headers of a message: hop-by-hop ones removed, and so is every header the sender
 * named in Connection. This must happen before a proxy adds headers of its own, or a client could
 * name them in Connection and have them stripped (Rancher's CVE-2021-31999). `drop` leaves out more
 * in the same pass (a proxy's credential headers): one copy per request, and no `delete`, which
 * turns an object into a slow dictionary.
 */
export function endToEndHeaders(headers: IncomingHttpHeaders, drop?: (name: string) => boolean): OutgoingHttpHeaders {
  const connection = headers.connection;
  const named = connection
    ? new Set(
        connection
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
    : undefined;
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) || drop?.(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Sends a request upstream; `headers` is copied, not changed. */
export function send(upstream: Upstream, method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest {
  const outgoing: OutgoingHttpHeaders = {};
  // The client's Host names this hop; Node derives the upstream's (and its TLS server name) itself.
  for (const name in headers) if (name !== 'host') outgoing[name] = headers[name];
  if (upstream.headers) for (const name in upstream.headers) outgoing[name] = upstream.headers[name];
  const options: RequestOptions = Object.assign({}, upstream.options, {
    protocol: upstream.protocol,
    host: upstream.host,
    port: upstream.port,
    method,
    path: upstream.basePath ? upstream.basePath + path : path,
    headers: outgoing,
  });
  return upstream.protocol === 'https:' ? httpsRequest(options) : httpRequest(options);
}

export interface ForwardHandlers {
  /** The upstream could not be reached or failed before answering. */
  onError(err: Error): void;
}

/**
 * Forwards one request and streams the answer back as it arrives: each chunk of a watch is
 * written to the client at once, and a client that goes away cancels the upstream request.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: Upstream,
  path: string,
  headers: OutgoingHttpHeaders,
  handlers: ForwardHandlers,
): void {
  const upReq = send(upstream, req.method ?? 'GET', path, headers);
  let answered = false;
  upReq.on('response', (upRes) => {
    answered = true;
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEndHeaders(upRes.headers));
    // A stream (a watch: no length) must reach the client before its first event; a sized answer
    // goes out with its body, one write instead of two (and one TLS record).
    if (upRes.headers['content-length'] === undefined) {
      res.flushHeaders();
      res.socket?.setNoDelay(true);
    }
    upRes.pipe(res);
    upRes.on('error', () => res.destroy());
  });
  upReq.on('error', (err) => {
    if (!answered) handlers.onError(err);
    else res.destroy(err);
  });
  res.on('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  // A message with neither length nor chunking has no body (RFC 9112 §6.3): a GET's usual case, and
  // a pipe of nothing still costs its listeners. Node drains the unread request when the answer ends.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) upReq.end();
  else req.pipe(upReq);
}

function rawHead(status: number, message: string, headers: IncomingHttpHeaders): string {
  const lines = [`HTTP/1.1 ${status} ${message}`];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of ([] as (string | undefined)[]).concat(value)) if (v !== undefined) lines.push(`${name}: ${v}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Forwards an HTTP upgrade (exec, attach, port-forward over SPDY or WebSocket): once the upstream
 * answers 101, bytes flow both ways untouched until either side closes. A refusal (403, 400) is
 * relayed as a normal response.
 */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  upstream: Upstream,
  path: string,
  headers: OutgoingHttpHeaders,
  handlers: ForwardHandlers,
): void {
  const upReq = send(upstream, req.method ?? 'GET', path, {
    ...headers,
    connection: 'Upgrade',
    upgrade: req.headers.upgrade ?? '',
  });
  upReq.on('upgrade', (upRes, upSocket, upHead) => {
    socket.write(rawHead(101, upRes.statusMessage ?? 'Switching Protocols', upRes.headers));
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    const close = () => {
      upSocket.destroy();
      socket.destroy();
    };
    upSocket.on('error', close);
    socket.on('error', close);
    upSocket.on('close', close);
    socket.on('close', close);
  });
  upReq.on('response', (upRes) => {
    const chunks: Buffer[] = [];
    upRes.on('data', (c: Buffer) => chunks.push(c));
    upRes.on('end', () => {
      const body = Buffer.concat(chunks);
      const h = endToEndHeaders(upRes.headers) as IncomingHttpHeaders;
      h['content-length'] = String(body.length);
      h.connection = 'close';
      socket.end(Buffer.concat([Buffer.from(rawHead(upRes.statusCode ?? 502, upRes.statusMessage ?? '', h)), body]));
    });
  });
  upReq.on('error', (err) => handlers.onError(err));
  socket.on('error', () => upReq.destroy());
  upReq.end();
}
