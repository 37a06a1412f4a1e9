import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import type { Upstream } from './forward.js';
import type { KubeTarget } from './kubeconfig-target.js';

export interface KubeUpstream {
  upstream: Upstream;
  close(): void;
}

/**
 * An API server as an Upstream: its CA, and a bearer token or client certificate. A token file
 * is re-read every minute, because projected service-account tokens rotate.
 */
export function upstreamFor(target: KubeTarget): KubeUpstream {
  const url = new URL(target.server);
  const agent = new HttpsAgent({
    keepAlive: true,
    maxSockets: 64,
    ca: target.caPem,
    cert: target.certPem,
    key: target.keyPem,
    rejectUnauthorized: !target.skipTLSVerify,
  });
  const headers: Record<string, string> = {};
  const readToken = () => {
    const token = target.token ?? (target.tokenFile ? readFileSync(target.tokenFile, 'utf8').trim() : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
  };
  readToken();
  const refresh = target.tokenFile ? setInterval(readToken, 60_000).unref() : undefined;
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
