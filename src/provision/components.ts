/**
 * The command line, environment and configuration files of every Kubernetes component a node runs,
 * derived from cluster.yml the way RKE derives its containers (rancher/rke `cluster/plan.go` with
 * the defaults of kontainer-driver-metadata `rke/k8s_service_options.go` for Kubernetes ≥ 1.24),
 * adapted to the flags that still exist in Kubernetes 1.36 and etcd 3.6. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ClusterConfig, NodeConfig, Taint } from './config/types.js';
import { shellQuote } from './files.js';
import { API_SERVER_PORT, CERT, certPath, etcdCertName, keyPath, kubeconfigPath, SSL_DIR } from './pki.js';
import { httpsUrl } from './pki/names.js';
import { etcdMemberName, etcdPeerUrl, etcdNodes } from './roles.js';

export const COMPONENT_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'apiserver-proxy',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface ComponentFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * How to tell the component is healthy, with paths as they are on the node. kube-controller-manager
 * and kube-scheduler serve with self-signed certificates (as in RKE), hence `insecure`; the
 * kubelet's and kube-proxy's health ports are plain http on loopback.
 */
export interface HealthCheck {
  kind: 'https' | 'http';
  url: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecure?: boolean;
}

export interface ComponentSpec {
  name: ComponentName;
  /** Absolute path of the executable on the node. */
  binary: string;
  args: string[];
  env: Record<string, string>;
  /** Configuration files the component reads (certificates are not among them: see pki.ts). */
  files: ComponentFile[];
  /** Ports it listens on, for preflight checks and firewalls. */
  ports: number[];
  health: HealthCheck;
  /**
   * Changes exactly when something the running process depends on changes: binary and version,
   * arguments, environment, files, and the certificates and kubeconfigs it reads.
   */
  hash: string;
}

export interface ComponentContext {
  /** Folder holding the binaries on the node (`corral.binaries.path`). */
  binDir: string;
  etcd: {
    /** `existing` when this member joins a running cluster (after `etcdctl member add`). */
    initialClusterState: 'new' | 'existing';
    /** `--initial-cluster`: the members as etcd knows them, this node included (empty: this node alone). */
    members: { name: string; peerUrl: string }[];
  };
  /**
   * A digest of each certificate (by name: kube-ca, kube-node, kube-etcd-10-0-0-1, …) and
   * optionally each kubeconfig (kubecfg-kube-node, …) as laid out on the node; a component whose
   * certificate changes gets a new hash and is restarted.
   */
  certHashes: Record<string, string>;
  /** A digest of each binary (by component name), so that a new build restarts its component. */
  binaryHashes?: Partial<Record<ComponentName, string>>;
  /** Must match the container runtime's; `systemd` where systemd runs (RKE asks Docker). */
  cgroupDriver?: 'systemd' | 'cgroupfs';
  /** Prefixes every path on the node, to lay a node out in a folder (tests). */
  root?: string;
}

export const ETCD_DATA_DIR = '/var/lib/etcd';
export const KUBELET_CONFIG_PATH = '/etc/kubernetes/kubelet-config.yaml';
export const CONTAINER_RUNTIME_ENDPOINT = 'unix:///run/containerd/containerd.sock';
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

// RKE's stricter TLS settings. etcd's list is RKE's RSA pair plus the ECDSA equivalents, because
// Corral's certificates may carry P-256 keys (TLS 1.3, which Go clients prefer, ignores the list).
const TLS_CIPHER_SUITES =
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,' +
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,' +
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305';
const ETCD_CIPHER_SUITES =
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,' +
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384';
// RKE's list (NodeRestriction, Priority, … on top of the defaults); order does not matter.
const ADMISSION_PLUGINS =
  'NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,' +
  'MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota,NodeRestriction,Priority,' +
  'TaintNodesByCondition,PersistentVolumeClaimResize';

export const etcdClientUrl = (node: NodeConfig): string => httpsUrl(node.internal_address, ETCD_CLIENT_PORT);

/**
 * The components `node` runs, in start order. As in RKE, every node runs kubelet and kube-proxy
 * (etcd-only and control-plane-only nodes too, tainted so that workloads stay off them); etcd
 * nodes add etcd; control-plane nodes add kube-apiserver, kube-controller-manager and
 * kube-scheduler; the other nodes add the API server proxy their kubelet and kube-proxy reach
 * the control plane through (RKE's nginx-proxy).
 */
