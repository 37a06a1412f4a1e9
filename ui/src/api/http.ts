/**
 * The one way the UI talks to the server: fetch with the session cookie, the CSRF header the
 * server demands on cookie-authenticated changes, and errors turned into ApiRequestError whether
 * they come from the v3 API or from a Kubernetes API server behind /k8s/clusters.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiInit {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Return the body as text (kubeconfig, logs, YAML) instead of parsing JSON. */
  raw?: boolean;
}

export class ApiRequestError extends Error {
  readonly status: number;
  /** The v3 error code (e.g. InvalidFormat, PermissionDenied) or the Kubernetes Status reason. */
  readonly code: string;
  /** The v3 field the error is about, so forms can show it next to that field. */
  readonly fieldName?: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body: unknown, fieldName?: string) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.body = body;
    if (fieldName) this.fieldName = fieldName;
  }
}

const CSRF_COOKIE = 'CSRF';
const CSRF_HEADER = 'x-api-csrf';

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called when an authenticated request answers 401 (session expired, token deleted, user disabled). */
export function onUnauthorized(cb: UnauthorizedListener): () => void {
  unauthorizedListeners.add(cb);
  return () => unauthorizedListeners.delete(cb);
}

export async function api<T>(method: Method, path: string, body?: unknown, init: ApiInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: init.raw ? '*/*' : 'application/json', ...init.headers };
  if (method !== 'GET') {
    // Double-submit CSRF: only a page of this origin can read the cookie to echo it.
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let payload: string | undefined;
  if (body !== undefined) {
    if (typeof body === 'string') payload = body;
    else {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const request = () =>
    fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: init.signal });
  let res: Response;
  try {
    res = await request();
  } catch (err) {
    // A read that never reached the server (the browser saw the network change, a proxy reset the
    // connection) is safe to send again once; a change is not, it may have been applied.
    if (method !== 'GET' || init.signal?.aborted) throw err;
    await new Promise((r) => setTimeout(r, 300));
    res = await request();
  }
  const text = await res.text();
  if (!res.ok) {
    const err = toError(res.status, res.statusText, text);
    // A failed login is a 401 too, but it is the login page's business, not a lost session.
    if (res.status === 401 && !path.startsWith('/v3-public/')) for (const cb of unauthorizedListeners) cb();
    throw err;
  }
  if (init.raw) return text as T;
  if (!text) return undefined as T;
  return JSON.parse(text) as T;
}

function toError(status: number, statusText: string, text: string): ApiRequestError {
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): keep the text as the message.
  }
  if (parsed && typeof parsed === 'object') {
    const b = parsed as Record<string, unknown>;
    // v3: {type:'error', status, code, message, fieldName?}
    if (b.type === 'error') {
      return new ApiRequestError(
        status,
        String(b.code ?? 'Error'),
        String(b.message ?? statusText),
        parsed,
        typeof b.fieldName === 'string' ? b.fieldName : undefined,
      );
    }
    // Kubernetes: {kind:'Status', status:'Failure', reason, message, code}
    if (b.kind === 'Status') {
      return new ApiRequestError(status, String(b.reason ?? 'Error'), String(b.message ?? statusText), parsed);
    }
  }
  const message = typeof parsed === 'string' && parsed.trim() ? parsed.trim().slice(0, 500) : statusText;
  return new ApiRequestError(status, 'Error', message || `HTTP ${status}`, parsed);
}

/** A short human message for any error thrown by api() or by code around it. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiRequestError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * An error as { field: message } for a form: the API's fieldName when it names one, else "form"
 * (shown above the buttons).
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (err instanceof ApiRequestError && err.fieldName) return { [err.fieldName]: atField(err.fieldName, err.message) };
  return { form: errorMessage(err) };
}

/**
 * An API message shown beside its input, without the field's path the API starts it with
 * ("importedConfig.kubeConfig is not a usable kubeconfig" → "not a usable kubeconfig"): the
 * input's own label already says which field it is.
 */
export function atField(fieldName: string, message: string): string {
  if (!message.startsWith(`${fieldName} `)) return message;
  const rest = message.slice(fieldName.length + 1);
  if (rest.startsWith('(')) return `This value ${rest}`;
  return rest.replace(/^is (not )?/, (_m, not: string | undefined) => (not ? 'not ' : ''));
}
