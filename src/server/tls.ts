import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  createCA,
  inspectCertificate,
  issueCertificate,
  readCertificate,
  writeCertificate,
  type Certificate,
} from '../pki/index.js';

export interface ServingTls {
  cert: string;
  key: string;
  /** PEM of the CA that clients should trust; empty when a user-supplied certificate has no private CA. */
  caPem: string;
  /** SHA-256 (hex) of caPem, as Rancher's agents compute it to pin the server CA. */
  caChecksum: string;
}

export function caChecksum(caPem: string): string {
  return caPem ? createHash('sha256').update(caPem).digest('hex') : '';
}

/** Names the serving certificate must carry: loopback, this host, and the server URL's host. */
function servingNames(serverUrl: string | undefined, listenHost: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  if (serverUrl) names.add(new URL(serverUrl).hostname.replace(/^\[|\]$/g, ''));
  if (listenHost !== '0.0.0.0' && listenHost !== '::') names.add(listenHost);
  return [...names];
}

/**
 * The server's TLS material. With --tls-cert/--tls-key, those are served as given. Otherwise a CA
 * and a serving certificate are generated once and kept in `<dataDir>/tls`; the serving
 * certificate is re-issued from the same CA when the server URL names a host it lacks, so agents
 * that pinned the CA keep trusting the server.
 */
export async function loadServingTls(opts: {
  dataDir: string;
  serverUrl?: string;
  listenHost: string;
  tlsCert?: string;
  tlsKey?: string;
}): Promise<ServingTls> {
  if (opts.tlsCert || opts.tlsKey) {
    if (!opts.tlsCert || !opts.tlsKey) throw new Error('--tls-cert and --tls-key go together: give both or neither');
    const [cert, key] = await Promise.all([readFile(opts.tlsCert, 'utf8'), readFile(opts.tlsKey, 'utf8')]);
    const caPem = privateRootOf(cert);
    return { cert, key, caPem, caChecksum: caChecksum(caPem) };
  }
  const dir = join(opts.dataDir, 'tls');
  const caPaths = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  const servingPaths = { cert: join(dir, 'serving.crt'), key: join(dir, 'serving.key') };
  let ca: Certificate;
  if (existsSync(caPaths.key)) ca = await readCertificate(caPaths);
  else {
    ca = await createCA({ commonName: 'corral-ca', organizations: ['corral'], validityDays: 3650 });
    await writeCertificate(ca, caPaths);
  }
  const names = servingNames(opts.serverUrl, opts.listenHost);
  let serving: Certificate | undefined;
  if (existsSync(servingPaths.key)) {
    const existing = await readCertificate(servingPaths);
    const info = inspectCertificate(existing.cert);
    const has = new Set([...info.dnsNames, ...info.ipAddresses]);
    const fresh = info.notAfter.getTime() - Date.now() > 30 * 86400_000;
    if (fresh && names.every((n) => has.has(n)) && existing.cert.checkIssued(ca.cert)) serving = existing;
  }
  if (!serving) {
    serving = await issueCertificate(ca, {
      commonName: 'corral',
      usages: ['server'],
      altNames: names,
      validityDays: 365,
    });
    await writeCertificate(serving, servingPaths);
  }
  return {
    cert: serving.certPem + ca.certPem,
    key: serving.keyPem,
    caPem: ca.certPem,
    caChecksum: caChecksum(ca.certPem),
  };
}

/** The self-signed root at the end of a supplied chain, if the chain includes one. */
function privateRootOf(chainPem: string): string {
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const last = blocks.at(-1);
  if (!last || blocks.length < 2) return '';
  const cert = new X509Certificate(last);
  return cert.ca && cert.checkIssued(cert) ? last + '\n' : '';
}
