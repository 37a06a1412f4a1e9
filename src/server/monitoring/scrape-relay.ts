import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from '../../kube/forward.js';
import type { ClusterConnections } from '../clusters/connections.js';

/**
 * What Prometheus may read of a cluster through the relay, all GET: the API server's metrics and
 * each node's kubelet metrics via the API server's node proxy. Nothing else: the relay carries
 * the server's own credentials.
 */
const ALLOWED = [/^\/metrics$/, /^\/api\/v1\/nodes\/[^/]+\/proxy\/metrics(\/cadvisor|\/resource)?$/];

/**
 * A loopback HTTP endpoint, `/<clusterId>/<path>`, that Prometheus scrapes: each request goes to
 * the cluster over its existing connection (tunnel or direct), so Prometheus beside the server
 * needs no route to the cluster's network and no credential of its own. A random bearer token
 * (in a 0600 file Prometheus reads) keeps other local processes out.
 */
export class ScrapeRelay {
  readonly token = randomBytes(32).toString('base64url');
  private server?: Server;
  private port = 0;

  constructor(private readonly connections: ClusterConnections) {}

  base(clusterId: string): string {
    return `http://127.0.0.1:${this.port}/${encodeURIComponent(clusterId)}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://relay');
      const m = /^\/([^/]+)(\/.*)$/.exec(url.pathname);
      if (req.headers.authorization !== `Bearer ${this.token}`) return void res.writeHead(401).end();
      if (req.method !== 'GET' || !m || !ALLOWED.some((r) => r.test(m[2]!))) return void res.writeHead(403).end();
      const conn = this.connections.get(decodeURIComponent(m[1]!));
      if (!conn) return void res.writeHead(503).end('cluster not connected');
      const headers: Record<string, string> = {};
      for (const h of ['accept', 'accept-encoding'] as const) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      forwardRequest(req, res, conn.upstream, m[2]! + url.search, headers, {
        onError: (err) => {
          if (!res.headersSent) res.writeHead(502).end(err.message);
          else res.destroy();
        },
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
