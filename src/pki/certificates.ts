import { X509Certificate as NodeX509, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from './x509.js';
import { generateKeyPair, privateKeyToPem, signingAlgorithm, type KeyAlgorithm, type KeyPair } from './keys.js';

const DAY_MS = 24 * 60 * 60 * 1000;
// Certificates start slightly in the past so that a peer whose clock is a little behind accepts them.
const BACKDATE_MS = 5 * 60 * 1000;

export interface Subject {
  commonName: string;
  /** Organizations; Kubernetes reads them as the groups of a client certificate. */
  organizations?: string[];
}

/** A certificate with its private key, both as PEM, plus the parsed certificate. */
export interface Certificate {
  certPem: string;
  keyPem: string;
  cert: NodeX509;
  keys: KeyPair;
}

export type Usage = 'server' | 'client';

export interface IssueOptions extends Subject {
  usages: Usage[];
  /** DNS names and IP addresses; each is placed in the SAN extension by its kind. */
  altNames?: string[];
  validityDays?: number;
  keyAlgorithm?: KeyAlgorithm;
  /** Certify this existing key instead of generating one (a signing key that must outlive its certificate). */
  keys?: KeyPair;
}

function toName(subject: Subject): x509.Name {
  const json: x509.JsonName = [{ CN: [subject.commonName] }];
  for (const o of subject.organizations ?? []) json.push({ O: [o] });
  return new x509.Name(json);
}

function serialNumber(): string {
  // 16 random bytes with the top bit cleared: positive, as RFC 5280 requires.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

async function toCertificate(generated: x509.X509Certificate, keys: KeyPair): Promise<Certificate> {
  const certPem = generated.toString('pem') + '\n';
  return { certPem, keyPem: await privateKeyToPem(keys.privateKey), cert: new NodeX509(certPem), keys };
}

export interface CreateCAOptions extends Subject {
  validityDays?: number;
  keyAlgorithm?: KeyAlgorithm;
}

/** Creates a self-signed certificate authority. */
export async function createCA(options: CreateCAOptions): Promise<Certificate> {
  const keys = await generateKeyPair(options.keyAlgorithm);
  const name = toName(options);
  const generated = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: name,
    ...validity(options.validityDays ?? 3650),
    signingAlgorithm: signingAlgorithm(keys.algorithm),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return toCertificate(generated, keys);
}

function altNameEntries(altNames: string[]): x509.JsonGeneralName[] {
  return altNames.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value }));
}

/** Issues a leaf certificate signed by `ca` for server and/or client authentication. */
export async function issueCertificate(ca: Certificate, options: IssueOptions): Promise<Certificate> {
  if (options.usages.length === 0) throw new Error('a certificate needs at least one usage: server or client');
  if (options.usages.includes('server') && !options.altNames?.length) {
    throw new Error(`server certificate "${options.commonName}" needs at least one DNS name or IP address`);
  }
  const keys = options.keys ?? (await generateKeyPair(options.keyAlgorithm));
  const extendedUsages = options.usages.map((u) =>
    u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
  );
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (keys.algorithm === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(extendedUsages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (options.altNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(altNameEntries(options.altNames), false));
  }
  const generated = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: toName(options),
    issuer: new x509.X509Certificate(ca.certPem).subjectName,
    ...validity(options.validityDays ?? 365),
    signingAlgorithm: signingAlgorithm(ca.keys.algorithm),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return toCertificate(generated, keys);
}