export function componentsFor(config: ClusterConfig, node: NodeConfig, ctx: ComponentContext): ComponentSpec[] {
  const specs: Omit<ComponentSpec, 'hash'>[] = [];
  if (node.role.includes('etcd')) specs.push(etcdSpec(config, node, ctx));
  if (node.role.includes('controlplane')) {
    specs.push(apiServerSpec(config, node, ctx), controllerManagerSpec(config, ctx), schedulerSpec(config, ctx));
  } else specs.push(apiServerProxySpec(config, ctx));
  specs.push(kubeletSpec(config, node, ctx), kubeProxySpec(config, node, ctx));
  return specs.map((spec) => ({ ...spec, hash: specHash(spec, config, ctx) }));
}

type Args = Record<string, string>;

/** `--key=value` for each argument; extra_args from cluster.yml win over the defaults, as in RKE. */
function toArgs(defaults: Args, extra: Record<string, string>): string[] {
  const merged: Args = { ...defaults, ...extra };
  return Object.entries(merged).map(([key, value]) => `--${key}=${value}`);
}

function etcdSpec(config: ClusterConfig, node: NodeConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const cert = etcdCertName(node);
  const clientUrl = etcdClientUrl(node);
  const local = `https://127.0.0.1:${ETCD_CLIENT_PORT}`;
  // No members given: a cluster of this node alone (etcd ignores it once its data folder exists).
  const members = ctx.etcd.members.length
    ? ctx.etcd.members
    : [{ name: etcdMemberName(node), peerUrl: etcdPeerUrl(node) }];
  const args: Args = {
    name: etcdMemberName(node),
    'data-dir': `${root}${ETCD_DATA_DIR}`,
    // Loopback too, so that etcdctl on the node and a local kube-apiserver need no routable address.
    'listen-client-urls': clientUrl === local ? local : `${clientUrl},${local}`,
    'advertise-client-urls': clientUrl,
    'listen-peer-urls': etcdPeerUrl(node),
    'initial-advertise-peer-urls': etcdPeerUrl(node),
    'initial-cluster-token': 'etcd-cluster-1',
    'initial-cluster': members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    'initial-cluster-state': ctx.etcd.initialClusterState,
    'trusted-ca-file': certPath(CERT.ca, root),
    'peer-trusted-ca-file': certPath(CERT.ca, root),
    'cert-file': certPath(cert, root),
    'key-file': keyPath(cert, root),
    'peer-cert-file': certPath(cert, root),
    'peer-key-file': keyPath(cert, root),
    'client-cert-auth': 'true',
    'peer-client-cert-auth': 'true',
    'cipher-suites': ETCD_CIPHER_SUITES,
  };
  return {
    name: 'etcd',
    binary: `${ctx.binDir}/etcd`,
    args: toArgs(args, config.services.etcd.extra_args),
    env: {},
    files: [],
    ports: [ETCD_CLIENT_PORT, ETCD_PEER_PORT],
    health: {
      kind: 'https',
      url: `${local}/health`,
      caFile: certPath(CERT.ca, root),
      certFile: certPath(cert, root),
      keyFile: keyPath(cert, root),
    },
  };
}

