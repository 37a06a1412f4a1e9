import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { binaryPath, binDir } from '../src/kube/binaries.js';
import { probe, type ProbeTls } from '../src/localcluster/https-probe.js';
import { componentsFor, healthCommand, type ComponentSpec } from '../src/provision/components.js';
import { loadClusterConfig } from '../src/provision/config/load.js';
import type { ClusterConfig, NodeConfig } from '../src/provision/config/types.js';
import { shellQuote, syncFiles } from '../src/provision/files.js';
import type { NodeIo } from '../src/provision/node-io.js';
import { adminKubeconfig, certificateFilesFor, generateClusterPki, type ClusterPki } from '../src/provision/pki.js';
import { etcdMemberName, etcdPeerUrl } from '../src/provision/roles.js';
import { applyUnit, installSupervisor, unitStatus } from '../src/provision/supervisor/index.js';
import { eventually } from './helpers/eventually.js';
import { nodeIoOf } from './helpers/local-node-io.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';

const execFileP = promisify(execFile);

/**
 * One node (etcd + control plane) of the provisioner's test world, its components started from
 * componentsFor's command lines with the cluster PKI's files, under Corral's supervisor: what
 * `corral up` does on a node, without the SSH and orchestration layers.
 */
let set: NodeSet;
let io: NodeIo;
let config: ClusterConfig;
let node: NodeConfig;
let pki: ClusterPki;
let specs: ComponentSpec[];
let adminTls: ProbeTls;
let kubeconfig: string;

const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

