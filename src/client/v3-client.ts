import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { TypeDef } from '../schema/schema.js';

/**
 * The one client of Corral's v3 API, shared by the CLI, the test helpers and the benchmarks. It
 * imports only `node:https` and the schema's types, so the CLI can load it on every run.
 *
 * Typing is loose on purpose: the schema (`src/schema`) declares fields at run time, and typed
 * input/output builders over it are being added separately; `create`/`update` take the TypeDef so
 * that narrowing the body type later changes only these signatures.
 */

/** An error the server answered with: Rancher's `{type:"error",status,code,message,fieldName}`. */
export class V3Error extends Error {
  override readonly name = 'V3Error';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldName?: string,
    readonly serverUrl?: string,
    /** The request that failed, `METHOD /path`, for messages and logs. */
    readonly request?: string,
  ) {
    super(message);
  }
}

export interface V3ClientOptions {
  /** `https://host:port`; a path is a base that relative request paths go under. */
  url: string;
  /** PEM of the CA to trust instead of the system's (a Corral server's own CA). */
  ca?: string;
  /** Client certificate and key (PEM), for servers that authenticate by certificate. */
  cert?: string;
  key?: string;
  /** `token-xxxxx:secret`, sent as a Bearer token. */
  token?: string;
  /** Do not verify the server's certificate (trust on first use, `--skip-verify`). */
  insecure?: boolean;
  /** Per request; default 30 s, 0 for none (watches, long tests). */
  timeoutMs?: number;
  /** Keep connections open across requests, with at most this many sockets (benchmarks). */
  keepAliveSockets?: number;
  /** Skip SNI (servers addressed by IP, whose certificates name no host). */
  noServername?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RequestOptions {
  /** A raw body, sent as is (default: `body` as JSON). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Override the client's token for one request; `null` sends none. */
  token?: string | null;
}

export type Resource = Record<string, unknown> & { id?: string; type?: string };

export interface Collection<T = Resource> {
  type: 'collection';
  data: T[];
  pagination?: { limit?: number; total?: number; next?: string; marker?: string; partial?: boolean };
  revision?: string;
  [key: string]: unknown;
}

/** A type given by its declaration or its collection name (`users`). */
export type TypeRef = TypeDef | string;

const pluralOf = (t: TypeRef) => (typeof t === 'string' ? t : t.plural);

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

/** A socket-level failure that says what to do; `code` keeps the system's code for callers. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function connectionError(o: V3ClientOptions, err: NodeJS.ErrnoException): ConnectionError {
  const code = err.code ?? '';
  const url = o.url;
  if (TLS_ERRORS.has(code)) {
    return new ConnectionError(
      `the certificate of ${url} is not trusted by the CA ${o.ca ? 'saved for it' : 'of this system'} ` +
        `(${code}): check the URL, or log in again with --cacert <file> (or trust on first use) to save the right CA`,
      code,
    );
  }
  if (code === 'ECONNREFUSED')
    return new ConnectionError(
      `cannot reach ${url}: connection refused; is the server running and the URL right?`,
      code,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new ConnectionError(`cannot resolve the host of ${url}: check the server URL`, code);
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return new ConnectionError(
      `cannot talk HTTPS to ${url} (${code}): check the URL and port, and that the server runs`,
      code,
    );
  return new ConnectionError(`request to ${url} failed: ${err.message}`, code);
}

/** Parses a body as JSON; undefined when it is not JSON (an empty body is `{}`). */
export function parseJson(body: Buffer | string): Record<string, unknown> | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The V3Error for a non-2xx answer: Rancher's error body when there is one, else the status. */
export function errorOf(res: RawResponse, method: string, path: string, serverUrl?: string): V3Error {
  const json = parseJson(res.body);
  const req = `${method} ${path}`;
  if (json && json.type === 'error') {
    return new V3Error(
      res.status,
      String(json.code ?? res.status),
      String(json.message ?? ''),
      typeof json.fieldName === 'string' ? json.fieldName : undefined,
      serverUrl,
      req,
    );
  }
  // A Kubernetes Status (the proxy's answers) carries reason and message.
  if (json && json.kind === 'Status') {
    return new V3Error(
      res.status,
      String(json.reason ?? res.status),
      String(json.message ?? ''),
      undefined,
      serverUrl,
      req,
    );
  }
  const text = res.body.toString('utf8').slice(0, 200);
  return new V3Error(res.status, String(res.status), `${req}: HTTP ${res.status} ${text}`, undefined, serverUrl, req);
}

export class V3Client {
  readonly url: string;
  private readonly agent: Agent | undefined;

  constructor(readonly options: V3ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.agent = options.keepAliveSockets
      ? new Agent({ keepAlive: true, maxSockets: options.keepAliveSockets })
      : undefined;
  }

  /** The same server and trust with another token (a login's session, another user's). */
  withToken(token: string | undefined): V3Client {
    return new V3Client({ ...this.options, token });
  }

