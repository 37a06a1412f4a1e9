import { isIP } from 'node:net';
import type { Usage } from '../../pki/index.js';
import { parseCidr } from '../config/net.js';
import type { ClusterConfig, NodeConfig, NodeRole } from '../config/types.js';

/** RKE's certificate names (rancher/rke pki/constants.go): the keys of `cluster.rkestate`'s bundle. */
export const CERT = {
  ca: 'kube-ca',
  requestHeaderCa: 'kube-apiserver-requestheader-ca',
  apiServer: 'kube-apiserver',
  proxyClient: 'kube-apiserver-proxy-client',
  controllerManager: 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  proxy: 'kube-proxy',
  node: 'kube-node',
  admin: 'kube-admin',
  serviceAccountToken: 'kube-service-account-token',
  etcdPrefix: 'kube-etcd',
} as const;

export type IssuerName = typeof CERT.ca | typeof CERT.requestHeaderCa;

/** What one leaf certificate must say; a stored certificate that says anything else is re-issued. */
export interface LeafSpec {
  name: string;
  commonName: string;
  organizations: string[];
  usages: Usage[];
  /** DNS names and IP addresses, deduplicated, in RKE's order. */
  altNames: string[];
  issuer: IssuerName;
}

export function nodesWithRole(config: ClusterConfig, role: NodeRole): NodeConfig[] {
  return config.nodes.filter((n) => n.role.includes(role));
}

/** RKE's GetCrtNameForHost: the internal address when it differs, dots (and IPv6 colons) as dashes. */
export function etcdCertName(node: NodeConfig): string {
  const address =
    node.internal_address && node.internal_address !== node.address ? node.internal_address : node.address;
  return `${CERT.etcdPrefix}-${address.replaceAll('.', '-').replaceAll(':', '-').toLowerCase()}`;
}

export function isEtcdCertName(name: string): boolean {
  return name.startsWith(`${CERT.etcdPrefix}-`);
}

/** The first address of each range of `service_cluster_ip_range` (comma-separated when dual-stack). */
export function kubernetesServiceIps(serviceClusterIpRange: string): string[] {
  return serviceClusterIpRange
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((range) => {
      const cidr = parseCidr(range);
      if (!cidr) throw new Error(`service_cluster_ip_range "${range}" is not an IPv4 or IPv6 CIDR`);
      return addressText(cidr.base + 1n, cidr.bits);
    });
}

function addressText(value: bigint, bits: 32 | 128): string {
  const [groups, width, radix, sep] = bits === 32 ? [4, 8n, 10, '.'] : [8, 16n, 16, ':'];
  const parts: string[] = [];
  for (let i = groups - 1; i >= 0; i--)
    parts.push(((value >> (BigInt(i) * width)) & ((1n << width) - 1n)).toString(radix));
  return parts.join(sep);
}

/**
 * One spelling per address, so that SANs read back from a certificate (Node writes IPv6 in full,
 * upper case) compare equal to those computed from the configuration.
 */
export function canonicalAltName(name: string): string {
  const family = isIP(name);
  if (family === 0) return name.toLowerCase();
  const cidr = parseCidr(`${name}/${family === 4 ? 32 : 128}`);
  return cidr ? addressText(cidr.base, cidr.bits) : name;
}

function unique(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = canonicalAltName(n);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * RKE's GetAltNames: each host's address, internal address and hostname override, the extra SANs,
 * then loopback, the `kubernetes` Service's IPs and its DNS names. RKE uses it for the API server
 * (control-plane hosts, authentication.sans) and for etcd (etcd hosts, no extra SANs).
 */
export function hostAltNames(config: ClusterConfig, hosts: NodeConfig[], extraSans: string[]): string[] {
  const domain = config.services.kubelet.cluster_domain;
  return unique([
    ...hosts.flatMap((h) => [h.address, h.internal_address, h.hostname_override].filter(Boolean)),
    ...extraSans,
    '127.0.0.1',
    ...kubernetesServiceIps(config.services['kube-api'].service_cluster_ip_range),
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
  ]);
}

/** Every leaf certificate the configuration asks for, in a fixed order (the order of cluster.rkestate). */
export function leafSpecs(config: ClusterConfig): LeafSpec[] {
  const client = (name: string, commonName: string, organizations: string[] = []): LeafSpec => ({
    name,
    commonName,
    organizations,
    usages: ['client'],
    altNames: [],
    issuer: CERT.ca,
  });
  const etcdHosts = nodesWithRole(config, 'etcd');
  const etcdAltNames = hostAltNames(config, etcdHosts, []);
  return [
    {
      name: CERT.apiServer,
      commonName: CERT.apiServer,
      organizations: [],
      // Client too: kube-apiserver presents it to kubelets (--kubelet-client-certificate), as in RKE.
      usages: ['server', 'client'],
      altNames: hostAltNames(config, nodesWithRole(config, 'controlplane'), config.authentication.sans),
      issuer: CERT.ca,
    },
    { ...client(CERT.proxyClient, CERT.proxyClient), issuer: CERT.requestHeaderCa },
    client(CERT.controllerManager, 'system:kube-controller-manager'),
    client(CERT.scheduler, 'system:kube-scheduler'),
    client(CERT.proxy, 'system:kube-proxy'),
    client(CERT.node, 'system:node', ['system:nodes']),
    client(CERT.admin, CERT.admin, ['system:masters']),
    ...etcdHosts.map((host): LeafSpec => ({
      name: etcdCertName(host),
      commonName: CERT.etcdPrefix,
      organizations: [],
      // One certificate serves clients and peers, and is the client of its peers.
      usages: ['server', 'client'],
      altNames: etcdAltNames,
      issuer: CERT.ca,
    })),
  ];
}

/** `https://host:port`, with IPv6 literals in brackets. */
export function httpsUrl(host: string, port: number): string {
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
