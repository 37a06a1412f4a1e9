import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { certificateFromPem, issueCertificate } from '../pki/index.js';
import type { ClusterConfig, NodeConfig, NodeRole } from './config/types.js';
import {
  adminKubeconfig,
  certificateFilesFor,
  certificateSummary,
  changedCertificates,
  etcdCertName,
  generateClusterPki,
  rotateCertificates,
  type ClusterPki,
} from './pki.js';

const execFileP = promisify(execFile);

function node(address: string, role: NodeRole[], extra: Partial<NodeConfig> = {}): NodeConfig {
  return {
    address,
    port: 22,
    internal_address: address,
    role,
    hostname_override: address,
    user: 'root',
    ssh_key_path: '/root/.ssh/id_ed25519',
    ssh_key: '',
    labels: {},
    taints: [],
    ...extra,
  };
}

/** A defaulted configuration, as config/ produces it, with only what the PKI reads varied. */
function clusterConfig(nodes: NodeConfig[], sans: string[] = []): ClusterConfig {
  return {
    cluster_name: 'pki-test',
    nodes,
    ssh_key_path: '/root/.ssh/id_ed25519',
    ssh_agent_auth: false,
    kubernetes_version: 'v1.36.5',
    services: {
      etcd: {
        extra_args: {},
        backup_config: { enabled: true, interval_hours: 12, retention: 6, s3backupconfig: null },
      },
      'kube-api': { service_cluster_ip_range: '10.43.0.0/16', service_node_port_range: '30000-32767', extra_args: {} },
      'kube-controller': { cluster_cidr: '10.42.0.0/16', service_cluster_ip_range: '10.43.0.0/16', extra_args: {} },
      scheduler: { extra_args: {} },
      kubelet: {
        cluster_domain: 'cluster.local',
        cluster_dns_server: '10.43.0.10',
        fail_swap_on: false,
        extra_args: {},
      },
      kubeproxy: { extra_args: {} },
    },
    authentication: { strategy: 'x509', sans },
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
}

const cp1 = node('10.77.0.11', ['controlplane', 'etcd'], {
  hostname_override: 'node-1',
  internal_address: '192.168.7.11',
});
const etcd2 = node('10.77.0.12', ['etcd']);
const worker3 = node('10.77.0.13', ['worker'], { hostname_override: 'node-3' });
const baseConfig = clusterConfig([cp1, etcd2, worker3], ['corral.example.com', '203.0.113.9']);

let dir: string;
let pki: ClusterPki;

async function pemFile(name: string, pem: string): Promise<string> {
  const path = join(dir, `${name}-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(path, pem);
  return path;
}

/** `openssl verify` of `leafPem` against `caPem` for a purpose; rejects when openssl refuses. */
async function opensslVerify(caPem: string, leafPem: string, purpose = 'any'): Promise<string> {
  const [ca, leaf] = await Promise.all([pemFile('ca', caPem), pemFile('leaf', leafPem)]);
  const { stdout } = await execFileP('openssl', ['verify', '-purpose', purpose, '-CAfile', ca, leaf]);
  return stdout;
}

/** openssl's own reading of the SAN extension, normalized to "DNS:x" / "IP:y" entries. */
async function opensslSans(certPem: string): Promise<string[]> {
  const file = await pemFile('sans', certPem);
  const { stdout } = await execFileP('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', file]);
  return stdout
    .split('\n')
    .slice(1)
    .join(',')
    .split(',')
    .map((s) => s.trim().replace('IP Address:', 'IP:'))
    .filter(Boolean)
    .sort();
}

async function opensslSubject(certPem: string): Promise<string> {
  const file = await pemFile('subject', certPem);
  const { stdout } = await execFileP('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', file]);
  return stdout.trim().replace(/^subject=/, '');
}

const x509 = (entry: { certPem: string } | undefined) => new X509Certificate(entry!.certPem);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-provision-pki-'));
  pki = await generateClusterPki(baseConfig);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateClusterPki', () => {
  test("RKE's whole set is there, with RKE's names", () => {
    expect(Object.keys(pki)).toEqual([
      'kube-ca',
      'kube-apiserver-requestheader-ca',
      'kube-apiserver',
      'kube-apiserver-proxy-client',
      'kube-controller-manager',
      'kube-scheduler',
      'kube-proxy',
      'kube-node',
      'kube-admin',
      'kube-etcd-192-168-7-11',
      'kube-etcd-10-77-0-12',
      'kube-service-account-token',
    ]);
    expect(etcdCertName(node('fd00::1', ['etcd']))).toBe('kube-etcd-fd00--1');
  });

  test('subjects (CN and O) as RKE issues them, read by openssl', async () => {
    const subjects = Object.fromEntries(
      await Promise.all(Object.entries(pki).map(async ([name, e]) => [name, await opensslSubject(e.certPem)] as const)),
    );
    expect(subjects).toEqual({
      'kube-ca': 'CN=kube-ca',
      'kube-apiserver-requestheader-ca': 'CN=kube-apiserver-requestheader-ca',
      'kube-apiserver': 'CN=kube-apiserver',
      'kube-apiserver-proxy-client': 'CN=kube-apiserver-proxy-client',
      'kube-controller-manager': 'CN=system:kube-controller-manager',
      'kube-scheduler': 'CN=system:kube-scheduler',
      'kube-proxy': 'CN=system:kube-proxy',
      'kube-node': 'O=system:nodes,CN=system:node',
      'kube-admin': 'O=system:masters,CN=kube-admin',
      'kube-etcd-192-168-7-11': 'CN=kube-etcd',
      'kube-etcd-10-77-0-12': 'CN=kube-etcd',
      'kube-service-account-token': 'CN=kube-service-account-token',
    });
    expect(pki['kube-node']).toMatchObject({ commonName: 'system:node', ou: 'system:nodes' });
    expect(pki['kube-admin']).toMatchObject({ commonName: 'kube-admin', ou: 'system:masters' });
    // RSA, as RKE: kube-apiserver reads an ECDSA --service-account-key-file only in SEC1 form.
    expect(createPrivateKey(pki['kube-service-account-token']!.keyPem).asymmetricKeyType).toBe('rsa');
  });

  test('kube-apiserver SANs: loopback, the kubernetes Service, every control-plane name and authentication.sans', async () => {
    expect(await opensslSans(pki['kube-apiserver']!.certPem)).toEqual(
      [
        'DNS:localhost',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
        'DNS:node-1',
        'DNS:corral.example.com',
        'IP:127.0.0.1',
        'IP:10.43.0.1',
        'IP:10.77.0.11',
        'IP:192.168.7.11',
        'IP:203.0.113.9',
      ].sort(),
    );
  });

  test('every etcd certificate names every etcd node, as RKE does, and no worker', async () => {
    const expected = [
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:node-1',
      'IP:127.0.0.1',
      'IP:10.43.0.1',
      'IP:10.77.0.11',
      'IP:192.168.7.11',
      'IP:10.77.0.12',
    ].sort();
    expect(await opensslSans(pki['kube-etcd-192-168-7-11']!.certPem)).toEqual(expected);
    expect(await opensslSans(pki['kube-etcd-10-77-0-12']!.certPem)).toEqual(expected);
  });

  test('every leaf verifies against its CA for its purpose, and client-only ones are no servers', async () => {
    const ca = pki['kube-ca']!.certPem;
    const rh = pki['kube-apiserver-requestheader-ca']!.certPem;
    for (const name of ['kube-apiserver', 'kube-etcd-192-168-7-11', 'kube-etcd-10-77-0-12']) {
      expect(await opensslVerify(ca, pki[name]!.certPem, 'sslserver')).toMatch(/: OK/);
      expect(await opensslVerify(ca, pki[name]!.certPem, 'sslclient')).toMatch(/: OK/);
    }
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kube-node', 'kube-admin']) {
      expect(await opensslVerify(ca, pki[name]!.certPem, 'sslclient')).toMatch(/: OK/);
      await expect(opensslVerify(ca, pki[name]!.certPem, 'sslserver')).rejects.toThrow(
        /unsuitable certificate purpose/,
      );
    }
    expect(await opensslVerify(rh, pki['kube-apiserver-proxy-client']!.certPem, 'sslclient')).toMatch(/: OK/);
    // The aggregation layer's client is trusted only through its own CA.
    await expect(opensslVerify(ca, pki['kube-apiserver-proxy-client']!.certPem)).rejects.toThrow(
      /unable to get local issuer/,
    );
    expect(await opensslVerify(ca, pki['kube-service-account-token']!.certPem)).toMatch(/: OK/);
    expect(x509(pki['kube-ca']).ca).toBe(true);
    expect(x509(pki['kube-apiserver-requestheader-ca']).ca).toBe(true);
    expect(x509(pki['kube-apiserver']).ca).toBe(false);
  });

  test('CAs and leaves are valid for ten years, as RKE', () => {
    const years = (name: string) =>
      (new Date(x509(pki[name]).validTo).getTime() - Date.now()) / (365.25 * 24 * 3600 * 1000);
    for (const name of Object.keys(pki)) expect(years(name)).toBeGreaterThan(9.9);
  });

  test('the same input gives back byte-identical output', async () => {
    const again = await generateClusterPki(baseConfig, pki);
    expect(JSON.stringify(again)).toBe(JSON.stringify(pki));
    // And it survives cluster.rkestate's JSON round trip.
    const fromState = await generateClusterPki(baseConfig, JSON.parse(JSON.stringify(pki)) as ClusterPki);
    expect(JSON.stringify(fromState)).toBe(JSON.stringify(pki));
  });

  test('a new control-plane node re-issues kube-apiserver only, with the new SAN', async () => {
    const cp4 = node('10.77.0.14', ['controlplane']);
    const after = await generateClusterPki(
      clusterConfig([cp1, etcd2, worker3, cp4], baseConfig.authentication.sans),
      pki,
    );
    expect(changedCertificates(pki, after)).toEqual(['kube-apiserver']);
    expect(await opensslSans(after['kube-apiserver']!.certPem)).toContain('IP:10.77.0.14');
    expect(await opensslVerify(after['kube-ca']!.certPem, after['kube-apiserver']!.certPem, 'sslserver')).toMatch(/OK/);
  });

  test('a changed authentication.sans re-issues kube-apiserver only', async () => {
    const after = await generateClusterPki(clusterConfig([cp1, etcd2, worker3], ['other.example.com']), pki);
    expect(changedCertificates(pki, after)).toEqual(['kube-apiserver']);
  });

  test('adding an etcd node issues its certificate and re-issues the others with its name', async () => {
    const etcd4 = node('10.77.0.14', ['etcd']);
    const after = await generateClusterPki(
      clusterConfig([cp1, etcd2, worker3, etcd4], baseConfig.authentication.sans),
      pki,
    );
    expect(changedCertificates(pki, after).sort()).toEqual(
      ['kube-etcd-10-77-0-12', 'kube-etcd-10-77-0-14', 'kube-etcd-192-168-7-11'].sort(),
    );
    for (const name of ['kube-etcd-10-77-0-12', 'kube-etcd-10-77-0-14', 'kube-etcd-192-168-7-11']) {
      expect(await opensslSans(after[name]!.certPem)).toContain('IP:10.77.0.14');
    }
  });

  test("removing an etcd node drops its certificate and the node's name from the others", async () => {
    const after = await generateClusterPki(clusterConfig([cp1, worker3], baseConfig.authentication.sans), pki);
    expect(after['kube-etcd-10-77-0-12']).toBeUndefined();
    expect(changedCertificates(pki, after).sort()).toEqual(['kube-etcd-10-77-0-12', 'kube-etcd-192-168-7-11']);
    expect(await opensslSans(after['kube-etcd-192-168-7-11']!.certPem)).not.toContain('IP:10.77.0.12');
  });

  test('broken, foreign or expiring certificates are replaced, not reused', async () => {
    const foreign = await generateClusterPki(baseConfig);
    const ca = certificateFromPem(pki['kube-ca']!.certPem, pki['kube-ca']!.keyPem);
    const expiring = await issueCertificate(ca, {
      commonName: 'system:kube-controller-manager',
      usages: ['client'],
      validityDays: 20,
    });
    const mixed: ClusterPki = {
      ...pki,
      'kube-controller-manager': {
        ...pki['kube-controller-manager']!,
        certPem: expiring.certPem,
        keyPem: expiring.keyPem,
      },
      'kube-scheduler': foreign['kube-scheduler']!,
      'kube-proxy': { ...pki['kube-proxy']!, keyPem: pki['kube-node']!.keyPem },
      'kube-admin': { ...pki['kube-admin']!, certPem: 'garbage' },
    };
    const after = await generateClusterPki(baseConfig, mixed);
    expect(changedCertificates(mixed, after).sort()).toEqual([
      'kube-admin',
      'kube-controller-manager',
      'kube-proxy',
      'kube-scheduler',
    ]);
    expect(new Date(x509(after['kube-controller-manager']).validTo).getTime()).toBeGreaterThan(
      Date.now() + 9 * 365 * 86400_000,
    );
    expect(await opensslVerify(pki['kube-ca']!.certPem, after['kube-scheduler']!.certPem, 'sslclient')).toMatch(/OK/);
  });

  test('a dual-stack service range puts both kubernetes Service addresses in kube-apiserver', async () => {
    const config = clusterConfig([node('fd00:77::11', ['controlplane', 'etcd', 'worker'])]);
    config.services['kube-api'].service_cluster_ip_range = '10.43.0.0/16,fd00:43::/108';
    const dual = await generateClusterPki(config, pki);
    const sans = await opensslSans(dual['kube-apiserver']!.certPem);
    expect(sans).toEqual(expect.arrayContaining(['IP:10.43.0.1', 'IP:FD00:43:0:0:0:0:0:1', 'IP:FD00:77:0:0:0:0:0:11']));
    // IPv6 SANs read back compare equal to the configuration's spelling: no re-issue the second time.
    expect(changedCertificates(dual, await generateClusterPki(config, dual))).toEqual([]);
  });
});

describe('rotateCertificates', () => {
  test('one service changes only its certificates, with new keys', async () => {
    const cases: [string, string[]][] = [
      ['kube-controller-manager', ['kube-controller-manager']],
      ['kube-scheduler', ['kube-scheduler']],
      ['kube-proxy', ['kube-proxy']],
      ['kubelet', ['kube-node']],
      ['kube-apiserver', ['kube-apiserver', 'kube-apiserver-proxy-client']],
      ['etcd', ['kube-etcd-10-77-0-12', 'kube-etcd-192-168-7-11']],
    ];
    for (const [service, certs] of cases) {
      const after = await rotateCertificates(baseConfig, pki, { services: [service] });
      expect(changedCertificates(pki, after).sort(), service).toEqual(certs.sort());
      for (const name of certs) expect(after[name]!.keyPem).not.toBe(pki[name]!.keyPem);
    }
    await expect(rotateCertificates(baseConfig, pki, { services: ['kube-dns'] })).rejects.toThrow(
      /unknown service kube-dns: choose from etcd, kubelet/,
    );
  });

  test('no service rotates every leaf but keeps the CAs and the service-account key', async () => {
    const after = await rotateCertificates(baseConfig, pki);
    const leaves = Object.keys(pki).filter((n) => !n.endsWith('-ca') && n !== 'kube-service-account-token');
    expect(changedCertificates(pki, after).sort()).toEqual(leaves.sort());
  });

  test('rotate-ca: new CAs; every leaf verifies against the new CA and not the old; service-account key kept', async () => {
    const after = await rotateCertificates(baseConfig, pki, { rotateCa: true });
    expect(changedCertificates(pki, after).sort()).toEqual(Object.keys(pki).sort());
    const oldCa = pki['kube-ca']!.certPem;
    const newCa = after['kube-ca']!.certPem;
    expect(x509(after['kube-ca']).fingerprint256).not.toBe(x509(pki['kube-ca']).fingerprint256);
    for (const name of Object.keys(after).filter((n) => !n.startsWith('kube-apiserver-') && n !== 'kube-ca')) {
      expect(await opensslVerify(newCa, after[name]!.certPem), name).toMatch(/: OK/);
      await expect(opensslVerify(oldCa, after[name]!.certPem), name).rejects.toThrow(/signature failure|unable to get/);
    }
    const proxyClient = after['kube-apiserver-proxy-client']!.certPem;
    expect(await opensslVerify(after['kube-apiserver-requestheader-ca']!.certPem, proxyClient)).toMatch(/: OK/);
    await expect(opensslVerify(pki['kube-apiserver-requestheader-ca']!.certPem, proxyClient)).rejects.toThrow();
    // Tokens signed before the rotation still verify: the signing key is the same.
    expect(after['kube-service-account-token']!.keyPem).toBe(pki['kube-service-account-token']!.keyPem);
  });

  test('a state without a CA cannot be rotated', async () => {
    await expect(rotateCertificates(baseConfig, {})).rejects.toThrow(/no kube-ca/);
  });
});

describe('certificateFilesFor', () => {
  const names = (n: NodeConfig, root?: string) =>
    certificateFilesFor(pki, n, baseConfig, { root })
      .map((f) => f.path)
      .sort();

  test('an etcd node gets its own etcd certificate and the worker plane, no control-plane secrets', () => {
    expect(names(etcd2)).toEqual(
      [
        '/etc/kubernetes/ssl/kube-ca.pem',
        '/etc/kubernetes/ssl/kube-etcd-10-77-0-12.pem',
        '/etc/kubernetes/ssl/kube-etcd-10-77-0-12-key.pem',
        '/etc/kubernetes/ssl/kube-node.pem',
        '/etc/kubernetes/ssl/kube-node-key.pem',
        '/etc/kubernetes/ssl/kube-proxy.pem',
        '/etc/kubernetes/ssl/kube-proxy-key.pem',
        '/etc/kubernetes/ssl/kubecfg-kube-node.yaml',
        '/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml',
      ].sort(),
    );
  });

  test('a worker gets kube-ca, kube-node, kube-proxy and their kubeconfigs pointing at its local API server proxy', () => {
    const files = certificateFilesFor(pki, worker3, baseConfig);
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        '/etc/kubernetes/ssl/kube-ca.pem',
        '/etc/kubernetes/ssl/kube-node.pem',
        '/etc/kubernetes/ssl/kube-node-key.pem',
        '/etc/kubernetes/ssl/kube-proxy.pem',
        '/etc/kubernetes/ssl/kube-proxy-key.pem',
        '/etc/kubernetes/ssl/kubecfg-kube-node.yaml',
        '/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml',
      ].sort(),
    );
    const kubeconfig = parse(files.find((f) => f.path.endsWith('kubecfg-kube-node.yaml'))!.content);
    expect(kubeconfig).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: { 'certificate-authority': '/etc/kubernetes/ssl/kube-ca.pem', server: 'https://127.0.0.1:6443' },
        },
      ],
      contexts: [{ name: 'local', context: { cluster: 'local', user: 'kube-node-local' } }],
      'current-context': 'local',
      users: [
        {
          name: 'kube-node-local',
          user: {
            'client-certificate': '/etc/kubernetes/ssl/kube-node.pem',
            'client-key': '/etc/kubernetes/ssl/kube-node-key.pem',
          },
        },
      ],
    });
  });

  test('a control-plane node gets what its components need, with keys 0600 and certificates 0644', () => {
    const files = certificateFilesFor(pki, cp1, baseConfig, { root: '/tmp/root' });
    const byPath = new Map(files.map((f) => [f.path.replace('/tmp/root/etc/kubernetes/ssl/', ''), f]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        'kube-ca.pem',
        'kube-ca-key.pem',
        'kube-apiserver.pem',
        'kube-apiserver-key.pem',
        'kube-apiserver-requestheader-ca.pem',
        'kube-apiserver-proxy-client.pem',
        'kube-apiserver-proxy-client-key.pem',
        'kube-service-account-token.pem',
        'kube-service-account-token-key.pem',
        'kube-controller-manager.pem',
        'kube-controller-manager-key.pem',
        'kube-scheduler.pem',
        'kube-scheduler-key.pem',
        'kube-node.pem',
        'kube-node-key.pem',
        'kube-proxy.pem',
        'kube-proxy-key.pem',
        'kube-etcd-192-168-7-11.pem',
        'kube-etcd-192-168-7-11-key.pem',
        'kubecfg-kube-node.yaml',
        'kubecfg-kube-proxy.yaml',
        'kubecfg-kube-controller-manager.yaml',
        'kubecfg-kube-scheduler.yaml',
      ].sort(),
    );
    for (const [name, f] of byPath) {
      expect(f.mode, name).toBe(name.endsWith('-key.pem') ? 0o600 : 0o644);
      if (name.endsWith('-key.pem')) expect(f.content).toMatch(/PRIVATE KEY/);
    }
    expect(byPath.get('kube-apiserver-requestheader-ca.pem')!.content).toBe(
      pki['kube-apiserver-requestheader-ca']!.certPem,
    );
    const kcm = parse(byPath.get('kubecfg-kube-controller-manager.yaml')!.content);
    expect(kcm.clusters[0].cluster).toEqual({
      'certificate-authority': '/tmp/root/etc/kubernetes/ssl/kube-ca.pem',
      server: 'https://127.0.0.1:6443',
    });
    expect(kcm.users[0].user['client-key']).toBe('/tmp/root/etc/kubernetes/ssl/kube-controller-manager-key.pem');
  });

  test('an IPv6 control plane is reached in brackets, and a missing certificate is named', async () => {
    const v6 = clusterConfig([node('fd00:77::11', ['controlplane', 'etcd']), worker3]);
    const v6pki = await generateClusterPki(v6, pki);
    const kubeconfig = certificateFilesFor(v6pki, worker3, v6).find((f) => f.path.endsWith('kubecfg-kube-proxy.yaml'))!;
    // A worker reaches it through its own proxy (components.test.ts checks the proxy's brackets).
    expect(parse(kubeconfig.content).clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
    expect(parse(adminKubeconfig(v6pki, v6)).clusters[0].cluster.server).toBe('https://[fd00:77::11]:6443');
    expect(() => certificateFilesFor(pki, v6.nodes[0]!, v6)).toThrow(/have no kube-etcd-fd00-77--11/);
    expect(() => certificateFilesFor(pki, worker3, clusterConfig([etcd2, worker3]))).toThrow(/no controlplane node/);
  });

  test('nothing for the requestheader CA key, the admin or other etcd nodes leaves the workstation', () => {
    for (const n of [cp1, etcd2, worker3]) {
      const paths = names(n);
      expect(paths.some((p) => p.includes('requestheader-ca-key') || p.includes('kube-admin'))).toBe(false);
      expect(paths.filter((p) => p.includes('kube-etcd-')).length).toBe(n.role.includes('etcd') ? 2 : 0);
    }
  });
});

describe('adminKubeconfig and certificateSummary', () => {
  test("the admin kubeconfig is RKE's: named after the cluster, first control plane's address, and its cert verifies", async () => {
    const text = adminKubeconfig(pki, baseConfig);
    const config = parse(text);
    expect(config['current-context']).toBe('pki-test');
    expect(config.clusters[0].name).toBe('pki-test');
    expect(config.clusters[0].cluster.server).toBe('https://10.77.0.11:6443');
    expect(config.contexts[0]).toEqual({
      name: 'pki-test',
      context: { cluster: 'pki-test', user: 'kube-admin-pki-test' },
    });
    expect(config.users[0].name).toBe('kube-admin-pki-test');
    const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    const ca = b64(config.clusters[0].cluster['certificate-authority-data']);
    const cert = b64(config.users[0].user['client-certificate-data']);
    expect(ca).toBe(pki['kube-ca']!.certPem);
    expect(b64(config.users[0].user['client-key-data'])).toBe(pki['kube-admin']!.keyPem);
    expect(await opensslVerify(ca, cert, 'sslclient')).toMatch(/: OK/);
    expect(await opensslSubject(cert)).toBe('O=system:masters,CN=kube-admin');
  });

  test('a cluster without a control plane has no admin kubeconfig', () => {
    expect(() => adminKubeconfig(pki, clusterConfig([etcd2]))).toThrow(/no controlplane node/);
  });

  test('the summary lists name, CN, not-after, serial and fingerprint as openssl sees them', async () => {
    const summary = certificateSummary(pki);
    expect(summary.map((s) => s.name)).toEqual(Object.keys(pki));
    const api = summary.find((s) => s.name === 'kube-apiserver')!;
    const file = await pemFile('summary', pki['kube-apiserver']!.certPem);
    const { stdout } = await execFileP('openssl', [
      'x509',
      '-noout',
      '-serial',
      '-enddate',
      '-fingerprint',
      '-sha256',
      '-in',
      file,
    ]);
    expect(stdout).toContain(`serial=${api.serial}`);
    expect(stdout.replaceAll(':', '').toLowerCase()).toContain(api.sha256);
    expect(new Date(/notAfter=(.*)/.exec(stdout)![1]!).getTime()).toBe(api.notAfter.getTime());
    expect(api).toMatchObject({ commonName: 'kube-apiserver', issuer: 'kube-ca', isCA: false });
    expect(summary.find((s) => s.name === 'kube-node')).toMatchObject({ organizations: ['system:nodes'] });
  });
});
