import { Document, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { DEFAULTS, defaultDnsServer } from './defaults.js';
import type { ClusterConfig, NodeConfig } from './types.js';

/**
 * Writes cluster.yml text from a configuration — a loaded ClusterConfig, or the answers of the
 * `corral config` wizard with anything unanswered left out. Every key is written, with RKE's
 * default where no value is given, and the main ones carry a comment saying what they do, so the
 * file documents itself; loading the text gives back the same configuration.
 */

type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export type NodeAnswers = Partial<NodeConfig> & Pick<NodeConfig, 'address'>;
export type ClusterAnswers = DeepPartial<Omit<ClusterConfig, 'nodes'>> & { nodes: NodeAnswers[] };

const COMMENTS: Record<string, string> = {
  cluster_name: 'Name of the cluster in the kubeconfig Corral writes (kube_config_<file>.yml).',
  nodes:
    'The machines. Roles: etcd (keeps the state; use an odd number), controlplane (API server, controller\n' +
    'manager, scheduler) and worker (kubelet, kube-proxy). `user` must be able to run sudo without a password.',
  ssh_key_path: 'SSH private key for every node that sets neither ssh_key_path nor ssh_key.',
  ssh_agent_auth: 'Use the keys of the running ssh-agent ($SSH_AUTH_SOCK) instead of key files.',
  kubernetes_version: 'One of `corral config --list-version --all` (an RKE suffix like -rancher1-1 is accepted).',
  services: 'Settings of each Kubernetes component; extra_args become --flags (written without the dashes).',
  authentication: 'Client certificates (x509) only; sans are extra names and IPs in the API server certificate.',
  authorization: 'rbac, or none (every authenticated request is allowed).',
  network:
    'flannel (deployed by Corral; options.flannel_backend_type: vxlan or host-gw), or none: install a\n' +
    'network plugin (Calico, Cilium, …) yourself through addons_include.',
  dns: 'provider: coredns (deployed by Corral at services.kubelet.cluster_dns_server) or none.',
  monitoring: 'provider: metrics-server (behind `kubectl top`) or none.',
  private_registries:
    'Registries the nodes pull your images from: url (host[:port]), user, password, ca_cert (PEM, when\nits certificate is from a private CA).',
  system_images:
    'Images of the add-ons by RKE’s key (pod_infra_container, coredns, metrics_server, flannel),\nfor a registry of your own; by default Corral loads its own images onto the nodes.',
  addons: 'Kubernetes manifests (YAML) applied once the cluster is up.',
  addons_include: 'Manifest files (relative to this file) or https URLs, applied after `addons`.',
  upgrade_strategy: 'How many nodes may be down at once while upgrading (a count or a percentage).',
  corral:
    "Corral's own settings (not in RKE). binaries.source: upload (copied from this machine's local_dir,\n" +
    "default: Corral's built binaries) or host (already installed at binaries.path on every node).\n" +
    'supervisor: auto (systemd where it runs, else Corral’s own), systemd or corral.\n' +
    'container_runtime: containerd (Corral runs its own where a node has none) or existing.',
};

function node(n: NodeAnswers, sshKeyPath: string) {
  return {
    address: n.address,
    port: n.port ?? DEFAULTS.ssh_port,
    internal_address: n.internal_address && n.internal_address !== n.address ? n.internal_address : '',
    role: n.role ?? [],
    hostname_override:
      n.hostname_override && n.hostname_override !== n.address.toLowerCase() ? n.hostname_override : '',
    user: n.user ?? '',
    ssh_key_path: n.ssh_key_path && n.ssh_key_path !== sshKeyPath ? n.ssh_key_path : '',
    ssh_key: n.ssh_key ?? '',
    labels: n.labels ?? {},
    taints: n.taints ?? [],
  };
}

/** The file's content as plain data, defaults filled in (local_dir stays empty: "Corral's own"). */
export function clusterFileData(a: ClusterAnswers): Record<string, unknown> {
  const s = a.services ?? {};
  const serviceRange = s['kube-api']?.service_cluster_ip_range ?? DEFAULTS.service_cluster_ip_range;
  const backup = s.etcd?.backup_config;
  const drain = a.upgrade_strategy?.node_drain_input ?? {};
  const sshKeyPath = a.ssh_key_path ?? DEFAULTS.ssh_key_path;
  return {
    cluster_name: a.cluster_name ?? DEFAULTS.cluster_name,
    nodes: a.nodes.map((n) => node(n, sshKeyPath)),
    ssh_key_path: sshKeyPath,
    ssh_agent_auth: a.ssh_agent_auth ?? false,
    kubernetes_version: a.kubernetes_version ?? '',
    services: {
      etcd: {
        extra_args: { ...DEFAULTS.etcd_extra_args, ...s.etcd?.extra_args },
        backup_config: {
          enabled: backup?.enabled ?? true,
          interval_hours: backup?.interval_hours ?? DEFAULTS.backup_interval_hours,
          retention: backup?.retention ?? DEFAULTS.backup_retention,
          ...(backup?.s3backupconfig ? { s3backupconfig: backup.s3backupconfig } : {}),
        },
      },
      'kube-api': {
        service_cluster_ip_range: serviceRange,
        service_node_port_range: s['kube-api']?.service_node_port_range ?? DEFAULTS.service_node_port_range,
        extra_args: s['kube-api']?.extra_args ?? {},
      },
      'kube-controller': {
        cluster_cidr: s['kube-controller']?.cluster_cidr ?? DEFAULTS.cluster_cidr,
        service_cluster_ip_range: serviceRange,
        extra_args: s['kube-controller']?.extra_args ?? {},
      },
      scheduler: { extra_args: s.scheduler?.extra_args ?? {} },
      kubelet: {
        cluster_domain: s.kubelet?.cluster_domain ?? DEFAULTS.cluster_domain,
        cluster_dns_server: s.kubelet?.cluster_dns_server ?? defaultDnsServer(serviceRange),
        fail_swap_on: s.kubelet?.fail_swap_on ?? false,
        extra_args: s.kubelet?.extra_args ?? {},
      },
      kubeproxy: { extra_args: s.kubeproxy?.extra_args ?? {} },
    },
    authentication: { strategy: 'x509', sans: a.authentication?.sans ?? [] },
    authorization: { mode: a.authorization?.mode ?? DEFAULTS.authorization_mode },
    network: { plugin: a.network?.plugin ?? DEFAULTS.network_plugin, options: a.network?.options ?? {} },
    dns: {
      provider: a.dns?.provider ?? DEFAULTS.dns_provider,
      upstreamnameservers: a.dns?.upstreamnameservers ?? [],
    },
    monitoring: { provider: a.monitoring?.provider ?? DEFAULTS.monitoring_provider },
    system_images: a.system_images ?? {},
    private_registries: (a.private_registries ?? []).map((p) => ({
      url: p?.url ?? '',
      user: p?.user ?? '',
      password: p?.password ?? '',
      is_default: p?.is_default ?? false,
      ca_cert: p?.ca_cert ?? '',
    })),
    addons: a.addons ?? '',
    addons_include: a.addons_include ?? [],
    upgrade_strategy: {
      max_unavailable_worker: a.upgrade_strategy?.max_unavailable_worker ?? DEFAULTS.max_unavailable_worker,
      max_unavailable_controlplane:
        a.upgrade_strategy?.max_unavailable_controlplane ?? DEFAULTS.max_unavailable_controlplane,
      drain: a.upgrade_strategy?.drain ?? DEFAULTS.drain,
      node_drain_input: { ...DEFAULTS.node_drain_input, ...drain },
    },
    corral: {
      binaries: {
        source: a.corral?.binaries?.source ?? 'upload',
        local_dir: a.corral?.binaries?.local_dir ?? '',
        path: a.corral?.binaries?.path ?? DEFAULTS.binaries_path,
      },
      supervisor: a.corral?.supervisor ?? 'auto',
      container_runtime: a.corral?.container_runtime ?? DEFAULTS.container_runtime,
    },
  };
}

/** Short lists (roles, sans) read best on one line: `role: [controlplane, etcd]`. */
function flowShortLists(n: Node | null | undefined): void {
  if (isMap(n)) for (const p of n.items as Pair<Node, Node>[]) flowShortLists(p.value);
  if (isSeq(n)) {
    if (n.items.every((i) => isScalar(i))) n.flow = true;
    else n.items.forEach((i) => flowShortLists(i as Node));
  }
}

export function renderClusterConfig(answers: ClusterAnswers, header?: string): string {
  const doc = new Document(clusterFileData(answers));
  const top = doc.contents as YAMLMap<Node, Node>;
  flowShortLists(top);
  top.items.forEach((pair, i) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const comment = COMMENTS[key];
    if (comment) pair.key.commentBefore = comment.replace(/^/gm, ' ');
    if (i > 0) pair.key.spaceBefore = true;
  });
  const intro =
    header ??
    "cluster.yml for `corral up`: RKE's format (rke.docs.rancher.com), without Docker; see `corral config --help`.";
  return `${intro.replace(/^/gm, '# ')}\n${doc.toString({ flowCollectionPadding: false, lineWidth: 0 })}`;
}
