/**
 * What a TLS Secret's certificate says: subject, issuer, other names and validity, read in the
 * browser from `tls.crt` (the leaf, the first of the chain). Loaded only with a TLS Secret's page:
 * @peculiar/x509's dependency injection needs the reflect-metadata polyfill first.
 */
import 'reflect-metadata';
import { SubjectAlternativeNameExtension, X509Certificate } from '@peculiar/x509';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
}

export function certificateInfo(pem: string): CertificateInfo {
  const begin = pem.indexOf('-----BEGIN CERTIFICATE-----');
  const end = pem.indexOf('-----END CERTIFICATE-----', begin);
  if (begin < 0 || end < 0) throw new Error('tls.crt holds no PEM certificate');
  const cert = new X509Certificate(pem.slice(begin, end + '-----END CERTIFICATE-----'.length));
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    names: (san?.names.items ?? []).map((n) => n.value),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber,
  };
}
