import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { forwardRequest, forwardUpgrade } from '../../kube/forward.js';
import { StoreError } from '../../store/types.js';
import type { AuthInfo } from '../api/context.js';
import { authenticate } from '../auth/authenticate.js';
import type { ClusterConnections } from '../clusters/connections.js';
import { ApiError, errorBody, toApiError } from '../http/errors.js';
import { sendError } from '../http/respond.js';
import type { Logger } from '../log.js';
import type { HotObjects } from '../hot-objects.js';
import { downstreamHeaders } from './impersonation.js';

const PREFIX = /^\/k8s\/clusters\/([^/]+)(\/.*)?$/;

export interface ProxyDeps {
  hot: HotObjects;
  connections: ClusterConnections;
  log: Logger;
  /** The server's own origin(s), for the WebSocket Origin check. */
  allowedOrigin(req: IncomingMessage): Promise<string>;
}

export function isProxyPath(path: string): boolean {
  return PREFIX.test(path);
}

/**
 * `/k8s/clusters/<id>/…`: every authenticated user may send requests, as themselves; the
 * cluster's own RBAC decides what they may do.
 */
export function k8sProxy(deps: ProxyDeps) {
  async function prepare(req: IncomingMessage, url: URL) {
    const [, clusterId, rest] = PREFIX.exec(url.pathname)!;
    // One reader for the request: token, user and cluster from memory while the cache is current.
    const reader = await deps.hot.reader();
    const auth = await authenticate(reader, req, { clusterId });
    if (auth.user.spec.mustChangePassword === true) {
      throw new ApiError('PasswordChangeRequired', 'change your password first: POST /v3/users?action=changepassword');
    }
    try {
      await reader.get('cluster', clusterId!);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound')
        throw new ApiError('NotFound', `cluster "${clusterId}" not found`);
      throw err;
    }
    const conn = deps.connections.get(clusterId!);
    if (!conn) {
      throw new ApiError(
        'ServiceUnavailable',
        `cluster ${clusterId} is unavailable: its agent is not connected to this server`,
      );
    }
    return { clusterId: clusterId!, auth, conn, path: (rest ?? '/') + url.search };
  }

  const unavailable = (clusterId: string, err: Error) =>
    new ApiError('ServiceUnavailable', `cluster ${clusterId} is unavailable: ${err.message}`);

  async function handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<AuthInfo | undefined> {
    const { clusterId, auth, conn, path } = await prepare(req, url);
    const handlers = {
      onError: (err: Error) => {
        deps.log.warn('proxy request failed', { clusterId, error: err.message });
        sendError(res, unavailable(clusterId, err));
      },
    };
    forwardRequest(req, res, conn.upstream, path, downstreamHeaders(req.headers, auth), handlers);
    return auth;
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const refuse = (err: unknown) => {
      const e = toApiError(err);
      const body = JSON.stringify(errorBody(e));
      socket.end(
        `HTTP/1.1 ${e.status} ${e.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    prepare(req, url)
      .then(async ({ clusterId, auth, conn, path }) => {
        // A page on another site must not open a socket (exec, attach) riding the user's cookie.
        if (auth.via === 'cookie' && req.headers.origin && req.headers.origin !== (await deps.allowedOrigin(req))) {
          throw new ApiError('PermissionDenied', `cross-origin upgrade from ${req.headers.origin} refused`);
        }
        forwardUpgrade(req, socket, head, conn.upstream, path, downstreamHeaders(req.headers, auth), {
          onError: (err) => refuse(unavailable(clusterId, err)),
        });
      })
      .catch(refuse);
  }

  return { handleRequest, handleUpgrade };
}
