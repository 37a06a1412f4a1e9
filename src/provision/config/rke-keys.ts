import type { KeySpec } from './yaml-reader.js';

/**
 * The keys of cluster.yml at each level: RKE's schema (rancher/rke types/rke_types.go). Keys that
 * only make sense where RKE runs containers through Docker are accepted with a warning saying why
 * they are ignored, so that existing RKE files load; keys whose intent Corral cannot honour are
 * refused, because dropping them silently would build a different cluster than the file asks for.
 */

const NO_DOCKER = 'Corral runs the components as processes, without Docker';
const NO_IMAGES = 'Corral runs Kubernetes from uploaded binaries, not container images';
const NO_CONTAINERS = 'Corral runs the components as processes on the node, not in containers';
const NO_WINDOWS = 'Corral has no Windows nodes';
const ADDON = (what: string) => `Corral deploys no ${what}; install one through addons or addons_include`;

export const TOP_KEYS: KeySpec = {
  known: [
    'cluster_name',
    'nodes',
    'ssh_key_path',
    'ssh_agent_auth',
    'kubernetes_version',
    'services',
    'authentication',
    'authorization',
    'network',
    'addons',
    'addons_include',
    'upgrade_strategy',
    'corral',
    'dns',
    'monitoring',
    'system_images',
    'private_registries',
  ],
  ignored: {
    ignore_docker_version: NO_DOCKER,
    enable_cri_dockerd: NO_DOCKER,
    cri_dockerd_stream_server_address: NO_DOCKER,
    cri_dockerd_stream_server_port: NO_DOCKER,
    ingress: ADDON('ingress controller'),
    prefix_path: 'Corral uses the standard paths on the nodes (/etc/kubernetes, /var/lib/etcd, /opt/rke)',
    win_prefix_path: NO_WINDOWS,
    cloud_provider: 'Corral configures no cloud provider integration',
    bastion_host: 'Corral connects to every node directly (there is no jump host support)',
    restore: 'restore a snapshot with `corral etcd snapshot-restore`',
    rotate_certificates: 'rotate certificates with `corral cert rotate`',
    rotate_encryption_key: 'Corral configures no secrets encryption key',
    addon_job_timeout: 'Corral applies addons directly, not through Kubernetes Jobs',
  },
  unsupported: {
    ssh_cert_path: 'SSH certificates; use ssh_key_path, ssh_key or ssh_agent_auth',
  },
};

export const NODE_KEYS: KeySpec = {
  known: [
    'address',
    'port',
    'internal_address',
    'role',
    'hostname_override',
    'user',
    'ssh_key',
    'ssh_key_path',
    'labels',
    'taints',
  ],
  ignored: {
    docker_socket: NO_DOCKER,
    nodeName: 'docker-machine node names are not used',
    ssh_agent_auth: 'set ssh_agent_auth at the top level (RKE uses that value for every node too)',
  },
  unsupported: {
    ssh_cert: 'SSH certificates; use ssh_key_path, ssh_key or ssh_agent_auth',
    ssh_cert_path: 'SSH certificates; use ssh_key_path, ssh_key or ssh_agent_auth',
  },
};

export const TAINT_KEYS: KeySpec = {
  known: ['key', 'value', 'effect'],
  ignored: { timeAdded: 'set by Kubernetes' },
};

export const SERVICES_KEYS: KeySpec = {
  known: ['etcd', 'kube-api', 'kube-controller', 'scheduler', 'kubelet', 'kubeproxy'],
};

/** Keys every service has (RKE's BaseService). */
function service(known: string[], ignored: Record<string, string> = {}, unsupported: Record<string, string> = {}) {
  return {
    known: ['extra_args', ...known],
    ignored: {
      image: NO_IMAGES,
      extra_binds: NO_CONTAINERS,
      extra_env: NO_CONTAINERS,
      win_extra_args: NO_WINDOWS,
      win_extra_args_array: NO_WINDOWS,
      win_extra_binds: NO_WINDOWS,
      win_extra_env: NO_WINDOWS,
      ...ignored,
    },
    unsupported: {
      extra_args_array: 'repeated flags; give each flag once in extra_args (comma-separated where the flag allows)',
      ...unsupported,
    },
  } satisfies KeySpec;
}

const EXTERNAL_ETCD = 'external etcd; Corral runs etcd on the nodes with the etcd role';

export const ETCD_KEYS = service(
  ['backup_config'],
  {
    uid: NO_CONTAINERS,
    gid: NO_CONTAINERS,
    snapshot: 'the old snapshot settings; use backup_config (enabled, interval_hours, retention)',
    creation: 'the old snapshot settings; use backup_config.interval_hours',
    retention: 'the old snapshot settings; use backup_config.retention',
  },
  {
    external_urls: EXTERNAL_ETCD,
    ca_cert: EXTERNAL_ETCD,
    cert: EXTERNAL_ETCD,
    key: EXTERNAL_ETCD,
    path: EXTERNAL_ETCD,
  },
);