function apiServerSpec(config: ClusterConfig, node: NodeConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const api = config.services['kube-api'];
  const args: Args = {
    'advertise-address': isIP(node.internal_address) ? node.internal_address : '',
    'allow-privileged': 'true',
    'anonymous-auth': 'false',
    'api-audiences': 'unknown',
    'authorization-mode': config.authorization.mode === 'rbac' ? 'Node,RBAC' : 'AlwaysAllow',
    'bind-address': '0.0.0.0',
    'client-ca-file': certPath(CERT.ca, root),
    'enable-admission-plugins': ADMISSION_PLUGINS,
    // RKE gives kube-apiserver the kube-node certificate as its etcd client certificate.
    'etcd-cafile': certPath(CERT.ca, root),
    'etcd-certfile': certPath('kube-node', root),
    'etcd-keyfile': keyPath('kube-node', root),
    'etcd-prefix': '/registry',
    'etcd-servers': etcdNodes(config).map(etcdClientUrl).join(','),
    'kubelet-client-certificate': certPath('kube-apiserver', root),
    'kubelet-client-key': keyPath('kube-apiserver', root),
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    profiling: 'false',
    'proxy-client-cert-file': certPath('kube-apiserver-proxy-client', root),
    'proxy-client-key-file': keyPath('kube-apiserver-proxy-client', root),
    'requestheader-allowed-names': 'kube-apiserver-proxy-client',
    'requestheader-client-ca-file': certPath('kube-apiserver-requestheader-ca', root),
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(API_SERVER_PORT),
    'service-account-issuer': 'rke',
    'service-account-key-file': keyPath('kube-service-account-token', root),
    'service-account-lookup': 'true',
    'service-account-signing-key-file': keyPath('kube-service-account-token', root),
    'service-cluster-ip-range': api.service_cluster_ip_range,
    'service-node-port-range': api.service_node_port_range,
    'storage-backend': 'etcd3',
    'tls-cert-file': certPath('kube-apiserver', root),
    'tls-cipher-suites': TLS_CIPHER_SUITES,
    'tls-private-key-file': keyPath('kube-apiserver', root),
  };
  if (!args['advertise-address']) delete args['advertise-address'];
  return {
    name: 'kube-apiserver',
    binary: `${ctx.binDir}/kube-apiserver`,
    args: toArgs(args, api.extra_args),
    env: {},
    files: [],
    ports: [API_SERVER_PORT],
    // anonymous-auth is off: any certificate of the cluster CA may read /readyz (system:public-info-viewer).
    health: {
      kind: 'https',
      url: `https://127.0.0.1:${API_SERVER_PORT}/readyz`,
      caFile: certPath(CERT.ca, root),
      certFile: certPath('kube-node', root),
      keyFile: keyPath('kube-node', root),
    },
  };
}

function controllerManagerSpec(config: ClusterConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const kcm = config.services['kube-controller'];
  const kubeconfig = kubeconfigPath('kube-controller-manager', root);
  const args: Args = {
    'allocate-node-cidrs': 'true',
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'cluster-cidr': kcm.cluster_cidr,
    'configure-cloud-routes': 'false',
    'enable-hostpath-provisioner': 'false',
    kubeconfig,
    'leader-elect': 'true',
    'node-monitor-grace-period': '40s',
    profiling: 'false',
    'root-ca-file': certPath(CERT.ca, root),
    'service-account-private-key-file': keyPath('kube-service-account-token', root),
    'service-cluster-ip-range': kcm.service_cluster_ip_range,
    'terminated-pod-gc-threshold': '1000',
    v: '2',
  };
  if (config.authorization.mode === 'rbac') args['use-service-account-credentials'] = 'true';
  return {
    name: 'kube-controller-manager',
    binary: `${ctx.binDir}/kube-controller-manager`,
    args: toArgs(args, kcm.extra_args),
    env: {},
    files: [],
    ports: [10257],
    health: { kind: 'https', url: 'https://127.0.0.1:10257/healthz', insecure: true },
  };
}

function schedulerSpec(config: ClusterConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const kubeconfig = kubeconfigPath('kube-scheduler', root);
  const args: Args = {
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    kubeconfig,
    'leader-elect': 'true',
    profiling: 'false',
    v: '2',
  };
  return {
    name: 'kube-scheduler',
    binary: `${ctx.binDir}/kube-scheduler`,
    args: toArgs(args, config.services.scheduler.extra_args),
    env: {},
    files: [],
    ports: [10259],
    health: { kind: 'https', url: 'https://127.0.0.1:10259/healthz', insecure: true },
  };
}

/** RKE's taints for nodes that must not run workloads, then the node's own. */
export function registerTaints(node: NodeConfig): Taint[] {
  const roles = node.role;
  const taints: Taint[] = [];
  if (roles.includes('controlplane') && !roles.includes('worker')) {
    taints.push({ key: 'node-role.kubernetes.io/controlplane', value: 'true', effect: 'NoSchedule' });
  }
  if (roles.includes('etcd') && !roles.includes('worker') && !roles.includes('controlplane')) {
    taints.push({ key: 'node-role.kubernetes.io/etcd', value: 'true', effect: 'NoExecute' });
  }
  return [...taints, ...node.taints];
}

/**
 * Labels the kubelet may set on its own Node: it refuses to start with any other label in the
 * kubernetes.io and k8s.io namespaces (NodeRestriction). The rest (RKE's role labels among them)
 * must be set through the API, as RKE does for all labels.
 */
