import { cidrAddress, cidrContains, parseCidr } from './net.js';

/**
 * RKE's defaults (rancher/rke cluster/defaults.go), in one place for the loader, the renderer and
 * the `corral config` wizard. Where Corral differs from RKE, the comment says why.
 */
export const DEFAULTS = {
  cluster_name: 'local',
  ssh_key_path: '~/.ssh/id_rsa',
  ssh_port: 22,
  /** The wizard's default answer; in cluster.yml `user` is required, as in RKE. */
  wizard_user: 'ubuntu',
  service_cluster_ip_range: '10.43.0.0/16',
  service_node_port_range: '30000-32767',
  cluster_cidr: '10.42.0.0/16',
  cluster_dns_server: '10.43.0.10',
  cluster_domain: 'cluster.local',
  authentication_strategy: 'x509',
  authorization_mode: 'rbac',
  /** RKE defaults to canal (flannel for the network plus Calico's policies); Corral deploys flannel. */
  network_plugin: 'flannel',
  /** RKE's flannel_backend_type default. */
  flannel_backend_type: 'vxlan',
  dns_provider: 'coredns',
  monitoring_provider: 'metrics-server',
  container_runtime: 'containerd',
  etcd_extra_args: { 'election-timeout': '5000', 'heartbeat-interval': '500' } as Record<string, string>,
  backup_interval_hours: 12,
  backup_retention: 6,
  max_unavailable_worker: '10%',
  max_unavailable_controlplane: '1',
  drain: false,
  node_drain_input: { force: false, ignore_daemonsets: true, delete_local_data: false, grace_period: -1, timeout: 120 },
  binaries_path: '/opt/rke/bin',
} as const;

/** Plugins RKE deploys itself that Corral does not; it tells people to install them through addons. */
export const RKE_NETWORK_PLUGINS = ['canal', 'calico', 'weave', 'aci'];
export const NETWORK_PLUGINS = ['flannel', 'none'] as const;

/** RKE's system_images keys Corral uses (the rest name images of components Corral runs as processes). */
export const SYSTEM_IMAGE_KEYS = ['pod_infra_container', 'coredns', 'metrics_server', 'flannel', 'toolbox'] as const;

/**
 * RKE's cluster_dns_server (10.43.0.10) belongs to its default service range; in another range,
 * the address at the same place in it (10.96.0.0/12 → 10.96.0.10).
 */
export function defaultDnsServer(serviceRange: string): string {
  const range = parseCidr(serviceRange);
  return range && !cidrContains(range, DEFAULTS.cluster_dns_server)
    ? cidrAddress(range, 10n)
    : DEFAULTS.cluster_dns_server;
}
