import { createServer, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { endToEndHeaders, forwardRequest, forwardUpgrade } from '../kube/forward.js';
import { inClusterKubeTarget, kubeTargetFromKubeconfig } from '../kube/kubeconfig-target.js';
import { upstreamFor } from '../kube/upstream.js';
import type { Tunnel } from '../tunnel/index.js';
import { AgentDialer } from './dialer.js';

export interface AgentOptions {
  serverUrl: string;
  token: string;
  clusterId: string;
  caChecksum?: string;
  /** A kubeconfig file; without it the in-cluster service account is used. */
  kubeconfig?: string;
  version: string;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningAgent {
  dialer: AgentDialer;
  stop(): Promise<void>;
}

/**
 * The agent: keeps a tunnel to the server and serves each stream the server opens as one HTTP
 * connection, forwarded to this cluster's API server with the agent's own credentials. The
 * cluster's credentials never leave the cluster; the server sends only impersonation headers.
 */
export function startAgent(opts: AgentOptions): RunningAgent {
  const target = opts.kubeconfig
    ? kubeTargetFromKubeconfig(readFileSync(opts.kubeconfig, 'utf8'), dirname(opts.kubeconfig))
    : inClusterKubeTarget();
  const api = upstreamFor(target);

  const headersFor = (req: IncomingMessage) => {
    const headers = endToEndHeaders(req.headers);
    // Only the agent's credential reaches the API server.
    delete headers.authorization;
    return headers;
  };
  const http = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    forwardRequest(req, res, api.upstream, req.url ?? '/', headersFor(req), {
      onError: (err) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              status: 'Failure',
              message: `agent: the API server did not answer: ${err.message}`,
              code: 502,
            }),
          );
        }
      },
    });
  });
  http.on('upgrade', (req, socket, head) => {
    forwardUpgrade(req, socket, head, api.upstream, req.url ?? '/', headersFor(req), {
      onError: (err) =>
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(err.message)}\r\n\r\n${err.message}`,
        ),
    });
  });

  const dialer = new AgentDialer({
    serverUrl: opts.serverUrl,
    token: opts.token,
    clusterId: opts.clusterId,
    caChecksum: opts.caChecksum,
    headers: { 'x-corral-agent-version': opts.version },
    log: opts.log,
    onTunnel: (tunnel: Tunnel) => {
      opts.log('info', 'connected to the server', { server: opts.serverUrl, clusterId: opts.clusterId });
      tunnel.onStream((stream) => http.emit('connection', stream));
    },
  });
  dialer.start();
  return {
    dialer,
    async stop() {
      await dialer.stop();
      http.close();
      http.closeAllConnections();
      api.close();
    },
  };
}