export function kubeletSettableLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => kubeletMaySet(key)));
}

const KUBELET_ALLOWED_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.kubernetes.io/zone',
  'failure-domain.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
]);

function kubeletMaySet(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const inNamespace = (ns: string) => prefix === ns || prefix.endsWith(`.${ns}`);
  if (!inNamespace('kubernetes.io') && !inNamespace('k8s.io')) return true;
  return KUBELET_ALLOWED_LABELS.has(key) || inNamespace('kubelet.kubernetes.io') || inNamespace('node.kubernetes.io');
}

function kubeletSpec(config: ClusterConfig, node: NodeConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const kubelet = config.services.kubelet;
  const configFile = `${root}${KUBELET_CONFIG_PATH}`;
  // Most of RKE's kubelet flags are deprecated since 1.24 in favour of this file; the YAML is JSON.
  const kubeletConfig = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '0.0.0.0',
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    clusterDomain: kubelet.cluster_domain,
    clusterDNS: [kubelet.cluster_dns_server],
    failSwapOn: kubelet.fail_swap_on,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: certPath(CERT.ca, root) },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: ctx.cgroupDriver ?? 'cgroupfs',
    // RKE runs on older distributions too; the kubelet refuses cgroup v1 hosts by default since 1.35.
    failCgroupV1: false,
    cgroupsPerQOS: true,
    enforceNodeAllocatable: [],
    eventRecordQPS: 0,
    makeIPTablesUtilChains: true,
    resolvConf: '/etc/resolv.conf',
    streamingConnectionIdleTimeout: '30m',
    volumePluginDir: `${root}/var/lib/kubelet/volumeplugins`,
    tlsCipherSuites: TLS_CIPHER_SUITES.split(','),
    containerRuntimeEndpoint: CONTAINER_RUNTIME_ENDPOINT,
    registerWithTaints: registerTaints(node),
  };
  const args: Args = {
    config: configFile,
    kubeconfig: kubeconfigPath('kube-node', root),
    'hostname-override': node.hostname_override,
    'root-dir': `${root}/var/lib/kubelet`,
    v: '2',
  };
  if (node.address !== node.internal_address) args['node-ip'] = node.internal_address;
  const labels = Object.entries(kubeletSettableLabels(node.labels));
  if (labels.length > 0) args['node-labels'] = labels.map(([k, v]) => `${k}=${v}`).join(',');
  return {
    name: 'kubelet',
    binary: `${ctx.binDir}/kubelet`,
    args: toArgs(args, kubelet.extra_args),
    env: {},
    files: [{ path: configFile, content: `${JSON.stringify(kubeletConfig, null, 2)}\n`, mode: 0o644 }],
    ports: [10250, 10248],
    health: { kind: 'http', url: 'http://127.0.0.1:10248/healthz' },
  };
}

function kubeProxySpec(config: ClusterConfig, node: NodeConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const root = ctx.root ?? '';
  const args: Args = {
    'cluster-cidr': config.services['kube-controller'].cluster_cidr,
    // Keep the kernel's connection-tracking table size: kube-proxy may not change it where the node
    // is itself a container or network namespace (the sysctl is read-only there, and it exits).
    'conntrack-max-per-core': '0',
    'healthz-bind-address': '127.0.0.1:10256',
    'hostname-override': node.hostname_override,
    kubeconfig: kubeconfigPath('kube-proxy', root),
    v: '2',
  };
  return {
    name: 'kube-proxy',
    binary: `${ctx.binDir}/kube-proxy`,
    args: toArgs(args, config.services.kubeproxy.extra_args),
    env: {},
    files: [],
    ports: [10256, 10249],
    health: { kind: 'http', url: 'http://127.0.0.1:10256/healthz' },
  };
}

export const APISERVER_PROXY_BINARY = 'corral-apiserver-proxy';

/** The executable a component runs: its own name, but for Corral's API server proxy. */
export const binaryOf = (component: ComponentName): string =>
  component === 'apiserver-proxy' ? APISERVER_PROXY_BINARY : component;

/**
 * 127.0.0.1:6443 on a node without the controlplane role, relayed (plain TCP: TLS stays end to
 * end) to every control-plane node's kube-apiserver in turn, skipping one that does not answer.
 * A control-plane node added or removed changes the arguments, so the proxy restarts with the
 * new list.
 */
