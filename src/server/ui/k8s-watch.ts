import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { send, type Upstream } from '../../kube/forward.js';
import { TABLE_ACCEPT } from '../../kube/table.js';

export interface K8sWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Record<string, unknown>;
}

export interface WatchFailure {
  status: number;
  code: string;
  message: string;
}

export interface K8sWatchSpec {
  /** A collection path such as /api/v1/namespaces/default/configmaps, without query. */
  path: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Events as Kubernetes Tables (printed cells, and the object's metadata for its version) instead
   * of whole objects: for list views.
   */
  table?: boolean;
}

export interface K8sWatchHandlers {
  onEvent(event: K8sWatchEvent): void;
  /** The watch cannot continue from a known version: the client must list again. Terminal. */
  onResync(reason: string): void;
  /** The watch could not be started at all (forbidden, no such resource). Terminal. */
  onError(failure: WatchFailure): void;
}

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'InvalidBodyContent',
  401: 'Unauthorized',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  410: 'Gone',
  422: 'InvalidValue',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

/** A watch that ended this soon after it began counts as a failed resume. */
const SHORT_LIVED_MS = 1000;
const MAX_QUICK_ENDS = 3;

/**
 * One Kubernetes watch through a cluster connection. The API server ends watches after a while
 * (its request timeout); those are resumed from the last seen resourceVersion (events and
 * bookmarks), so the client sees one endless stream. Anything that breaks continuity — 410 Gone,
 * a lost connection, resumes that keep failing — ends it with onResync, never silently.
 */
export function openK8sWatch(
  upstream: Upstream,
  headers: OutgoingHttpHeaders,
  spec: K8sWatchSpec,
  handlers: K8sWatchHandlers,
): { stop(): void } {
  let rv = spec.resourceVersion;
  let started = false;
  let done = false;
  let current: ClientRequest | undefined;
  let quickEnds = 0;

  const finish = (f: () => void) => {
    if (done) return;
    done = true;
    current?.destroy();
    f();
  };
  const resync = (reason: string) => finish(() => handlers.onResync(reason));
  const fail = (failure: WatchFailure) => finish(() => handlers.onError(failure));

  function failed(status: number, message: string): void {
    if (status === 410) return resync(`resourceVersion ${rv ?? ''} is too old (410 Gone): ${message}`);
    if (!started) return fail({ status, code: CODE_FOR_STATUS[status] ?? 'ServerError', message });
    resync(`the watch ended and could not be resumed: ${status} ${message}`);
  }

  function open(): void {
    const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true' });
    if (rv) query.set('resourceVersion', rv);
    if (spec.labelSelector) query.set('labelSelector', spec.labelSelector);
    if (spec.fieldSelector) query.set('fieldSelector', spec.fieldSelector);
    if (spec.table) query.set('includeObject', 'Metadata');
    const openedAt = Date.now();
    const accept = spec.table ? TABLE_ACCEPT : 'application/json';
    const req = send(upstream, 'GET', `${spec.path}?${query}`, { ...headers, accept });
    current = req;
    req.on('response', (res) => {
      if (res.statusCode !== 200) return readStatus(res, (status, message) => failed(status, message));
      started = true;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let nl = buffer.indexOf('\n'); nl >= 0 && !done; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) onLine(line);
        }
      });
      res.on('end', () => {
        if (done) return;
        quickEnds = Date.now() - openedAt < SHORT_LIVED_MS ? quickEnds + 1 : 0;
        if (quickEnds >= MAX_QUICK_ENDS) return resync('the watch keeps ending at once and could not be resumed');
        open();
      });
      res.on('error', () => resync('the connection to the cluster was lost'));
      res.on('close', () => {
        if (!res.complete) resync('the connection to the cluster was lost');
      });
    });
    req.on('error', (err) => {
      if (done) return;
      if (!started)
        fail({ status: 503, code: 'ServiceUnavailable', message: `the cluster is unavailable: ${err.message}` });
      else resync(`the connection to the cluster was lost: ${err.message}`);
    });
    req.end();
  }

  function onLine(line: string): void {
    let event: {
      type?: string;
      object?: { code?: number; message?: string; metadata?: { resourceVersion?: string } } & Record<string, unknown>;
    };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return resync('the cluster sent a malformed watch event');
    }
    const object = event.object ?? {};
    if (event.type === 'ERROR') return failed(Number(object.code) || 500, String(object.message ?? 'watch error'));
    const version = object.metadata?.resourceVersion;
    if (version) rv = version;
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
      handlers.onEvent({ type: event.type, object });
    }
    // BOOKMARK: only the version moves on.
  }

  open();
  return { stop: () => finish(() => undefined) };
}

/** Reads a Kubernetes Status answer (bounded) and reports its code and message. */
function readStatus(res: IncomingMessage, then: (status: number, message: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= 64 * 1024) chunks.push(c);
  });
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let message = text.trim() || (res.statusMessage ?? '');
    try {
      const status = JSON.parse(text) as { message?: string };
      if (status.message) message = status.message;
    } catch {
      // not a Status object
    }
    then(res.statusCode ?? 502, message);
  });
  res.on('error', () => then(res.statusCode ?? 502, res.statusMessage ?? ''));
}