  /** One HTTPS request; never throws for an HTTP status, only for a connection failure. */
  request(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<RawResponse> {
    const o = this.options;
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    const token = opts.token === undefined ? o.token : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.url + '/'),
        {
          method,
          headers,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          agent: this.agent,
          rejectUnauthorized: !o.insecure,
          timeout: o.timeoutMs ?? 30_000,
          ...(o.noServername ? { servername: '' } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', (e) => reject(connectionError(o, e)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(connectionError(o, e)));
      req.end(payload);
    });
  }

  /**
   * A GET whose answer is read as it arrives (followed pod logs): resolves with the response once
   * its head is in, with no deadline on the body; a non-2xx answer is read whole and thrown as a
   * V3Error, as `call` does.
   */
  stream(path: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const o = this.options;
    const headers: Record<string, string> = { accept: '*/*' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.url + '/'),
        {
          headers,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          rejectUnauthorized: !o.insecure,
          signal,
          ...(o.noServername ? { servername: '' } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(res);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            reject(errorOf({ status, headers: res.headers, body: Buffer.concat(chunks) }, 'GET', path, this.url)),
          );
          res.on('error', (e) => reject(connectionError(o, e)));
        },
      );
      req.on('error', (e) => reject(connectionError(o, e)));
      req.end();
    });
  }

  /** A JSON call: the parsed answer, or a V3Error for any non-2xx status. */
  async call<T = Resource>(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<T> {
    const res = await this.request(method, path, body, opts);
    if (res.status < 200 || res.status >= 300) throw errorOf(res, method, path, this.url);
    const json = parseJson(res.body);
    if (json === undefined) throw new Error(`${this.url}${path} did not answer JSON: is this a Corral server?`);
    return json as T;
  }

  /** One page of a collection; `query` filters (`{clusterId: 'c-x'}`), `limit` and `marker` page. */
  page<T = Resource>(type: TypeRef, query: Query = {}): Promise<Collection<T>> {
    return this.call<Collection<T>>('GET', `/v3/${pluralOf(type)}${queryString(query)}`);
  }

  /** Every item of a collection, following `pagination.next` page by page. */
  async list<T = Resource>(type: TypeRef, query: Query = {}): Promise<T[]> {
    return this.listPath<T>(`/v3/${pluralOf(type)}${queryString(query)}`);
  }

  /** Every item of a collection at a path (collections outside `/v3/<type>`, such as namespaces). */
  async listPath<T = Resource>(path: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: Collection<T> = await this.call<Collection<T>>('GET', next);
      out.push(...(page.data ?? []));
      const n = page.pagination?.next;
      // The server's next link is absolute: keep only path and query, so the client's trust applies.
      next = n ? pathOf(n) : undefined;
    }
    return out;
  }

  get<T = Resource>(type: TypeRef, id: string): Promise<T> {
    return this.call<T>('GET', `/v3/${pluralOf(type)}/${encodeURIComponent(id)}`);
  }

  /** The resource, or undefined when the server answers 404 (or 403, which hides existence). */
  async find<T = Resource>(type: TypeRef, id: string): Promise<T | undefined> {
    try {
      return await this.get<T>(type, id);
    } catch (err) {
      if (err instanceof V3Error && (err.status === 404 || err.status === 403)) return undefined;
      throw err;
    }
  }

  create<T = Resource>(type: TypeRef, body: Record<string, unknown>): Promise<T> {
    return this.call<T>('POST', `/v3/${pluralOf(type)}`, body);
  }

  update<T = Resource>(type: TypeRef, id: string, body: Record<string, unknown>): Promise<T> {
    return this.call<T>('PUT', `/v3/${pluralOf(type)}/${encodeURIComponent(id)}`, body);
  }

  remove<T = Resource>(type: TypeRef, id: string, query: Query = {}): Promise<T> {
    return this.call<T>('DELETE', `/v3/${pluralOf(type)}/${encodeURIComponent(id)}${queryString(query)}`);
  }

  /** A resource action (`id` given) or a collection action (`id` undefined). */
  action<T = Resource>(type: TypeRef, id: string | undefined, action: string, input: unknown = {}): Promise<T> {
    const base = `/v3/${pluralOf(type)}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
    return this.call<T>('POST', `${base}?action=${encodeURIComponent(action)}`, input);
  }

  /** Local login; returns the session token (`token-xxxxx:secret`) and the login's answer. */
  async login(username: string, password: string): Promise<{ token: string; answer: Resource }> {
    const answer = await this.call(
      'POST',
      '/v3-public/localProviders/local?action=login',
      { username, password },
      {
        token: null,
      },
    );
    if (typeof answer.token !== 'string') throw new Error(`login as ${username}: the answer carries no token`);
    return { token: answer.token, answer };
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function pathOf(link: string): string {
  const u = new URL(link, 'https://placeholder');
  return u.pathname + u.search;
}
