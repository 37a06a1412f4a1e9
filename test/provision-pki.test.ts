import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binaryPaths } from '../src/kube/binaries.js';
import { failedStartError } from '../src/localcluster/errors.js';
import { exitedCheck, startEtcd, type EtcdInstance } from '../src/localcluster/etcd.js';
import { probe } from '../src/localcluster/https-probe.js';
import { freePort } from '../src/localcluster/ports.js';
import { startProcess, stopProcess, type ManagedProcess } from '../src/localcluster/processes.js';
import type { ClusterConfig, NodeConfig } from '../src/provision/config/types.js';
import {
  adminKubeconfig,
  certificateFilesFor,
  certPath,
  generateClusterPki,
  keyPath,
  kubeconfigPath,
  rotateCertificates,
  type ClusterPki,
} from '../src/provision/pki.js';
import { pollUntil } from '../src/util/poll.js';
import { testDir } from './helpers/control-plane.js';

const execFileP = promisify(execFile);

const node: NodeConfig = {
  address: '127.0.0.1',
  port: 22,
  internal_address: '127.0.0.1',
  role: ['etcd', 'controlplane', 'worker'],
  hostname_override: 'pki-node',
  user: 'root',
  ssh_key_path: '',
  ssh_key: '',
  labels: {},
  taints: [],
};

const config: ClusterConfig = {
  cluster_name: 'pki-e2e',
  nodes: [node],
  ssh_key_path: '',
  ssh_agent_auth: false,
  kubernetes_version: 'v1.36.5',
  services: {
    etcd: { extra_args: {}, backup_config: { enabled: false, interval_hours: 12, retention: 6, s3backupconfig: null } },
    'kube-api': { service_cluster_ip_range: '10.43.0.0/16', service_node_port_range: '30000-32767', extra_args: {} },
    'kube-controller': { cluster_cidr: '10.42.0.0/16', service_cluster_ip_range: '10.43.0.0/16', extra_args: {} },
    scheduler: { extra_args: {} },
    kubelet: { cluster_domain: 'cluster.local', cluster_dns_server: '10.43.0.10', fail_swap_on: false, extra_args: {} },
    kubeproxy: { extra_args: {} },
  },
  authentication: { strategy: 'x509', sans: [] },
  authorization: { mode: 'rbac' },
  network: { plugin: 'flannel', options: {} },
  dns: { provider: 'coredns', upstreamnameservers: [] },
  monitoring: { provider: 'metrics-server' },
  system_images: {},
  private_registries: [],
  addons: '',
  addons_include: [],
  upgrade_strategy: {
    max_unavailable_worker: '10%',
    max_unavailable_controlplane: '1',
    drain: false,
    node_drain_input: {
      force: false,
      ignore_daemonsets: true,
      delete_local_data: false,
      grace_period: -1,
      timeout: 120,
    },
  },
  corral: {
    binaries: { source: 'upload', local_dir: '', path: '/opt/rke/bin' },
    supervisor: 'auto',
    container_runtime: 'containerd',
  },
};

let root: string;
let bins: Record<'etcd' | 'kube-apiserver' | 'kubectl', string>;
let pki: ClusterPki;
let etcd: EtcdInstance | undefined;
let apiserver: ManagedProcess | undefined;
let etcdPort: number;
let apiPort: number;
let server: string;

const ssl = (file: string) => join(root, 'etc/kubernetes/ssl', file);

/** Writes the node's files under the test root, exactly as `certificateFilesFor` lays them out. */
async function layOut(bundle: ClusterPki): Promise<void> {
  for (const f of certificateFilesFor(bundle, node, config, { root })) {
    await mkdir(dirname(f.path), { recursive: true });
    await writeFile(f.path, f.content, { mode: f.mode });
    await chmod(f.path, f.mode);
  }
}

