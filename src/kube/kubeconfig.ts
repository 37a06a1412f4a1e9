import { readFile } from 'node:fs/promises';
import { writeSecretFile } from '../util/secret-file.js';

export interface KubeconfigSpec {
  /** Names the cluster and the context. */
  name: string;
  server: string;
  /** The CA to trust, as PEM; omit to use the system's. */
  caPem?: string;
  skipVerify?: boolean;
  userName: string;
  user: { token: string } | { certPem: string; keyPem: string };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * A self-contained kubeconfig (everything embedded) for one user of one cluster, as an object:
 * callers write it as YAML, or as JSON, which kubectl reads too and which needs no YAML library.
 */
export function kubeconfigObject(spec: KubeconfigSpec): Record<string, unknown> {
  const cluster: Record<string, unknown> = { server: spec.server };
  if (spec.caPem) cluster['certificate-authority-data'] = b64(spec.caPem);
  if (spec.skipVerify) cluster['insecure-skip-tls-verify'] = true;
  const user =
    'token' in spec.user
      ? { token: spec.user.token }
      : { 'client-certificate-data': b64(spec.user.certPem), 'client-key-data': b64(spec.user.keyPem) };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster }],
    users: [{ name: spec.userName, user }],
    contexts: [{ name: spec.name, context: { cluster: spec.name, user: spec.userName } }],
    'current-context': spec.name,
  };
}

/** The CA (PEM) of a kubeconfig file's current cluster. */
export async function kubeconfigCaPem(path: string): Promise<string> {
  const data = /certificate-authority-data: (\S+)/.exec(await readFile(path, 'utf8'))?.[1];
  if (!data) throw new Error(`${path} has no embedded certificate-authority-data`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Writes a kubeconfig that authenticates with a bearer token (mode 0600: it holds a credential). */
export async function writeTokenKubeconfig(
  path: string,
  opts: { name: string; server: string; caPem: string; token: string },
) {
  const config = kubeconfigObject({ ...opts, userName: `${opts.name}-user`, user: { token: opts.token } });
  await writeSecretFile(path, JSON.stringify(config, null, 2) + '\n');
}
