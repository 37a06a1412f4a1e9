/**
 * The pod network (network.plugin: flannel): flanneld on every node that runs kubelet, as one of
 * Corral's supervised units like kube-proxy (RKE runs it in a container; Corral runs every
 * component as a process, and flannel needs the node's iptables anyway). It takes the node's pod
 * CIDR from Kubernetes (--kube-subnet-mgr), connects the nodes (vxlan, or host-gw routes) and writes
 * /run/flannel/subnet.env; Corral then writes the node's CNI configuration from that file: the
 * standard bridge and host-local plugins on the node's subnet, which is what flannel's own CNI
 * plugin hands over to.
 */
import { createHash } from 'node:crypto';
import { runtimeBinDir } from '../kube/binaries.js';
import { pollUntil } from '../util/poll.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { DEFAULTS } from './config/defaults.js';
import { cidrAddress, parseCidr } from './config/net.js';
import { ProvisionError } from './errors.js';
import { localFileHash, syncBinaries, syncFiles, type BinaryUploader } from './files.js';
import type { NodeIo } from './node-io.js';
import { kubeconfigPath } from './pki.js';
import type { Progress } from './progress.js';
import { CNI_CONF_DIR } from './runtime.js';
import { applyUnit, type SupervisorMode, type UnitSpec } from './supervisor/index.js';

export const FLANNEL_UNIT = 'flannel';
export const FLANNEL_NET_CONF = '/etc/kube-flannel/net-conf.json';
export const FLANNEL_SUBNET_ENV = '/run/flannel/subnet.env';
export const CNI_CONFLIST = `${CNI_CONF_DIR}/10-flannel.conflist`;

/**
 * flanneld runs with the node's credentials (group system:nodes), which the Node authorizer limits
 * to the node's own objects; flannel watches every Node for the other nodes' subnets and writes its
 * own Node's annotations.
 */
export const FLANNEL_RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "corral:flannel", labels: {provisioner.corral.io/managed: "true"}}
rules:
  - apiGroups: [""]
    resources: [nodes]
    verbs: [get, list, watch, patch]
  - apiGroups: [""]
    resources: [nodes/status]
    verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "corral:flannel", labels: {provisioner.corral.io/managed: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "corral:flannel"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:nodes"}]
`;

export function flannelSpec(config: ClusterConfig, node: NodeConfig, binDir: string, binaryHash: string): UnitSpec {
  const backend = config.network.options.flannel_backend_type ?? DEFAULTS.flannel_backend_type;
  const netConf = {
    Network: config.services['kube-controller'].cluster_cidr,
    Backend: backend === 'vxlan' ? { Type: 'vxlan', Port: 8472 } : { Type: backend },
  };
  const spec = {
    name: FLANNEL_UNIT,
    binary: `${binDir}/flanneld`,
    args: [
      '--kube-subnet-mgr',
      `--kubeconfig-file=${kubeconfigPath('kube-node')}`,
      `--iface=${node.internal_address}`,
      // Pods reach addresses outside the cluster network from their node's address.
      '--ip-masq',
      `--net-config-path=${FLANNEL_NET_CONF}`,
    ],
    env: {
      NODE_NAME: node.hostname_override,
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    },
    files: [{ path: FLANNEL_NET_CONF, content: `${JSON.stringify(netConf, null, 2)}\n`, mode: 0o644 }],
  };
  return { ...spec, hash: createHash('sha256').update(JSON.stringify(spec)).update(binaryHash).digest('hex') };
}

/** The CNI configuration for a node from flannel's subnet.env (FLANNEL_SUBNET=10.42.1.1/24, FLANNEL_MTU=1450). */
export function cniConflist(subnetEnv: string): string {
  const env = new Map(
    subnetEnv
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  const subnet = env.get('FLANNEL_SUBNET');
  const mtu = Number(env.get('FLANNEL_MTU') ?? '1500');
  if (!subnet || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet))
    throw new ProvisionError(`${FLANNEL_SUBNET_ENV} has no FLANNEL_SUBNET: ${subnetEnv.trim() || '(empty)'}`);
  return `${JSON.stringify(
    {
      name: 'cbr0',
      cniVersion: '1.0.0',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          isDefaultGateway: true,
          hairpinMode: true,
          ipMasq: false,
          mtu,
          ipam: { type: 'host-local', ranges: [[{ subnet: networkOf(subnet) }]] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** 10.42.1.1/24 → 10.42.1.0/24: host-local wants the network, flannel writes the gateway. */
function networkOf(cidr: string): string {
  const parsed = parseCidr(cidr)!;
  return `${cidrAddress(parsed, 0n)}/${parsed.prefix}`;
}

export interface NetworkInput {
  config: ClusterConfig;
  conns: Map<string, NodeIo & BinaryUploader>;
  modes: Map<string, SupervisorMode>;
  /** Nodes whose kubelet runs. */
  runtime: Map<string, boolean>;
  progress: Progress;
}

/** flanneld on every node whose kubelet runs, then each node's CNI configuration from its lease. */
export async function reconcileNetwork(input: NetworkInput): Promise<string[]> {
  const { config, conns, modes, progress } = input;
  if (config.network.plugin !== 'flannel') return [];
  const changed: string[] = [];
  const binDir = config.corral.binaries.path;
  const local = runtimeBinDir();
  const binaryHash = await localFileHash(`${local}/flanneld`);
  await Promise.all(
    config.nodes
      .filter((n) => input.runtime.get(n.address))
      .map(async (node) => {
        const io = conns.get(node.address)!;
        if ((await syncBinaries(io, local, binDir, ['flanneld'])).length) changed.push(`${node.address}/bin/flanneld`);
        const result = await applyUnit(io, flannelSpec(config, node, binDir, binaryHash), modes.get(node.address)!);
        if (result !== 'unchanged') {
          changed.push(`${node.address}/flannel`);
          progress.node(node.address, `flannel ${result}`);
        }
        let env = '';
        await pollUntil(
          async () => {
            env = (await io.readFile(FLANNEL_SUBNET_ENV))?.toString() ?? '';
            if (!env.includes('FLANNEL_SUBNET=')) throw new Error('no lease yet');
          },
          { timeoutMs: 120_000, intervalMs: 500, what: `flannel on ${io.label} to get the node's pod subnet` },
        ).catch(async (err: Error) => {
          const log = await io.run('tail -n 15 /var/log/corral/flannel.log 2>/dev/null');
          throw new ProvisionError(`${err.message}; last lines of its log:\n${log.stdout}`);
        });
        const written = await syncFiles(io, [{ path: CNI_CONFLIST, content: cniConflist(env), mode: 0o644 }]);
        if (written.length) {
          changed.push(`${node.address}:${CNI_CONFLIST}`);
          progress.node(node.address, `pod network ${/FLANNEL_SUBNET=(\S+)/.exec(env)?.[1] ?? ''} configured`);
        }
      }),
  );
  return changed;
}
