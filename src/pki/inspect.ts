import type { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  isCA: boolean;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER encoding, lower-case hex without separators (Rancher's cacerts checksum). */
  sha256: string;
}

function subjectValues(subject: string, key: string): string[] {
  return subject
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

export function inspectCertificate(cert: X509Certificate): CertificateInfo {
  const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  return {
    commonName: subjectValues(cert.subject, 'CN')[0] ?? '',
    organizations: subjectValues(cert.subject, 'O'),
    dnsNames: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ipAddresses: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
    isCA: cert.ca,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    sha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}

/**
 * Checks that `cert` was signed by `issuer` and is valid at `at`. Throws with the reason when not,
 * so that callers can show what is wrong instead of a bare false.
 */
export function verifyIssuedBy(cert: X509Certificate, issuer: X509Certificate, at = new Date()): void {
  if (!issuer.ca) throw new Error(`"${issuer.subject}" is not a certificate authority`);
  if (!cert.checkIssued(issuer)) {
    throw new Error(`certificate "${cert.subject}" names issuer "${cert.issuer}", not "${issuer.subject}"`);
  }
  if (!cert.verify(issuer.publicKey)) {
    throw new Error(`signature of "${cert.subject}" does not verify with the key of "${issuer.subject}"`);
  }
  if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) {
    throw new Error(
      `certificate "${cert.subject}" is valid from ${cert.validFrom} to ${cert.validTo}, not at ${at.toISOString()}`,
    );
  }
}
