import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { sendJson, sendText } from './respond.js';

/** What a handler answers: the status, a body (JSON unless it is a string) and extra headers. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
  /** For string bodies; JSON bodies are always application/json. */
  contentType?: string;
}

export const reply = (status: number, body: unknown, headers?: Reply['headers']): Reply => ({ status, body, headers });

/**
 * How a route is authenticated. `public`: no credential looked at. `user`: the router's
 * authentication hook runs first and its result reaches the handler. `self`: the handler
 * authenticates on its own terms (the proxy accepts cluster-scoped tokens).
 */
export type RouteAuth = 'public' | 'user' | 'self';

export interface RouteRequest<A> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Named segments of the route's path pattern, URL-decoded. */
  params: Record<string, string>;
  /** Set for `user` routes. */
  auth: A;
}

export interface Route<A> {
  /** Methods answered; the route is skipped for others (so a later route may take them). */
  methods?: readonly string[];
  /** `/v3/import/:name`, `/v3/*` (the rest of the path), or exact. */
  path: string;
  /** Match the path case-insensitively (Rancher's API paths are). */
  ignoreCase?: boolean;
  /** A further condition for the route to apply (a public setting read without credentials). */
  when?(req: IncomingMessage, url: URL, params: Record<string, string>): boolean;
  auth: RouteAuth;
  /** Returns a reply to send, or nothing when it wrote the response itself (streams). */
  handle(r: RouteRequest<A>): Promise<Reply | void> | Reply | void;
}

interface Compiled<A> {
  route: Route<A>;
  pattern: RegExp;
  names: string[];
}

function compile<A>(route: Route<A>): Compiled<A> {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (seg === '*') {
        names.push('rest');
        return '(.*)';
      }
      if (seg.startsWith(':')) {
        const optional = seg.endsWith('?');
        names.push(seg.slice(1, optional ? -1 : undefined));
        return optional ? '?([^/]*)' : '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, names, pattern: new RegExp(`^${source}$`, route.ignoreCase ? 'i' : '') };
}

/** Writes a reply: strings as text, everything else as JSON. */
export function sendReply(res: ServerResponse, r: Reply): void {
  if (typeof r.body === 'string') sendText(res, r.status, r.body, r.contentType, r.headers);
  else sendJson(res, r.status, r.body, r.headers);
}

/**
 * A route table with one authentication hook: the first route whose method, path and condition
 * match handles the request. A path that matches no route with that method answers 405 when
 * some route has the path, 404 otherwise.
 */
export function routeTable<A>(
  routes: Route<A>[],
  authenticate: (req: IncomingMessage, url: URL) => Promise<A>,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<A | undefined> {
  const compiled = routes.map(compile);
  return async function dispatch(req, res, url) {
    const method = req.method ?? 'GET';
    let pathMatched = false;
    for (const { route, pattern, names } of compiled) {
      const m = pattern.exec(url.pathname);
      if (!m) continue;
      if (route.methods && !route.methods.includes(method)) {
        pathMatched = true;
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        const raw = m[i + 1];
        if (raw === undefined || raw === '') return;
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          throw new ApiError('InvalidFormat', `malformed path segment "${raw}"`);
        }
      });
      if (route.when && !route.when(req, url, params)) continue;
      const auth = route.auth === 'user' ? await authenticate(req, url) : (undefined as A);
      const out = await route.handle({ req, res, url, params, auth });
      if (out) sendReply(res, out);
      return;
    }
    if (pathMatched) throw new ApiError('MethodNotAllowed', `${method} is not allowed on ${url.pathname}`);
    throw new ApiError('NotFound', `no such path ${url.pathname}`);
  };
}
