import { stringify } from 'yaml';
import { kubeconfigObject } from '../kube/kubeconfig.js';
import type { Certificate } from '../pki/index.js';
import { writeSecretFile } from '../util/secret-file.js';

/** A self-contained kubeconfig (certificates embedded) for one user of one cluster. */
export function kubeconfigYaml(opts: {
  name: string;
  server: string;
  ca: Certificate;
  user: Certificate;
  userName: string;
}): string {
  return stringify(
    kubeconfigObject({
      name: opts.name,
      server: opts.server,
      caPem: opts.ca.certPem,
      userName: opts.userName,
      user: { certPem: opts.user.certPem, keyPem: opts.user.keyPem },
    }),
  );
}

/** Writes a kubeconfig readable only by its owner: it holds a private key. */
export async function writeKubeconfig(path: string, yaml: string): Promise<void> {
  await writeSecretFile(path, yaml);
}
