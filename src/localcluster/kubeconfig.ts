import { stringify } from 'yaml';
import type { Certificate } from '../pki/index.js';
import { writeSecretFile } from '../util/secret-file.js';

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** A self-contained kubeconfig (certificates embedded) for one user of one cluster. */
export function kubeconfigYaml(opts: {
  name: string;
  server: string;
  ca: Certificate;
  user: Certificate;
  userName: string;
}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: opts.name, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.ca.certPem) } },
    ],
    users: [
      {
        name: opts.userName,
        user: { 'client-certificate-data': b64(opts.user.certPem), 'client-key-data': b64(opts.user.keyPem) },
      },
    ],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: opts.userName } }],
    'current-context': opts.name,
  });
}

/** Writes a kubeconfig readable only by its owner: it holds a private key. */
export async function writeKubeconfig(path: string, yaml: string): Promise<void> {
  await writeSecretFile(path, yaml);
}
