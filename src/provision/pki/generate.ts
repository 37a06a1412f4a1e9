import type { X509Certificate } from 'node:crypto';
import {
  certificateFromPem,
  createCA,
  generateKeyPair,
  inspectCertificate,
  issueCertificate,
  keyPairFromPem,
  verifyIssuedBy,
  type Certificate,
} from '../../pki/index.js';
import type { ClusterConfig } from '../config/types.js';
import { canonicalAltName, CERT, isEtcdCertName, leafSpecs, type IssuerName, type LeafSpec } from './names.js';

/** One entry of the cluster's certificate bundle, as stored in `cluster.rkestate`. */
export interface PkiEntry {
  certPem: string;
  keyPem: string;
  commonName: string;
  /** The organization (RKE's `OUName`): Kubernetes reads it as the group of a client certificate. */
  ou?: string;
}

/** The cluster's certificates by RKE's names (kube-ca, kube-apiserver, kube-etcd-10-0-0-1, …). */
export type ClusterPki = Record<string, PkiEntry>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** RKE's validity: ten years for the CAs and for every leaf (its newSignedCert). */
export const VALIDITY_DAYS = 3650;
/** A certificate that expires sooner than this is re-issued by the next `corral up`. */
export const RENEW_BEFORE_DAYS = 30;

const CA_NAMES: IssuerName[] = [CERT.ca, CERT.requestHeaderCa];

function toEntry(cert: Certificate, commonName: string, organizations: string[] = []): PkiEntry {
  const entry: PkiEntry = { certPem: cert.certPem, keyPem: cert.keyPem, commonName };
  if (organizations.length) entry.ou = organizations.join(',');
  return entry;
}

/** The stored entry as a usable certificate, or undefined when it is missing or broken. */
function parse(entry: PkiEntry | undefined): Certificate | undefined {
  if (!entry) return undefined;
  try {
    return certificateFromPem(entry.certPem, entry.keyPem);
  } catch {
    return undefined;
  }
}

function lastsLongEnough(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS;
}

function usableCa(entry: PkiEntry | undefined, commonName: string, now: Date): Certificate | undefined {
  const ca = parse(entry);
  if (!ca || !ca.cert.ca || inspectCertificate(ca.cert).commonName !== commonName) return undefined;
  try {
    verifyIssuedBy(ca.cert, ca.cert, now);
  } catch {
    return undefined;
  }
  return lastsLongEnough(ca.cert, now) ? ca : undefined;
}

const EKU_OID = { server: '1.3.6.1.5.5.7.3.1', client: '1.3.6.1.5.5.7.3.2' } as const;

const sortedCanonical = (names: string[]) => names.map(canonicalAltName).sort();
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Whether a stored leaf still serves: signed by the current CA, not about to expire, saying what the spec says. */
function leafStillValid(cert: Certificate, spec: LeafSpec, issuer: Certificate, now: Date): boolean {
  try {
    verifyIssuedBy(cert.cert, issuer.cert, now);
  } catch {
    return false;
  }
  if (!lastsLongEnough(cert.cert, now)) return false;
  const info = inspectCertificate(cert.cert);
  const ekus = cert.cert.keyUsage ?? [];
  return (
    info.commonName === spec.commonName &&
    sameList([...info.organizations].sort(), [...spec.organizations].sort()) &&
    sameList(sortedCanonical([...info.dnsNames, ...info.ipAddresses]), sortedCanonical(spec.altNames)) &&
    spec.usages.every((u) => ekus.includes(EKU_OID[u]))
  );
}

function issueLeaf(spec: LeafSpec, issuer: Certificate): Promise<Certificate> {
  return issueCertificate(issuer, {
    commonName: spec.commonName,
    organizations: spec.organizations,
    usages: spec.usages,
    altNames: spec.altNames,
    validityDays: VALIDITY_DAYS,
  });
}

/**
 * RSA, as RKE: kube-apiserver's --service-account-key-file reads RSA keys in any encoding but ECDSA
 * private keys only as SEC1, and RS256 is the algorithm every token consumer accepts.
 */
const newServiceAccountKey = () => generateKeyPair('rsa-2048');

/**
 * The service-account token key signs every service-account token: it is kept for the cluster's
 * life, whatever else is re-issued, so that existing tokens stay valid. Its certificate (RKE stores
 * one) is re-issued around the same key when the CA changes or it nears its end.
 */
async function serviceAccountEntry(existing: PkiEntry | undefined, ca: Certificate, now: Date): Promise<PkiEntry> {
  const name = CERT.serviceAccountToken;
  const stored = parse(existing);
  if (existing && stored) {
    try {
      verifyIssuedBy(stored.cert, ca.cert, now);
      if (lastsLongEnough(stored.cert, now)) return existing;
    } catch {
      // re-certify the same key below
    }
  }
  let keys;
  try {
    keys = existing ? keyPairFromPem(existing.keyPem) : await newServiceAccountKey();
  } catch {
    keys = await newServiceAccountKey();
  }
  const cert = await issueCertificate(ca, { commonName: name, usages: ['client'], validityDays: VALIDITY_DAYS, keys });
  return toEntry(cert, name);
}

