/**
 * The parsed, validated and defaulted `cluster.yml` (RKE's schema, snake_case as in the file).
 * Every part of the provisioner reads this shape; only `config/` produces it.
 */

export type NodeRole = 'etcd' | 'controlplane' | 'worker';

export interface Taint {
  key: string;
  value: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeConfig {
  address: string;
  port: number;
  /** Address the components use between nodes; defaults to `address`. */
  internal_address: string;
  role: NodeRole[];
  /** Node name in Kubernetes and in certificates; defaults to `address`. */
  hostname_override: string;
  user: string;
  /** Absolute path (a leading ~ already expanded); defaults to the top-level ssh_key_path. */
  ssh_key_path: string;
  /** Inline private key (PEM); wins over ssh_key_path when set. */
  ssh_key: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface S3BackupConfig {
  access_key: string;
  secret_key: string;
  bucket_name: string;
  region: string;
  endpoint: string;
  custom_ca: string;
  folder: string;
}

export interface EtcdService {
  extra_args: Record<string, string>;
  backup_config: {
    enabled: boolean;
    interval_hours: number;
    retention: number;
    s3backupconfig: S3BackupConfig | null;
  };
}

export interface KubeApiService {
  service_cluster_ip_range: string;
  service_node_port_range: string;
  extra_args: Record<string, string>;
}

export interface KubeControllerService {
  cluster_cidr: string;
  service_cluster_ip_range: string;
  extra_args: Record<string, string>;
}

export interface KubeletService {
  cluster_domain: string;
  cluster_dns_server: string;
  fail_swap_on: boolean;
  extra_args: Record<string, string>;
}

export interface Services {
  etcd: EtcdService;
  'kube-api': KubeApiService;
  'kube-controller': KubeControllerService;
  scheduler: { extra_args: Record<string, string> };
  kubelet: KubeletService;
  kubeproxy: { extra_args: Record<string, string> };
}

export interface UpgradeStrategy {
  /** Count or percentage, as in RKE ("10%" by default). */
  max_unavailable_worker: string;
  max_unavailable_controlplane: string;
  drain: boolean;
  node_drain_input: {
    force: boolean;
    ignore_daemonsets: boolean;
    delete_local_data: boolean;
    grace_period: number;
    timeout: number;
  };
}

export interface PrivateRegistry {
  /** host[:port], as images name it. */
  url: string;
  user: string;
  password: string;
  is_default: boolean;
  /** Corral's extension: the PEM CA the registry's certificate is signed by, when not a public one. */
  ca_cert: string;
}

/** Corral's extension key `corral:` (not in RKE): where binaries come from, how processes are supervised. */
export interface CorralExtension {
  binaries: {
    /** upload: copied from this workstation; host: already installed on every node at `path`. */
    source: 'upload' | 'host';
    /** Workstation folder holding the binaries (default: Corral's own built binaries). */
    local_dir: string;
    /** Folder on the nodes. */
    path: string;
  };
  /** auto: systemd units where systemd runs, otherwise Corral's supervisor. */
  supervisor: 'auto' | 'systemd' | 'corral';
  /**
   * containerd: Corral uploads and runs its own containerd, runc and CNI plugins on every node
   * that has no runtime answering at /run/containerd/containerd.sock (a node needs only SSH);
   * existing: only a runtime the node already runs is used, and without one kubelet is not started.
   */
  container_runtime: 'containerd' | 'existing';
}

export interface ClusterConfig {
  cluster_name: string;
  nodes: NodeConfig[];
  ssh_key_path: string;
  ssh_agent_auth: boolean;
  /** Normalized to the plain Kubernetes version, e.g. "v1.36.5" (an RKE suffix like -rancher1-1 is dropped). */
  kubernetes_version: string;
  services: Services;
  authentication: { strategy: 'x509'; sans: string[] };
  authorization: { mode: 'rbac' | 'none' };
  network: { plugin: 'flannel' | 'none'; options: Record<string, string> };
  /** RKE's dns: the cluster DNS add-on (CoreDNS), answering at services.kubelet.cluster_dns_server. */
  dns: { provider: 'coredns' | 'none'; upstreamnameservers: string[] };
  /** RKE's monitoring: the metrics add-on behind `kubectl top`. */
  monitoring: { provider: 'metrics-server' | 'none' };
  /** RKE's private_registries: registries the nodes pull from, with credentials. */
  private_registries: PrivateRegistry[];
  /** RKE's system_images: the images of the add-ons, by RKE's key (pod_infra_container, coredns, ...). */
  system_images: Partial<Record<'pod_infra_container' | 'coredns' | 'metrics_server' | 'flannel' | 'toolbox', string>>;
  /** Inline YAML manifests applied after the cluster is up. */
  addons: string;
  /** Paths (relative to cluster.yml) or https URLs of manifests applied after `addons`. */
  addons_include: string[];
  upgrade_strategy: UpgradeStrategy;
  corral: CorralExtension;
}

/** One problem in cluster.yml, located in the file. */
export interface ConfigIssue {
  /** Dotted key path, e.g. "nodes[1].role" or "services.kube-api.extra_args". */
  path: string;
  line: number;
  column: number;
  message: string;
}
