import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpsOptions {
  cert: string;
  key: string;
  host: string;
  port: number;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** HTTPS only: Corral never serves its API in clear text. */
export async function listenHttps(opts: HttpsOptions, listener: RequestListener): Promise<Listening> {
  const server = createServer(
    {
      cert: opts.cert,
      key: opts.key,
      minVersion: 'TLSv1.2',
      // Slow clients must not hold sockets forever.
      requestTimeout: 60_000,
      headersTimeout: 20_000,
      keepAliveTimeout: 30_000,
    },
    listener,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // In-flight requests get a moment to finish; then whatever is left (a watch) is cut.
        const force = setTimeout(() => server.closeAllConnections(), 3000).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Idle keep-alive sockets would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