function apiServerProxySpec(config: ClusterConfig, ctx: ComponentContext): Omit<ComponentSpec, 'hash'> {
  const backends = config.nodes
    .filter((n) => n.role.includes('controlplane'))
    .map((n) => {
      const host = n.internal_address || n.address;
      return `--backend=${isIP(host) === 6 ? `[${host}]` : host}:${API_SERVER_PORT}`;
    });
  return {
    name: 'apiserver-proxy',
    binary: `${ctx.binDir}/${binaryOf('apiserver-proxy')}`,
    args: [`--listen=127.0.0.1:${API_SERVER_PORT}`, ...backends],
    env: {},
    files: [],
    ports: [API_SERVER_PORT],
    // Through the proxy, /healthz proves a control-plane node answers. With the node's own
    // certificate: kube-apiserver runs with --anonymous-auth=false, as in RKE.
    health: {
      kind: 'https',
      url: `https://127.0.0.1:${API_SERVER_PORT}/healthz`,
      caFile: certPath(CERT.ca, ctx.root ?? ''),
      certFile: certPath(CERT.node, ctx.root ?? ''),
      keyFile: keyPath(CERT.node, ctx.root ?? ''),
    },
  };
}

/**
 * The certificates and kubeconfigs a component reads, found by their paths in its arguments and
 * files, so the list cannot drift from the command line. A kubeconfig (RKE's layout) names the
 * CA and the client certificate of the same name, which count as read too.
 */
export function certificatesRead(spec: Pick<ComponentSpec, 'args' | 'files'>): string[] {
  const text = [...spec.args, ...spec.files.map((f) => f.content)].join('\n');
  const names = new Set<string>();
  const pattern = new RegExp(
    `${SSL_DIR.replace(/\//g, '\\/')}\\/(kubecfg-)?([A-Za-z0-9_-]+?)(-key)?\\.(pem|yaml)`,
    'g',
  );
  for (const m of text.matchAll(pattern)) {
    const name = m[2] as string;
    names.add(name);
    if (m[1]) names.add(`kubecfg-${name}`).add(CERT.ca);
  }
  return [...names].sort();
}

function specHash(spec: Omit<ComponentSpec, 'hash'>, config: ClusterConfig, ctx: ComponentContext): string {
  const certs = certificatesRead(spec).map((name) => [name, ctx.certHashes[name] ?? '']);
  const input = {
    binary: spec.binary,
    version: config.kubernetes_version,
    binaryHash: ctx.binaryHashes?.[spec.name] ?? '',
    args: spec.args,
    env: Object.entries(spec.env).sort(([a], [b]) => a.localeCompare(b)),
    files: spec.files.map((f) => [f.path, f.mode, f.content]),
    certs,
  };
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/** A shell command that succeeds when the check passes, run on the node (needs curl there). */
export function healthCommand(h: HealthCheck, timeoutSeconds = 5): string {
  const words = ['curl', '-sf', '--max-time', String(timeoutSeconds)];
  if (h.kind === 'https') {
    if (h.insecure) words.push('-k');
    else if (h.caFile) words.push('--cacert', h.caFile);
    if (h.certFile && h.keyFile) words.push('--cert', h.certFile, '--key', h.keyFile);
  }
  words.push(h.url);
  return words.map(shellQuote).join(' ');
}

/** Environment for etcdctl on an etcd node, against its local member with its own certificate. */
export function etcdctlEnv(node: NodeConfig, root = ''): Record<string, string> {
  const cert = etcdCertName(node);
  // No ETCDCTL_API: etcdctl 3.6 speaks only v3 and warns about the variable on every call.
  return {
    ETCDCTL_ENDPOINTS: `https://127.0.0.1:${ETCD_CLIENT_PORT}`,
    ETCDCTL_CACERT: certPath(CERT.ca, root),
    ETCDCTL_CERT: certPath(cert, root),
    ETCDCTL_KEY: keyPath(cert, root),
  };
}

/** A shell command line running etcdctl with `args` on `node` (for NodeIo.run). */
export function etcdctlCommand(binDir: string, node: NodeConfig, args: string[], root = ''): string {
  const env = Object.entries(etcdctlEnv(node, root)).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return ['env', ...env, shellQuote(`${binDir}/etcdctl`), ...args.map(shellQuote)].join(' ');
}
