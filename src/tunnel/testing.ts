import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from './frames.js';
import { Tunnel, type TunnelOptions } from './tunnel.js';

/** Two tunnels joined by a real WebSocket on loopback, for tests. */
export interface TunnelPair {
  /** The side that accepted the WebSocket. */
  server: Tunnel;
  /** The side that dialed. */
  client: Tunnel;
  serverSocket: WebSocket;
  clientSocket: WebSocket;
  /** Closes both tunnels and waits until both sockets and the listener are closed. */
  dispose(): Promise<void>;
}

export async function tunnelPair(
  options: { server?: TunnelOptions; client?: TunnelOptions } = {},
): Promise<TunnelPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_BYTES });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const clientSocket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await once(clientSocket, 'open');
  const [serverSocket] = await accepted;
  const server = new Tunnel(serverSocket, options.server);
  const client = new Tunnel(clientSocket, options.client);
  const socketClosed = (ws: WebSocket): Promise<unknown> =>
    ws.readyState === WebSocket.CLOSED ? Promise.resolve() : once(ws, 'close');
  return {
    server,
    client,
    serverSocket,
    clientSocket,
    async dispose() {
      const closing = [socketClosed(serverSocket), socketClosed(clientSocket)];
      client.close(1000, 'test done');
      server.close(1000, 'test done');
      await Promise.all(closing);
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
