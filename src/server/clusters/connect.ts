import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Store } from '../../store/types.js';
import { Tunnel, type TunnelOptions } from '../../tunnel/index.js';
import { ApiError, errorBody, toApiError } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/encryption.js';
import { tunnelConnection, type ClusterConnections } from './connections.js';
import { findRegistration } from './registration.js';

export const CONNECT_PATH = '/v3/connect';

export interface ConnectDeps {
  store: Store;
  secretBox: SecretBox;
  connections: ClusterConnections;
  log: Logger;
  tunnel?: TunnelOptions;
}

/**
 * `wss://<server>/v3/connect`: an agent proves its cluster's registration token and becomes that
 * cluster's connection. A newer connection replaces an older one (an agent restarted); the
 * tunnel's end removes it, and the health controller then marks the cluster unavailable.
 */
export function agentConnectHandler(deps: ConnectDeps) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 << 20, perMessageDeflate: false });

  function refuse(socket: Duplex, err: unknown): void {
    const e = toApiError(err);
    const body = JSON.stringify(errorBody(e));
    socket.end(
      `HTTP/1.1 ${e.status} ${e.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const token = String(req.headers['x-corral-token'] ?? '');
    const clusterId = String(req.headers['x-corral-cluster-id'] ?? '');
    if (!token || !clusterId) throw new ApiError('Unauthorized', 'send X-Corral-Token and X-Corral-Cluster-Id');
    const registration = await findRegistration(deps.store, deps.secretBox, clusterId, token);
    if (!registration) {
      throw new ApiError(
        'Unauthorized',
        `the registration token is not valid for cluster ${clusterId} (regenerated or deleted?)`,
      );
    }
    const cluster = await deps.store.get('cluster', clusterId);
    if (cluster.spec.driver !== 'imported')
      throw new ApiError('InvalidAction', `cluster ${clusterId} is not imported with an agent`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tunnel = new Tunnel(ws, deps.tunnel);
      // The server only opens streams; an agent has no business opening any.
      tunnel.onStream((stream) => stream.destroy(new Error('agents may not open streams')));
      const conn = tunnelConnection(tunnel, registration.id);
      deps.connections.set(clusterId, conn);
      deps.log.info('agent connected', { clusterId, remoteAddress: req.socket.remoteAddress });
      void tunnel.closed.then(({ code, reason }) => {
        deps.connections.remove(clusterId, conn);
        deps.log.info('agent disconnected', { clusterId, code, reason });
      });
    });
  }

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      handle(req, socket, head).catch((err: unknown) => refuse(socket, err));
    },
    close(): void {
      wss.close();
    },
  };
}
