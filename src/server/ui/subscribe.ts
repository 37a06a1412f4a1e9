import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import { render } from '../api/collection.js';
import type { ApiContext, AuthInfo, TypeBehavior } from '../api/context.js';
import { fieldValue } from '../api/list.js';
import type { TypeDef } from '../../schema/schema.js';
import { authenticate } from '../auth/authenticate.js';
import type { ClusterConnections } from '../clusters/connections.js';
import { ApiError, errorBody, toApiError } from '../http/errors.js';
import type { Logger } from '../log.js';
import { downstreamHeaders } from '../proxy/impersonation.js';
import { Batcher, DEFAULT_BATCHING, type BatcherOptions } from './batcher.js';
import { slimObject } from '../../kube/slim.js';
import { tableRows, type Table } from '../../kube/table.js';
import { openK8sWatch, type WatchFailure } from './k8s-watch.js';

export const SUBSCRIBE_PATH = '/v3/subscribe';

export interface SubscribeDeps {
  store: Store;
  connections: ClusterConnections;
  log: Logger;
  types: TypeDef[];
  behaviors: Record<string, TypeBehavior>;
  /** The server's own origin, for the cookie Origin check. */
  allowedOrigin(req: IncomingMessage): Promise<string>;
  /** The context a /v3 request to `url` would get: same rules, memberships, rendering. */
  apiContext(req: IncomingMessage, url: URL, auth: AuthInfo): Promise<ApiContext>;
  batching?: BatcherOptions;
  /** Beyond this many bytes queued on a socket, a watch that wants to send is dropped with a resync. */
  maxBufferedBytes?: number;
  pingIntervalMs?: number;
}

const MAX_WATCHES_PER_SOCKET = 200;
const DEFAULT_MAX_BUFFERED = 4 << 20;
/** How long one permission context serves a socket's v3 watches before it is read again. */
const CONTEXT_TTL_MS = 1000;

type Target =
  | { kind: 'v3'; type: string }
  | {
      kind: 'k8s';
      cluster: string;
      path: string;
      labelSelector?: string;
      fieldSelector?: string;
      /** A list view's watch: objects without managedFields. */
      slim?: boolean;
      /** A list view's watch of rows: Kubernetes Table rows (`src/kube/table.ts`) instead of objects. */
      table?: boolean;
    };

interface WatchRequest {
  id: string;
  target: Target;
  resourceVersion?: string;
  filter?: Record<string, string>;
}

/** One live watch. Callbacks hold the entry, so a late event of a replaced watch goes nowhere. */
interface Entry {
  id: string;
  stopped: boolean;
  release?: () => void;
}

/** Gives the entry what stops its resources; stops them at once when it was stopped meanwhile. */
function onStop(entry: Entry, release: () => void): void {
  if (entry.stopped) release();
  else entry.release = release;
}

function stopEntry(entry: Entry): void {
  entry.stopped = true;
  entry.release?.();
  entry.release = undefined;
}

/** Collection paths only: no query, no dot segments, nothing that is not a plain path. */
const K8S_PATH = /^\/(api|apis)(\/[A-Za-z0-9._~:@-]+)+$/;

/**
 * `wss://<server>/v3/subscribe`: one socket per browser tab carrying many watches — v3 types from
 * the store, rendered and filtered by the very code GET /v3/<type> uses, and Kubernetes
 * collections through the cluster connection as the user (impersonation, so the cluster's RBAC
 * decides). Events are batched; a watch that cannot continue from a known version is ended with
 * a resync, and a client that does not read fast enough loses its watches the same way instead
 * of making the server buffer without bound.
 */
