import type { ClusterConfig, NodeConfig, NodeRole } from './config/types.js';

export const has = (node: { role: NodeRole[] } | { roles: NodeRole[] }, role: NodeRole): boolean =>
  ('role' in node ? node.role : node.roles).includes(role);

export const etcdNodes = (config: ClusterConfig): NodeConfig[] => config.nodes.filter((n) => has(n, 'etcd'));
export const controlPlaneNodes = (config: ClusterConfig): NodeConfig[] =>
  config.nodes.filter((n) => has(n, 'controlplane'));

/** etcd's member name and peer URL for a node; components.ts uses the same. */
export const etcdMemberName = (node: NodeConfig): string => `etcd-${node.hostname_override}`;
export const etcdPeerUrl = (node: NodeConfig): string =>
  `https://${node.internal_address.includes(':') ? `[${node.internal_address}]` : node.internal_address}:2380`;

/** Binaries each node needs by its roles. RKE runs the worker plane (kubelet, kube-proxy) on every node. */
export function binariesFor(node: NodeConfig): string[] {
  const names = ['kubelet', 'kube-proxy'];
  if (has(node, 'etcd')) names.push('etcd', 'etcdctl', 'etcdutl');
  if (has(node, 'controlplane')) names.push('kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl');
  else names.push('corral-apiserver-proxy'); // components.ts's binaryOf('apiserver-proxy')
  return names;
}

/** Ports each component listens on, for preflight. */
export const COMPONENT_PORTS: Record<string, number[]> = {
  etcd: [2379, 2380],
  'kube-apiserver': [6443],
  'kube-controller-manager': [10257],
  'kube-scheduler': [10259],
  kubelet: [10250],
  'kube-proxy': [10256],
  'apiserver-proxy': [6443],
};

export function componentNamesFor(node: NodeConfig): string[] {
  const names: string[] = [];
  if (has(node, 'etcd')) names.push('etcd');
  if (has(node, 'controlplane')) names.push('kube-apiserver', 'kube-controller-manager', 'kube-scheduler');
  else names.push('apiserver-proxy');
  names.push('kubelet', 'kube-proxy');
  return names;
}
