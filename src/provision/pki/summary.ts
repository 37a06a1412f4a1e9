import { X509Certificate } from 'node:crypto';
import { inspectCertificate } from '../../pki/index.js';
import type { ClusterPki } from './generate.js';

export interface CertificateSummary {
  name: string;
  commonName: string;
  organizations: string[];
  isCA: boolean;
  /** The issuer's common name. */
  issuer: string;
  notAfter: Date;
  /** Upper-case hex, as openssl prints it. */
  serial: string;
  /** SHA-256 of the DER encoding, lower-case hex. */
  sha256: string;
  /** DNS names and IP addresses. */
  altNames: string[];
}

/** One line per certificate for `corral cert` listings, in the bundle's order. */
export function certificateSummary(pki: ClusterPki): CertificateSummary[] {
  return Object.entries(pki).map(([name, entry]) => {
    const cert = new X509Certificate(entry.certPem);
    const info = inspectCertificate(cert);
    const issuer = /^CN=(.*)$/m.exec(cert.issuer)?.[1] ?? cert.issuer;
    return {
      name,
      commonName: info.commonName,
      organizations: info.organizations,
      isCA: info.isCA,
      issuer,
      notAfter: info.notAfter,
      serial: cert.serialNumber.toUpperCase(),
      sha256: info.sha256,
      altNames: [...info.dnsNames, ...info.ipAddresses],
    };
  });
}
