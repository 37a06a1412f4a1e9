import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Where an API server is and how to authenticate to it: what a kubeconfig's current context says. */
export interface KubeTarget {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** A token file to re-read (rotating service-account tokens). */
  tokenFile?: string;
  skipTLSVerify?: boolean;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

const decode = (data: unknown) =>
  typeof data === 'string' && data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
const fileText = (path: unknown, base: string) =>
  typeof path === 'string' && path ? readFileSync(path.startsWith('/') ? path : join(base, path), 'utf8') : undefined;

/**
 * Reads the current context of a kubeconfig (YAML or JSON): enough for the server's and the
 * agent's connections without loading a whole Kubernetes client library at startup. Exec and
 * auth-provider plugins are not supported: give a token or a client certificate.
 */
export function kubeTargetFromKubeconfig(text: string, baseDir = '.'): KubeTarget {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object') throw new Error('not a kubeconfig');
  const find = <T>(list: unknown, name: unknown, what: string): T => {
    const item = (Array.isArray(list) ? (list as Named<T>[]) : []).find((x) => x?.name === name);
    if (!item) throw new Error(`no ${what} named "${String(name)}"`);
    return (item.cluster ?? item.user ?? item.context ?? {}) as T;
  };
  const contextName = doc['current-context'] ?? (doc.contexts as Named<unknown>[] | undefined)?.[0]?.name;
  if (!contextName) throw new Error('it has no current context');
  const context = find<{ cluster?: string; user?: string }>(doc.contexts, contextName, 'context');
  const cluster = find<Record<string, unknown>>(doc.clusters, context.cluster, 'cluster');
  const user = context.user ? find<Record<string, unknown>>(doc.users, context.user, 'user') : {};
  if (typeof cluster.server !== 'string' || !/^https?:\/\//.test(cluster.server)) {
    throw new Error(`cluster "${String(context.cluster)}" has no https:// server`);
  }
  if (user.exec || user['auth-provider']) {
    throw new Error('exec and auth-provider credentials are not supported: use a token or a client certificate');
  }
  return {
    server: cluster.server,
    caPem: decode(cluster['certificate-authority-data']) ?? fileText(cluster['certificate-authority'], baseDir),
    certPem: decode(user['client-certificate-data']) ?? fileText(user['client-certificate'], baseDir),
    keyPem: decode(user['client-key-data']) ?? fileText(user['client-key'], baseDir),
    token: typeof user.token === 'string' ? user.token : undefined,
    tokenFile: typeof user.tokenFile === 'string' ? user.tokenFile : undefined,
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster API server and this pod's service account (what an agent pod uses). */
export function inClusterKubeTarget(): KubeTarget {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host || !existsSync(join(SA_DIR, 'token'))) {
    throw new Error(
      'not running in a Kubernetes pod (no KUBERNETES_SERVICE_HOST or service-account token); give --kubeconfig',
    );
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    caPem: readFileSync(join(SA_DIR, 'ca.crt'), 'utf8'),
    tokenFile: join(SA_DIR, 'token'),
  };
}