/** etcd and kube-apiserver started with nothing but the laid-out files, as a control-plane node runs them. */
async function startControlPlane(): Promise<void> {
  etcd = await startEtcd({
    dir: join(root, 'var/lib'),
    binary: bins.etcd,
    clientPort: etcdPort,
    ca: { cert: certPath('kube-ca', root), key: keyPath('kube-ca', root) },
    server: { cert: certPath('kube-etcd-127-0-0-1', root), key: keyPath('kube-etcd-127-0-0-1', root) },
    // kube-apiserver's etcd client is kube-node, as in RKE.
    client: { cert: certPath('kube-node', root), key: keyPath('kube-node', root) },
  });
  apiserver = startProcess({
    name: 'kube-apiserver',
    command: bins['kube-apiserver'],
    logFile: join(root, 'kube-apiserver.log'),
    args: [
      `--etcd-servers=${etcd.endpoint}`,
      `--etcd-cafile=${ssl('kube-ca.pem')}`,
      `--etcd-certfile=${ssl('kube-node.pem')}`,
      `--etcd-keyfile=${ssl('kube-node-key.pem')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(root, 'apiserver-certs')}`,
      `--tls-cert-file=${ssl('kube-apiserver.pem')}`,
      `--tls-private-key-file=${ssl('kube-apiserver-key.pem')}`,
      `--client-ca-file=${ssl('kube-ca.pem')}`,
      '--authorization-mode=Node,RBAC',
      '--service-cluster-ip-range=10.43.0.0/16',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${ssl('kube-service-account-token-key.pem')}`,
      `--service-account-signing-key-file=${ssl('kube-service-account-token-key.pem')}`,
      `--requestheader-client-ca-file=${ssl('kube-apiserver-requestheader-ca.pem')}`,
      '--requestheader-allowed-names=kube-apiserver-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${ssl('kube-apiserver-proxy-client.pem')}`,
      `--proxy-client-key-file=${ssl('kube-apiserver-proxy-client-key.pem')}`,
      `--kubelet-client-certificate=${ssl('kube-apiserver.pem')}`,
      `--kubelet-client-key=${ssl('kube-apiserver-key.pem')}`,
      '--endpoint-reconciler-type=none',
    ],
  });
  const tls = {
    ca: await readFile(ssl('kube-ca.pem'), 'utf8'),
    cert: pki['kube-admin']!.certPem,
    key: pki['kube-admin']!.keyPem,
  };
  const proc = apiserver;
  try {
    await pollUntil(() => probe(`${server}/readyz`, tls), {
      what: 'kube-apiserver /readyz',
      timeoutMs: 90_000,
      intervalMs: 200,
      abortIf: () => exitedCheck(proc),
    });
  } catch (err) {
    throw await failedStartError('kube-apiserver', err, [proc, etcd.process]);
  }
}

async function stopControlPlane(): Promise<void> {
  if (apiserver) await stopProcess(apiserver);
  if (etcd) await stopProcess(etcd.process);
  apiserver = undefined;
  etcd = undefined;
}

/** kubectl against the test's API server (the kubeconfigs name port 6443, which the test does not own). */
async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP(bins.kubectl, [`--kubeconfig=${kubeconfig}`, `--server=${server}`, ...args]);
  return stdout;
}

async function whoami(kubeconfig: string): Promise<{ username: string; groups: string[] }> {
  const review = JSON.parse(await kubectl(kubeconfig, 'auth', 'whoami', '-o', 'json')) as {
    status: { userInfo: { username: string; groups: string[] } };
  };
  const { username, groups } = review.status.userInfo;
  return { username, groups };
}

async function writeKubeconfig(name: string, text: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  root = await testDir('provision-pki');
  bins = await binaryPaths(['etcd', 'kube-apiserver', 'kubectl']);
  [etcdPort, apiPort] = await Promise.all([freePort(), freePort()]);
  server = `https://127.0.0.1:${apiPort}`;
  pki = await generateClusterPki(config);
  await layOut(pki);
  await startControlPlane();
});

afterAll(async () => {
  await stopControlPlane();
});