/**
 * The cluster's certificates for `config`, reusing from `existing` every certificate that is still
 * right: signed by the current CA, valid for more than 30 days, with the names the configuration
 * asks for. Missing or wrong ones are issued; etcd certificates of nodes no longer in the cluster
 * are dropped. The same input gives back the same entries, byte for byte.
 */
export async function generateClusterPki(config: ClusterConfig, existing: ClusterPki = {}): Promise<ClusterPki> {
  const now = new Date();
  const cas = {} as Record<IssuerName, Certificate>;
  const out: ClusterPki = {};
  for (const name of CA_NAMES) {
    const reused = usableCa(existing[name], name, now);
    const ca = reused ?? (await createCA({ commonName: name, validityDays: VALIDITY_DAYS }));
    cas[name] = ca;
    out[name] = reused ? (existing[name] as PkiEntry) : toEntry(ca, name);
  }
  const specs = leafSpecs(config);
  const issued = await Promise.all(
    specs.map(async (spec): Promise<PkiEntry> => {
      const issuer = cas[spec.issuer];
      const stored = parse(existing[spec.name]);
      if (stored && leafStillValid(stored, spec, issuer, now)) return existing[spec.name] as PkiEntry;
      return toEntry(await issueLeaf(spec, issuer), spec.commonName, spec.organizations);
    }),
  );
  specs.forEach((spec, i) => (out[spec.name] = issued[i] as PkiEntry));
  out[CERT.serviceAccountToken] = await serviceAccountEntry(existing[CERT.serviceAccountToken], cas[CERT.ca], now);
  return out;
}

/** RKE's `--service` names for `rke cert rotate`. */
export const ROTATABLE_SERVICES = [
  'etcd',
  'kubelet',
  'kube-apiserver',
  'kube-proxy',
  'kube-scheduler',
  'kube-controller-manager',
] as const;
export type RotatableService = (typeof ROTATABLE_SERVICES)[number];

/** The certificates of one service, by name, in `pki`. */
export function certificatesOfService(service: RotatableService, pki: ClusterPki): string[] {
  switch (service) {
    case 'etcd':
      return Object.keys(pki).filter(isEtcdCertName);
    case 'kubelet':
      return [CERT.node];
    case 'kube-apiserver':
      // RKE re-issues only kube-apiserver; its aggregation-layer client certificate belongs to the
      // same process, so it goes with it.
      return [CERT.apiServer, CERT.proxyClient];
    case 'kube-proxy':
      return [CERT.proxy];
    case 'kube-scheduler':
      return [CERT.scheduler];
    case 'kube-controller-manager':
      return [CERT.controllerManager];
  }
}

export interface RotateOptions {
  /** Services whose certificates are re-issued; none means every leaf certificate. */
  services?: string[];
  /** New kube-ca and requestheader CA, and every leaf re-issued under them. */
  rotateCa?: boolean;
}

/**
 * `corral cert rotate`: re-issues certificates with new keys, as `rke cert rotate` does. The
 * service-account token key is never replaced (tokens already handed out stay valid); with
 * `rotateCa` only its certificate is re-issued under the new CA.
 */
export async function rotateCertificates(
  config: ClusterConfig,
  pki: ClusterPki,
  opts: RotateOptions = {},
): Promise<ClusterPki> {
  if (!pki[CERT.ca]) throw new Error('there are no certificates to rotate: the cluster state has no kube-ca');
  const services = opts.services ?? [];
  const unknown = services.filter((s) => !(ROTATABLE_SERVICES as readonly string[]).includes(s));
  if (unknown.length) {
    throw new Error(`unknown service ${unknown.join(', ')}: choose from ${ROTATABLE_SERVICES.join(', ')}`);
  }
  const kept: ClusterPki = { ...pki };
  if (opts.rotateCa) {
    // Without their CAs every leaf fails verification and is issued again below.
    for (const name of CA_NAMES) delete kept[name];
  } else {
    const doomed =
      services.length > 0
        ? services.flatMap((s) => certificatesOfService(s as RotatableService, pki))
        : Object.keys(pki).filter((n) => !(CA_NAMES as string[]).includes(n) && n !== CERT.serviceAccountToken);
    for (const name of doomed) delete kept[name];
  }
  return generateClusterPki(config, kept);
}

/** Names whose certificate differs between two bundles, or that only one of them has. */
export function changedCertificates(before: ClusterPki, after: ClusterPki): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n]?.certPem !== after[n]?.certPem || before[n]?.keyPem !== after[n]?.keyPem);
}