export const BACKUP_KEYS: KeySpec = {
  known: ['enabled', 'interval_hours', 'retention', 's3backupconfig'],
  ignored: {
    safe_timestamp: 'snapshot names always use a timestamp safe in file names',
    timeout: 'Corral gives a snapshot its own deadline',
  },
};

export const S3_KEYS: KeySpec = {
  known: ['access_key', 'secret_key', 'bucket_name', 'region', 'endpoint', 'custom_ca', 'folder'],
};

export const KUBE_API_KEYS = service(
  ['service_cluster_ip_range', 'service_node_port_range', 'pod_security_configuration', 'secrets_encryption_config'],
  {
    pod_security_policy: 'PodSecurityPolicy was removed in Kubernetes 1.25',
    always_pull_images: 'add AlwaysPullImages to extra_args.enable-admission-plugins instead',
    audit_log: 'Corral writes no audit policy; set audit-policy-file and audit-log-path in extra_args',
    event_rate_limit: 'add EventRateLimit through extra_args.admission-control-config-file instead',
    admission_configuration: 'set extra_args.admission-control-config-file instead',
  },
);

export const KUBE_CONTROLLER_KEYS = service(['cluster_cidr', 'service_cluster_ip_range']);

export const KUBELET_KEYS = service(['cluster_domain', 'cluster_dns_server', 'fail_swap_on'], {
  infra_container_image: 'set system_images.pod_infra_container instead (containerd runs the pause image)',
  generate_serving_certificate: 'kubelet serving certificates are managed by Corral’s PKI',
});

export const PLAIN_SERVICE_KEYS = service([]);

const NO_CNI = 'Corral deploys flannel with its own settings';

export const NETWORK_KEYS: KeySpec = {
  known: ['plugin', 'options'],
  ignored: {
    mtu: NO_CNI,
    node_selector: NO_CNI,
    update_strategy: NO_CNI,
    tolerations: NO_CNI,
    enable_br_netfilter: NO_CNI,
    calico_network_provider: NO_CNI,
    canal_network_provider: NO_CNI,
    flannel_network_provider: NO_CNI,
    weave_network_provider: NO_CNI,
    aci_network_provider: NO_CNI,
  },
};

export const AUTHN_KEYS: KeySpec = {
  known: ['strategy', 'sans'],
  ignored: { webhook: 'only x509 authentication is supported' },
};

export const AUTHZ_KEYS: KeySpec = {
  known: ['mode'],
  ignored: { options: 'no authorization mode of Corral takes options' },
};

export const UPGRADE_KEYS: KeySpec = {
  known: ['max_unavailable_worker', 'max_unavailable_controlplane', 'drain', 'node_drain_input'],
};

export const DRAIN_KEYS: KeySpec = {
  known: ['force', 'ignore_daemonsets', 'delete_local_data', 'grace_period', 'timeout'],
};

export const CORRAL_KEYS: KeySpec = { known: ['binaries', 'supervisor', 'container_runtime'] };
export const REGISTRY_KEYS: KeySpec = {
  known: ['url', 'user', 'password', 'is_default', 'ca_cert'],
  ignored: { ecr_credential_plugin: 'Corral runs no ECR credential helper; give user and password' },
};
export const DNS_KEYS: KeySpec = {
  known: ['provider', 'upstreamnameservers'],
  ignored: {
    node_selector: 'CoreDNS runs on any schedulable node',
    reversecidrs: 'CoreDNS answers reverse lookups of the cluster networks',
    stubdomains: 'add a stub domain through an addon ConfigMap instead',
    linear_autoscaler_params: 'CoreDNS runs as one replica per two worker nodes, at least one',
    nodelocal: 'NodeLocal DNSCache is not deployed',
    update_strategy: 'CoreDNS updates with a rolling update',
    tolerations: 'CoreDNS tolerates control-plane taints',
  },
};
export const MONITORING_KEYS: KeySpec = {
  known: ['provider'],
  ignored: {
    options: 'metrics-server runs with the options Corral gives it',
    node_selector: 'metrics-server runs on any schedulable node',
    update_strategy: 'metrics-server updates with a rolling update',
    replicas: 'metrics-server runs one replica',
    tolerations: 'metrics-server tolerates control-plane taints',
  },
};
export const BINARIES_KEYS: KeySpec = { known: ['source', 'local_dir', 'path'] };