export function subscribeHandler(deps: SubscribeDeps) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  const byId = new Map(deps.types.map((t) => [t.id.toLowerCase(), t]));
  const batching = deps.batching ?? DEFAULT_BATCHING;
  const maxBuffered = deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  // One listener for every socket: a k8s watch whose cluster connection changes must resync.
  const connectionWatchers = new Map<string, Set<() => void>>();
  const onConnectionChange = (clusterId: string) => {
    for (const f of [...(connectionWatchers.get(clusterId) ?? [])]) f();
  };
  deps.connections.on('change', onConnectionChange);

  function refuse(socket: Duplex, err: unknown): void {
    const e = toApiError(err);
    const body = JSON.stringify(errorBody(e));
    socket.end(
      `HTTP/1.1 ${e.status} ${e.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  async function admit(req: IncomingMessage): Promise<AuthInfo> {
    const auth = await authenticate(deps.store, req);
    if (auth.user.spec.mustChangePassword === true) {
      throw new ApiError('PasswordChangeRequired', 'change your password first: POST /v3/users?action=changepassword');
    }
    // A page on another site must not open a socket riding the user's cookie.
    if (auth.via === 'cookie' && req.headers.origin && req.headers.origin !== (await deps.allowedOrigin(req))) {
      throw new ApiError('PermissionDenied', `cross-origin upgrade from ${req.headers.origin} refused`);
    }
    return auth;
  }

  function session(ws: WebSocket, req: IncomingMessage): void {
    const watches = new Map<string, Entry>();
    let context: { at: number; ctx: Promise<ApiContext> } | undefined;
    let alive = true;

    const sendJson = (msg: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    };
    const live = (entry: Entry) => watches.get(entry.id) === entry;
    const end = (entry: Entry, msg: Record<string, unknown>) => {
      if (!live(entry)) return;
      watches.delete(entry.id);
      stopEntry(entry);
      sendJson({ id: entry.id, ...msg });
    };
    const resync = (entry: Entry, reason: string) => {
      if (live(entry)) deps.log.debug('subscribe: watch resync', { id: entry.id, reason });
      end(entry, { resync: true, reason });
    };
    const failWith = (entry: Entry, failure: WatchFailure) => {
      if (live(entry) && failure.status >= 500) deps.log.warn('subscribe: watch failed', { id: entry.id, ...failure });
      end(entry, { error: failure });
    };
    const failure = (err: unknown): WatchFailure => {
      const e = toApiError(err);
      return { status: e.status, code: e.code, message: e.message };
    };

    /** Sends a batch unless the socket is congested, in which case the watch gives up. */
    const deliver = (entry: Entry, events: unknown[]) => {
      if (!live(entry) || !events.length) return;
      if (ws.bufferedAmount > maxBuffered) {
        return resync(entry, 'the client is not reading fast enough; list again');
      }
      sendJson({ id: entry.id, events });
    };

    /** Re-authenticates (a deleted token or disabled user ends the socket) and re-reads permissions. */
    async function currentContext(): Promise<ApiContext> {
      if (context && Date.now() - context.at < CONTEXT_TTL_MS) return context.ctx;
      const ctx = (async () => {
        const auth = await authenticate(deps.store, req);
        // A cluster-scoped URL, so that cluster and project memberships are read too.
        return deps.apiContext(req, new URL('https://corral.invalid/v3/clusters'), auth);
      })();
      context = { at: Date.now(), ctx };
      ctx.catch(() => undefined);
      return ctx;
    }

    function permissionsKey(ctx: ApiContext): string {
      const entries = (m: Map<string, Set<string>>) => [...m].map(([k, v]) => [k, [...v].sort()]).sort();
      return JSON.stringify([ctx.rules, entries(ctx.memberships), entries(ctx.projectMemberships)]);
    }

    async function startV3(w: WatchRequest, entry: Entry, target: { type: string }): Promise<void> {
      const schema = byId.get(String(target.type).toLowerCase());
      if (!schema) throw new ApiError('NotFound', `unknown type "${target.type}"`);
      const behavior = deps.behaviors[schema.id] ?? {};
      if (behavior.list || behavior.get)
        throw new ApiError('InvalidAction', `${schema.plural} are computed, not stored, and cannot be watched`);
      const filter = Object.entries(w.filter ?? {});
      for (const [field, value] of filter) {
        if ((field !== 'clusterId' && field !== 'projectId') || !(field in schema.fields) || typeof value !== 'string')
          throw new ApiError('UnknownField', `cannot filter ${schema.plural} by "${field}"`, field);
      }
      const first = await currentContext();
      if (!first.can('list', schema) && !behavior.ownListFilter?.(first))
        throw new ApiError('PermissionDenied', `you may not list ${schema.plural}`);
      const startFull = first.can('list', schema);
      const startKey = permissionsKey(first);
      const abort = new AbortController();
      const batcher = new Batcher<{ type: string; object: StoredObject }>(
        async (batch) => {
          let ctx: ApiContext;
          try {
            ctx = await currentContext();
          } catch (err) {
            if (err instanceof ApiError && err.code === 'Unauthorized') return closeSocket(err);
            return resync(entry, `could not read your permissions: ${(err as Error).message}`);
          }
          const full = ctx.can('list', schema);
          // Which objects the user sees changed: ones that became visible would never be announced.
          if (full !== startFull || (!full && permissionsKey(ctx) !== startKey))
            return resync(entry, 'your permissions changed; list again');
          const own = full ? undefined : behavior.ownListFilter?.(ctx);
          if (!full && !own) return resync(entry, `you may no longer list ${schema.plural}`);
          const events = batch
            .filter((e) => (full || own!(e.object)) && filter.every(([f, v]) => String(fieldValue(e.object, f)) === v))
            .map((e) => ({ type: e.type, object: render(schema, behavior, e.object, ctx) }));
          deliver(entry, events);
        },
        () => resync(entry, 'too many changes at once; list again'),
        batching,
      );
      onStop(entry, () => {
        abort.abort();
        batcher.stop();
      });
      void (async () => {
        try {
          for await (const event of deps.store.watch({
            type: schema.id,
            resourceVersion: w.resourceVersion || undefined,
            signal: abort.signal,
          })) {
            batcher.push(event);
          }
          if (!abort.signal.aborted) {
            await batcher.drain();
            resync(entry, 'the store watch ended');
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          await batcher.drain();
          if (err instanceof StoreError && err.code === 'Gone') return resync(entry, err.message);
          if (err instanceof StoreError && err.code === 'Invalid') return failWith(entry, failure(err));
          resync(entry, `the store watch was interrupted: ${(err as Error).message}`);
        }
      })();
    }

    async function startK8s(w: WatchRequest, entry: Entry, target: Extract<Target, { kind: 'k8s' }>): Promise<void> {
      const clusterId = String(target.cluster ?? '');
      if (!clusterId) throw new ApiError('MissingRequired', 'target.cluster is required', 'cluster');
      if (typeof target.path !== 'string' || !K8S_PATH.test(target.path) || /\/\.\.?(\/|$)/.test(target.path))
        throw new ApiError('InvalidFormat', 'target.path must be a Kubernetes collection path without a query', 'path');
      for (const key of ['labelSelector', 'fieldSelector'] as const) {
        if (target[key] !== undefined && typeof target[key] !== 'string')
          throw new ApiError('InvalidType', `${key} must be a string`, key);
      }
      const current = await authenticate(deps.store, req);
      try {
        await deps.store.get('cluster', clusterId);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'NotFound')
          throw new ApiError('NotFound', `cluster "${clusterId}" not found`);
        throw err;
      }
      const conn = deps.connections.get(clusterId);
      if (!conn)
        throw new ApiError(
          'ServiceUnavailable',
          `cluster ${clusterId} is unavailable: its agent is not connected to this server`,
        );
      const batcher = new Batcher<unknown>(
        (events) => deliver(entry, events),
        () => resync(entry, 'too many changes at once; list again'),
        batching,
      );
      const onChange = () => {
        if (deps.connections.get(clusterId) !== conn) resync(entry, `the connection to cluster ${clusterId} changed`);
      };
      const upstream = openK8sWatch(
        conn.upstream,
        // Only what identifies the user: the browser's own headers (cookies, Origin) stay here.
        downstreamHeaders({ 'user-agent': req.headers['user-agent'] }, current),
        {
          path: target.path,
          resourceVersion: w.resourceVersion || undefined,
          labelSelector: target.labelSelector,
          fieldSelector: target.fieldSelector,
          table: target.table === true,
        },
        {
          onEvent: (e) => {
            if (target.table === true) {
              // One object per event: its row, or nothing for a Table without one.
              for (const row of tableRows(e.object as Table)) batcher.push({ type: e.type, object: row });
              return;
            }
            if (target.slim === true) slimObject(e.object);
            batcher.push(e);
          },
          onResync: (reason) => void batcher.drain().then(() => resync(entry, reason)),
          onError: (f) => failWith(entry, f),
        },
      );
      let set = connectionWatchers.get(clusterId);
      if (!set) connectionWatchers.set(clusterId, (set = new Set()));
      set.add(onChange);
      onStop(entry, () => {
        upstream.stop();
        batcher.stop();
        const s = connectionWatchers.get(clusterId);
        s?.delete(onChange);
        if (s?.size === 0) connectionWatchers.delete(clusterId);
      });
    }

    function parse(data: string): { op: string; id: string } & Partial<WatchRequest> {
      let msg: unknown;
      try {
        msg = JSON.parse(data);
      } catch {
        throw new ApiError('InvalidBodyContent', 'messages must be JSON');
      }
      if (!msg || typeof msg !== 'object') throw new ApiError('InvalidBodyContent', 'messages must be JSON objects');
      const m = msg as Record<string, unknown>;
      if (typeof m.id !== 'string' || !m.id || m.id.length > 256)
        throw new ApiError('MissingRequired', 'every message needs an "id" string', 'id');
      return m as { op: string; id: string } & Partial<WatchRequest>;
    }

    async function onMessage(data: string): Promise<void> {
      let msg: ReturnType<typeof parse>;
      try {
        msg = parse(data);
      } catch (err) {
        return sendJson({ error: failure(err) });
      }
      // A watch with an id in use replaces the old one (a client re-watching after a resync).
      const existing = watches.get(msg.id);
      if (existing) {
        watches.delete(msg.id);
        stopEntry(existing);
      }
      if (msg.op === 'stop') return;
      if (msg.op !== 'watch')
        return sendJson({ id: msg.id, error: failure(new ApiError('InvalidAction', `unknown op "${msg.op}"`)) });
      const w = msg as WatchRequest;
      // Registered before it starts, so a stop that arrives while it starts cancels it.
      const entry: Entry = { id: w.id, stopped: false };
      watches.set(w.id, entry);
      try {
        if (watches.size > MAX_WATCHES_PER_SOCKET)
          throw new ApiError('TooManyRequests', `at most ${MAX_WATCHES_PER_SOCKET} watches per socket`);
        if (w.resourceVersion !== undefined && typeof w.resourceVersion !== 'string')
          throw new ApiError('InvalidType', 'resourceVersion must be a string', 'resourceVersion');
        const target = w.target as Target | undefined;
        if (target?.kind === 'v3') await startV3(w, entry, target);
        else if (target?.kind === 'k8s') await startK8s(w, entry, target);
        else throw new ApiError('InvalidValue', 'target.kind must be "v3" or "k8s"', 'target');
      } catch (err) {
        if (err instanceof ApiError && err.code === 'Unauthorized') return closeSocket(err);
        failWith(entry, failure(err));
      }
    }

    function closeSocket(err: unknown): void {
      if (!alive) return;
      sendJson({ error: failure(err) });
      ws.close(4401, 'unauthorized');
      stopAll();
    }

    function stopAll(): void {
      alive = false;
      for (const entry of watches.values()) stopEntry(entry);
      watches.clear();
      clearInterval(ping);
    }

    let pong = true;
    const ping = setInterval(() => {
      if (!pong) return ws.terminate();
      pong = false;
      ws.ping();
      // A socket outlives its token only until the next ping.
      authenticate(deps.store, req).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'Unauthorized') closeSocket(err);
      });
    }, deps.pingIntervalMs ?? 30_000);
    ws.on('pong', () => (pong = true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return sendJson({ error: failure(new ApiError('InvalidBodyContent', 'send JSON text frames')) });
      void onMessage(data.toString());
    });
    ws.on('close', stopAll);
    ws.on('error', () => ws.terminate());
  }

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      admit(req)
        .then(() => wss.handleUpgrade(req, socket, head, (ws) => session(ws, req)))
        .catch((err: unknown) => refuse(socket, err));
    },
    close(): void {
      deps.connections.off('change', onConnectionChange);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
