import { join } from 'node:path';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { testDir } from './control-plane.js';

/** A serving certificate chain (leaf + private CA) and key, as operators pass with --tls-cert/--tls-key. */
export async function servingCertFiles(): Promise<{ cert: string; key: string; caPem: string }> {
  const dir = await testDir('tls');
  const ca = await createCA({ commonName: 'test-ingress-ca' });
  const leaf = await issueCertificate(ca, {
    commonName: 'corral',
    usages: ['server'],
    altNames: ['localhost', '127.0.0.1'],
  });
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  await Promise.all([writePem(cert, leaf.certPem + ca.certPem), writePem(key, leaf.keyPem)]);
  return { cert, key, caPem: ca.certPem };
}