describe('a control plane running on the generated certificate files', () => {
  test('files are on disk with their modes: keys 0600, certificates and kubeconfigs 0644', async () => {
    for (const f of certificateFilesFor(pki, node, config, { root })) {
      expect((await stat(f.path)).mode & 0o777, f.path).toBe(f.mode);
    }
    expect((await stat(ssl('kube-apiserver-key.pem'))).mode & 0o777).toBe(0o600);
  });

  test('kubectl with the admin kubeconfig is cluster admin', async () => {
    const admin = await writeKubeconfig('kube_config_cluster.yml', adminKubeconfig(pki, config));
    expect(await whoami(admin)).toEqual({ username: 'kube-admin', groups: ['system:masters', 'system:authenticated'] });
    await kubectl(admin, 'create', 'namespace', 'pki-e2e');
    expect(await kubectl(admin, 'get', 'namespace', 'pki-e2e', '-o', 'name')).toBe('namespace/pki-e2e\n');
  });

  test("each component's kubeconfig authenticates as that component through its certificate files", async () => {
    const expected: Record<string, { username: string; groups: string[] }> = {
      'kube-node': { username: 'system:node', groups: ['system:nodes', 'system:authenticated'] },
      'kube-proxy': { username: 'system:kube-proxy', groups: ['system:authenticated'] },
      'kube-controller-manager': { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
      'kube-scheduler': { username: 'system:kube-scheduler', groups: ['system:authenticated'] },
    };
    for (const [component, user] of Object.entries(expected)) {
      expect(await whoami(kubeconfigPath(component, root)), component).toEqual(user);
    }
  });

  test('a client certificate from another CA is refused, and the client does not trust another CA', async () => {
    const foreign = await generateClusterPki(config);
    // Trusts the right server, but presents a kube-admin certificate the cluster's CA never signed.
    const impostor = await writeKubeconfig(
      'impostor.yml',
      adminKubeconfig({ ...foreign, 'kube-ca': pki['kube-ca']! }, config),
    );
    await expect(kubectl(impostor, 'get', 'namespaces')).rejects.toThrow(/You must be logged in to the server/);
    // The other cluster's kubeconfig does not even trust this API server.
    const other = await writeKubeconfig('other.yml', adminKubeconfig(foreign, config));
    await expect(kubectl(other, 'get', 'namespaces')).rejects.toThrow(/certificate signed by unknown authority/);
    // etcd refuses the other cluster's kube-node at the TLS handshake.
    const etcdTls = {
      ca: pki['kube-ca']!.certPem,
      cert: foreign['kube-node']!.certPem,
      key: foreign['kube-node']!.keyPem,
    };
    await expect(probe(`${etcd!.endpoint}/health`, etcdTls)).rejects.toThrow();
    expect(
      await probe(`${etcd!.endpoint}/health`, {
        ...etcdTls,
        cert: pki['kube-node']!.certPem,
        key: pki['kube-node']!.keyPem,
      }),
    ).toContain('"health":"true"');
  });

  test('after rotate-ca and a restart: the new admin works, the old one is refused, old service-account tokens still work', async () => {
    const admin = await writeKubeconfig('kube_config_cluster.yml', adminKubeconfig(pki, config));
    await kubectl(admin, 'create', 'namespace', 'rotation');
    await kubectl(admin, 'create', 'serviceaccount', 'robot', '-n', 'rotation');
    const token = (await kubectl(admin, 'create', 'token', 'robot', '-n', 'rotation')).trim();
    const tokenConfig = await writeKubeconfig(
      'token.yml',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: ' +
          JSON.stringify(ssl('kube-ca.pem')) +
          '}}]',
        `users: [{name: robot, user: {token: ${JSON.stringify(token)}}}]`,
        'contexts: [{name: c, context: {cluster: c, user: robot}}]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    expect((await whoami(tokenConfig)).username).toBe('system:serviceaccount:rotation:robot');

    const before = pki;
    const rotated = await rotateCertificates(config, before, { rotateCa: true });
    await stopControlPlane();
    pki = rotated;
    await layOut(rotated);
    await startControlPlane();

    const newAdmin = await writeKubeconfig('kube_config_cluster.yml', adminKubeconfig(rotated, config));
    expect(await kubectl(newAdmin, 'get', 'namespace', 'rotation', '-o', 'name')).toBe('namespace/rotation\n');
    // The old kubeconfig no longer trusts the API server, and the old admin certificate is refused.
    const oldAdmin = await writeKubeconfig('old-admin.yml', adminKubeconfig(before, config));
    await expect(kubectl(oldAdmin, 'get', 'namespaces')).rejects.toThrow(/certificate signed by unknown authority/);
    const oldCert = await writeKubeconfig(
      'old-cert.yml',
      adminKubeconfig({ ...before, 'kube-ca': rotated['kube-ca']! }, config),
    );
    await expect(kubectl(oldCert, 'get', 'namespaces')).rejects.toThrow(/You must be logged in to the server/);
    // The service-account key was kept: the token issued before the rotation still authenticates
    // (its kubeconfig names kube-ca.pem by path, which now holds the new CA).
    expect((await whoami(tokenConfig)).username).toBe('system:serviceaccount:rotation:robot');
  });
});
