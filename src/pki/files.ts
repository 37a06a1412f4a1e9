import { X509Certificate as NodeX509, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeSecretFile } from '../util/secret-file.js';
import type { Certificate } from './certificates.js';
import { keyPairFromPem } from './keys.js';

/** Writes a PEM file with mode 0600; certificates get it too, so a PKI folder needs no per-file judgement. */
export const writePem: (path: string, pem: string) => Promise<void> = writeSecretFile;

export interface PemPaths {
  cert: string;
  key: string;
}

export async function writeCertificate(certificate: Certificate, paths: PemPaths): Promise<void> {
  await Promise.all([writePem(paths.cert, certificate.certPem), writePem(paths.key, certificate.keyPem)]);
}

export async function readCertificate(paths: PemPaths): Promise<Certificate> {
  const [certPem, keyPem] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
  return certificateFromPem(certPem, keyPem);
}

export function certificateFromPem(certPem: string, keyPem: string): Certificate {
  const cert = new NodeX509(certPem);
  const keys = keyPairFromPem(keyPem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error(`private key does not match the certificate for "${cert.subject}"`);
  }
  return { certPem, keyPem, cert, keys };
}
