import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterConfig, NodeConfig } from '../config/types.js';
import type { ClusterPki } from './generate.js';
import { CERT, etcdCertName, httpsUrl, nodesWithRole } from './names.js';

/** Where RKE puts every certificate, key and component kubeconfig on a node. */
export const SSL_DIR = '/etc/kubernetes/ssl';
export const API_SERVER_PORT = 6443;

export const certPath = (name: string, root = '') => posix.join(root || '/', SSL_DIR, `${name}.pem`);
export const keyPath = (name: string, root = '') => posix.join(root || '/', SSL_DIR, `${name}-key.pem`);
export const kubeconfigPath = (name: string, root = '') => posix.join(root || '/', SSL_DIR, `kubecfg-${name}.yaml`);

export interface NodeFile {
  path: string;
  content: string;
  mode: number;
}

export interface CertificateFilesOptions {
  /** Prefixed to every path, also inside the kubeconfigs, to lay the files out under a folder. */
  root?: string;
}

/** Components that reach kube-apiserver with a kubeconfig naming certificate files (RKE's kubecfg-*.yaml). */
const KUBECONFIG_COMPONENTS = [CERT.node, CERT.proxy, CERT.controllerManager, CERT.scheduler] as const;

/**
 * RKE's component kubeconfig: cluster "local", user "<component>-local", certificates by path.
 * The server is the API server every such component talks to from this node.
 */
export function componentKubeconfig(component: string, server: string, root = ''): string {
  const user = `${component}-local`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ cluster: { 'certificate-authority': certPath(CERT.ca, root), server }, name: 'local' }],
    contexts: [{ context: { cluster: 'local', user }, name: 'local' }],
    'current-context': 'local',
    users: [
      { name: user, user: { 'client-certificate': certPath(component, root), 'client-key': keyPath(component, root) } },
    ],
  });
}

/**
 * The API server a node's components use: always 127.0.0.1:6443 — its own kube-apiserver on a
 * control-plane node, and on the others the API server proxy that spreads connections over every
 * control-plane node (as RKE's nginx-proxy), so no node depends on one control-plane node.
 */
export function apiServerFor(config: ClusterConfig): string {
  if (nodesWithRole(config, 'controlplane').length === 0)
    throw new Error('the cluster has no controlplane node for the other nodes to reach');
  return httpsUrl('127.0.0.1', API_SERVER_PORT);
}

/**
 * The files one node gets, by its roles, as RKE deploys them:
 * - every node runs kubelet and kube-proxy (RKE's worker plane runs on all nodes): kube-ca,
 *   kube-node, kube-proxy and their kubeconfigs;
 * - an etcd node: its own kube-etcd-<address> certificate (serving, peer and client);
 * - a control-plane node: what kube-apiserver (serving, kubelet-client, etcd-client = kube-node,
 *   service-account key, requestheader CA, proxy client), kube-controller-manager (kube-ca key for
 *   signing CSRs, service-account key) and kube-scheduler need.
 * Keys are mode 0600, certificates and kubeconfigs (which only name files) 0644.
 */
export function certificateFilesFor(
  pki: ClusterPki,
  node: NodeConfig,
  config: ClusterConfig,
  opts: CertificateFilesOptions = {},
): NodeFile[] {
  const root = opts.root ?? '';
  const entry = (name: string) => {
    const found = pki[name];
    if (!found) throw new Error(`the cluster's certificates have no ${name}: generate them for this configuration`);
    return found;
  };
  const files: NodeFile[] = [];
  const cert = (name: string) => files.push({ path: certPath(name, root), content: entry(name).certPem, mode: 0o644 });
  const key = (name: string) => files.push({ path: keyPath(name, root), content: entry(name).keyPem, mode: 0o600 });
  const pair = (name: string) => (cert(name), key(name));

  const control = node.role.includes('controlplane');
  cert(CERT.ca);
  pair(CERT.node);
  pair(CERT.proxy);
  if (node.role.includes('etcd')) pair(etcdCertName(node));
  if (control) {
    key(CERT.ca);
    pair(CERT.apiServer);
    pair(CERT.serviceAccountToken);
    pair(CERT.controllerManager);
    pair(CERT.scheduler);
    cert(CERT.requestHeaderCa);
    pair(CERT.proxyClient);
  }
  const server = apiServerFor(config);
  const components = KUBECONFIG_COMPONENTS.filter(
    (c) => control || (c !== CERT.controllerManager && c !== CERT.scheduler),
  );
  for (const component of components) {
    files.push({
      path: kubeconfigPath(component, root),
      content: componentKubeconfig(component, server, root),
      mode: 0o644,
    });
  }
  return files;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * `kube_config_cluster.yml`, as RKE writes it (GetKubeConfigX509WithData): everything embedded,
 * cluster and context named after the cluster, user `kube-admin-<cluster>`, the first control-plane
 * node's address on 6443.
 */
export function adminKubeconfig(pki: ClusterPki, config: ClusterConfig): string {
  const first = nodesWithRole(config, 'controlplane')[0];
  if (!first) throw new Error('the cluster has no controlplane node: there is no API server to point kube_config at');
  const ca = pki[CERT.ca];
  const admin = pki[CERT.admin];
  if (!ca || !admin) throw new Error('the cluster state has no kube-ca or kube-admin certificate');
  const cluster = config.cluster_name;
  const user = `${CERT.admin}-${cluster}`;
  const q = JSON.stringify;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    '    api-version: v1',
    `    certificate-authority-data: ${b64(ca.certPem)}`,
    `    server: ${q(httpsUrl(first.address, API_SERVER_PORT))}`,
    `  name: ${q(cluster)}`,
    'contexts:',
    '- context:',
    `    cluster: ${q(cluster)}`,
    `    user: ${q(user)}`,
    `  name: ${q(cluster)}`,
    `current-context: ${q(cluster)}`,
    'users:',
    `- name: ${q(user)}`,
    '  user:',
    `    client-certificate-data: ${b64(admin.certPem)}`,
    `    client-key-data: ${b64(admin.keyPem)}`,
    '',
  ].join('\n');
}
