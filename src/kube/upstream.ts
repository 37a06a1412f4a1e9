import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Upstream } from './forward.js';

export interface KubeUpstream {
  upstream: Upstream;
  close(): void;
}

/**
 * An API server as an Upstream, from a kubeconfig's current context: its CA, and a bearer token
 * or client certificate. An in-cluster token file is re-read every minute, because projected
 * service-account tokens rotate.
 */
export function upstreamFromKubeConfig(kc: KubeConfig): KubeUpstream {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server);
  const decode = (data?: string) => (data ? Buffer.from(data, 'base64').toString('utf8') : undefined);
  const fromFile = (file?: string) => (file ? readFileSync(file, 'utf8') : undefined);
  const agent = new HttpsAgent({
    keepAlive: true,
    maxSockets: 64,
    ca: decode(cluster.caData) ?? fromFile(cluster.caFile),
    cert: decode(user?.certData) ?? fromFile(user?.certFile),
    key: decode(user?.keyData) ?? fromFile(user?.keyFile),
    rejectUnauthorized: !cluster.skipTLSVerify,
  });
  const headers: Record<string, string> = {};
  const tokenFile = (user?.authProvider?.config as { tokenFile?: string } | undefined)?.tokenFile;
  const readToken = () => {
    const token = user?.token ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
  };
  readToken();
  const refresh = tokenFile ? setInterval(readToken, 60_000).unref() : undefined;
  return {
    upstream: {
      protocol: url.protocol === 'http:' ? 'http:' : 'https:',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || (url.protocol === 'http:' ? 80 : 443),
      basePath: url.pathname.replace(/\/$/, ''),
      options: { agent },
      headers,
    },
    close: () => {
      clearInterval(refresh);
      agent.destroy();
    },
  };
}