beforeAll(async () => {
  set = await startNodes(1);
  io = nodeIoOf(set, 0);
  const n = set.nodes[0]!;
  config = loadClusterConfig(
    [
      `cluster_name: ${set.name}`,
      'nodes:',
      `  - address: ${n.address}`,
      `    hostname_override: ${n.name}`,
      '    user: root',
      '    role: [etcd, controlplane, worker]',
      // extra_args reach the command line (and a network namespace may not resize the host's conntrack table).
      'services:',
      '  kubeproxy:',
      '    extra_args: {conntrack-max-per-core: "0"}',
      '',
    ].join('\n'),
    { fileName: 'cluster.yml', baseDir: tmpdir(), home: tmpdir() },
  ).config;
  node = config.nodes[0]!;
  pki = await generateClusterPki(config);
  await syncFiles(io, certificateFilesFor(pki, node, config));
  // The binaries go where `corral up` puts them, /opt/rke/bin: the node cannot see this checkout
  // when it lives under a folder the node keeps private (/tmp, /root).
  const nodeBin = join(set.nodes[0]!.hostDir, 'opt', 'rke', 'bin');
  await mkdir(nodeBin, { recursive: true });
  for (const b of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'])
    await copyFile(join(binDir(), b), join(nodeBin, b));
  specs = componentsFor(config, node, {
    binDir: '/opt/rke/bin',
    etcd: { initialClusterState: 'new', members: [{ name: etcdMemberName(node), peerUrl: etcdPeerUrl(node) }] },
    certHashes: Object.fromEntries(
      Object.entries(pki).map(([name, c]) => [
        name,
        createHash('sha256')
          .update(c.certPem + c.keyPem)
          .digest('hex'),
      ]),
    ),
  });
  adminTls = { ca: pki['kube-ca']!.certPem, cert: pki['kube-admin']!.certPem, key: pki['kube-admin']!.keyPem };
  const dir = await mkdtemp(join(tmpdir(), 'corral-components-'));
  kubeconfig = join(dir, 'kube_config_cluster.yml');
  await writeFile(kubeconfig, adminKubeconfig(pki, config), { mode: 0o600 });
  await installSupervisor(io);
});

afterAll(async () => {
  await set?.stop();
});

const api = () => `https://${set.nodes[0]!.address}:6443`;
const kubectl = async (...args: string[]) => {
  const { stdout } = await execFileP(await binaryPath('kubectl'), [
    `--kubeconfig=${kubeconfig}`,
    '--request-timeout=10s',
    ...args,
  ]);
  return stdout;
};

test('etcd, kube-apiserver, controller manager and scheduler run from their specs and serve', async () => {
  for (const name of CONTROL_PLANE) {
    expect(
      await applyUnit(
        io,
        specs.find((s) => s.name === name)!,
        'corral',
      ),
    ).toBe('started');
  }
  await eventually(
    () => probe(`${api()}/readyz`, adminTls),
    'kube-apiserver /readyz with the admin certificate',
    120_000,
  );
  // The health checks the specs describe, from the node (their paths are the node's).
  for (const spec of specs.filter((s) => CONTROL_PLANE.includes(s.name))) {
    await eventually(async () => {
      const res = await io.run(healthCommand(spec.health));
      if (res.code !== 0) throw new Error(`${spec.name} ${spec.health.url}: curl exit ${res.code} ${res.stdout}`);
    }, `${spec.name} health`);
  }
  // Anonymous requests are refused (anonymous-auth=false).
  await expect(probe(`${api()}/readyz`, { ca: adminTls.ca })).rejects.toThrow(/401/);
  // The admin kubeconfig works, and the controllers hold their leader leases through their kubeconfigs.
  await kubectl('create', 'namespace', 'e2-check');
  expect(await kubectl('get', 'namespace', 'e2-check', '-o', 'name')).toBe('namespace/e2-check\n');
  await eventually(async () => {
    const leases = await kubectl('-n', 'kube-system', 'get', 'lease', '-o', 'name');
    expect(leases).toContain('lease.coordination.k8s.io/kube-controller-manager');
    expect(leases).toContain('lease.coordination.k8s.io/kube-scheduler');
  }, 'leader leases of the controller manager and the scheduler');
  // The controller manager's service-account controller signs with the key kube-apiserver verifies.
  await eventually(async () => {
    expect(await kubectl('-n', 'e2-check', 'get', 'serviceaccount', 'default', '-o', 'name')).toBe(
      'serviceaccount/default\n',
    );
  }, 'the default service account');
  for (const name of CONTROL_PLANE) {
    expect(
      await applyUnit(
        io,
        specs.find((s) => s.name === name)!,
        'corral',
      ),
    ).toBe('unchanged');
  }
}, 240_000);

test('a killed kube-apiserver is brought back by the supervisor', async () => {
  const before = await unitStatus(io, 'kube-apiserver');
  expect(before.running).toBe(true);
  const kill = await io.run(`kill -KILL ${before.pid}`);
  expect(kill.code).toBe(0);
  await eventually(
    async () => {
      const now = await unitStatus(io, 'kube-apiserver');
      if (!now.running || now.pid === before.pid) throw new Error(`not back yet: ${JSON.stringify(now)}`);
      expect(now.restarts).toBe(before.restarts + 1);
    },
    'kube-apiserver to be restarted',
    60_000,
  );
  await eventually(() => probe(`${api()}/readyz`, adminTls), 'kube-apiserver /readyz after the restart', 120_000);
  expect(await kubectl('get', 'namespace', 'e2-check', '-o', 'name')).toBe('namespace/e2-check\n');
}, 240_000);

test('kubelet and kube-proxy accept their command lines and configuration files', async () => {
  // No container runtime here, so the kubelet cannot run; its flags and configuration file are
  // still parsed and validated before it looks for one.
  const kubelet = specs.find((s) => s.name === 'kubelet')!;
  await syncFiles(io, kubelet.files);
  const res = await io.run(`timeout 20 ${[kubelet.binary, ...kubelet.args].map(shellQuote).join(' ')} 2>&1`, {
    timeoutMs: 30_000,
  });
  expect(res.stdout).not.toMatch(
    /unknown flag|failed to load kubelet config|invalid configuration|failed to validate/i,
  );
  expect(res.stdout).toMatch(/containerd\.sock/);

  // No iptables here either: kube-proxy gets as far as choosing its proxier.
  const proxy = specs.find((s) => s.name === 'kube-proxy')!;
  expect(proxy.args).toContain('--conntrack-max-per-core=0');
  const out = await io.run(`timeout 5 ${[proxy.binary, ...proxy.args].map(shellQuote).join(' ')} 2>&1`, {
    timeoutMs: 30_000,
  });
  expect(out.stdout).not.toMatch(/unknown flag|invalid/i);
  expect(out.stdout).toMatch(/Using iptables proxy/);
}, 120_000);
