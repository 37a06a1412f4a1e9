import { createHash } from 'node:crypto';
import { request } from 'node:https';
import type { ServerEntry } from './config.js';

export { UsageError } from './usage-error.js';

/** An error the server answered with: Rancher's `{type:"error",status,code,message,fieldName}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldName?: string,
    readonly serverUrl?: string,
  ) {
    super(message);
  }
}

export interface Connection {
  url: string;
  cacert?: string;
  skipVerify?: boolean;
  token?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const TLS_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

/** Turns a socket-level failure into one line that says what to do. */
function networkError(conn: Connection, err: NodeJS.ErrnoException): Error {
  const code = err.code ?? '';
  if (TLS_ERRORS.has(code)) {
    return new Error(
      `the certificate of ${conn.url} is not trusted by the CA ${conn.cacert ? 'saved for it' : 'of this system'} ` +
        `(${code}): check the URL, or log in again with --cacert <file> (or trust on first use) to save the right CA`,
    );
  }
  if (code === 'ECONNREFUSED')
    return new Error(`cannot reach ${conn.url}: connection refused; is the server running and the URL right?`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new Error(`cannot resolve the host of ${conn.url}: check the server URL`);
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return new Error(`cannot talk HTTPS to ${conn.url} (${code}): check the URL and port, and that the server runs`);
  return new Error(`request to ${conn.url} failed: ${err.message}`);
}

export function rawRequest(
  conn: Connection,
  method: string,
  path: string,
  body?: unknown,
  opts: { timeoutMs?: number; insecure?: boolean } = {},
): Promise<RawResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (conn.token) headers.authorization = `Bearer ${conn.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, conn.url + '/'),
      {
        method,
        headers,
        ca: conn.cacert,
        rejectUnauthorized: !(opts.insecure || conn.skipVerify),
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (e) => reject(networkError(conn, e)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(networkError(conn, e)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A v3 API call: JSON in and out; a non-2xx answer throws ApiError. */
export async function api<T = Record<string, unknown>>(
  conn: Connection,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await rawRequest(conn, method, path, body);
  const text = res.body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = undefined;
  }
  if (res.status >= 200 && res.status < 300) {
    if (json === undefined) throw new Error(`${conn.url}${path} did not answer JSON: is this a Corral server?`);
    return json as T;
  }
  if (json && json.type === 'error') {
    throw new ApiError(
      res.status,
      String(json.code ?? res.status),
      String(json.message ?? ''),
      typeof json.fieldName === 'string' ? json.fieldName : undefined,
      conn.url,
    );
  }
  throw new ApiError(
    res.status,
    String(res.status),
    `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
    undefined,
    conn.url,
  );
}

export async function listAll<T = Record<string, unknown>>(conn: Connection, path: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const page: { data?: T[]; pagination?: { next?: string } } = await api(conn, 'GET', next);
    out.push(...(page.data ?? []));
    const n = page.pagination?.next;
    next = n ? new URL(n).pathname + new URL(n).search : undefined;
  }
  return out;
}

export function connectionOf(server: ServerEntry): Connection {
  return { url: server.url, cacert: server.cacert, skipVerify: server.skipVerify, token: server.token };
}

/** The server's /cacerts, fetched without verification (trust on first use), and its SHA-256. */
export async function fetchCa(url: string): Promise<{ pem: string; checksum: string } | undefined> {
  const res = await rawRequest({ url }, 'GET', '/cacerts', undefined, { insecure: true, timeoutMs: 15_000 });
  if (res.status === 404) return undefined; // a certificate from a public CA
  const pem = res.body.toString('utf8');
  if (res.status !== 200 || !pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`${url}/cacerts did not answer a CA certificate (HTTP ${res.status}): is this a Corral server?`);
  return { pem, checksum: sha256(pem) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One line for an error, with what to do where we know. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const field = err.fieldName ? ` (field ${err.fieldName})` : '';
    if (err.status === 401) {
      return (
        `${err.message || 'not authenticated'}${field}: your token is invalid or expired; ` +
        `run corral login ${err.serverUrl ?? '<server-url>'} again`
      );
    }
    return `${err.message || err.code}${field} [${err.status} ${err.code}]`;
  }
  return err instanceof Error ? err.message : String(err);
}
