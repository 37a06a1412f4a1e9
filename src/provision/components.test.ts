import { describe, expect, test } from 'vitest';
import {
  certificatesRead,
  componentsFor,
  healthCommand,
  etcdctlCommand,
  kubeletSettableLabels,
  type ComponentContext,
} from './components.js';
import { loadClusterConfig } from './config/load.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';

const CLUSTER_YML = `
nodes:
  - address: 10.0.0.1
    user: root
    role: [etcd, controlplane]
  - address: 10.0.0.2
    user: root
    role: [etcd]
  - address: 203.0.113.3
    internal_address: 192.168.0.3
    hostname_override: worker-3
    user: root
    role: [worker]
    labels: {app: web, node-role.kubernetes.io/worker: "true", topology.kubernetes.io/zone: z1}
    taints: [{key: dedicated, value: web, effect: NoSchedule}]
  - address: 10.0.0.4
    user: root
    role: [controlplane, worker]
`;

function load(yml = CLUSTER_YML): ClusterConfig {
  return loadClusterConfig(yml, { fileName: 'cluster.yml', baseDir: '/tmp', home: '/root' }).config;
}

const ctx = (over: Partial<ComponentContext> = {}): ComponentContext => ({
  binDir: '/opt/rke/bin',
  etcd: {
    initialClusterState: 'new',
    members: [
      { name: 'etcd-10.0.0.1', peerUrl: 'https://10.0.0.1:2380' },
      { name: 'etcd-10.0.0.2', peerUrl: 'https://10.0.0.2:2380' },
    ],
  },
  certHashes: { 'kube-ca': 'ca1', 'kube-node': 'node1', 'kube-apiserver': 'api1', 'kube-etcd-10-0-0-1': 'e1' },
  ...over,
});

const node = (config: ClusterConfig, address: string): NodeConfig => config.nodes.find((n) => n.address === address)!;
const names = (config: ClusterConfig, address: string) =>
  componentsFor(config, node(config, address), ctx()).map((s) => s.name);
const spec = (config: ClusterConfig, address: string, name: string, c = ctx()) =>
  componentsFor(config, node(config, address), c).find((s) => s.name === name)!;
/** The value of `--flag=value` in a spec's arguments (the last one wins, as for the binaries). */
const flag = (args: string[], name: string) =>
  args
    .filter((a) => a.startsWith(`--${name}=`))
    .map((a) => a.slice(name.length + 3))
    .pop();

describe('componentsFor', () => {
  test('follows the roles, with kubelet and kube-proxy on every node as in RKE', () => {
    const config = load();
    expect(names(config, '10.0.0.1')).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubelet',
      'kube-proxy',
    ]);
    expect(names(config, '10.0.0.2')).toEqual(['etcd', 'apiserver-proxy', 'kubelet', 'kube-proxy']);
    expect(names(config, '203.0.113.3')).toEqual(['apiserver-proxy', 'kubelet', 'kube-proxy']);
    expect(names(config, '10.0.0.4')).toEqual([
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubelet',
      'kube-proxy',
    ]);
  });

  test('nodes without the controlplane role reach every control-plane node through their API server proxy', () => {
    const config = load();
    const proxy = spec(config, '203.0.113.3', 'apiserver-proxy');
    expect(proxy.binary).toBe('/opt/rke/bin/corral-apiserver-proxy');
    const controlPlanes = config.nodes.filter((n) => n.role.includes('controlplane'));
    expect(controlPlanes.length).toBeGreaterThan(1);
    expect(proxy.args).toEqual([
      '--listen=127.0.0.1:6443',
      ...controlPlanes.map((n) => `--backend=${n.internal_address}:6443`),
    ]);
    expect(proxy.ports).toEqual([6443]);
    // A control-plane node added changes the proxy's hash, so it restarts with the new list.
    const more = load();
    more.nodes.find((n) => n.address === '10.0.0.2')!.role.push('controlplane');
    expect(spec(more, '203.0.113.3', 'apiserver-proxy').hash).not.toBe(proxy.hash);
  });

  test('etcd: RKE member name, data dir, URLs, mutual TLS with the node certificate, initial cluster', () => {
    const etcd = spec(load(), '10.0.0.1', 'etcd');
    expect(etcd.binary).toBe('/opt/rke/bin/etcd');
    expect(flag(etcd.args, 'name')).toBe('etcd-10.0.0.1');
    expect(flag(etcd.args, 'data-dir')).toBe('/var/lib/etcd');
    expect(flag(etcd.args, 'listen-client-urls')).toBe('https://10.0.0.1:2379,https://127.0.0.1:2379');
    expect(flag(etcd.args, 'advertise-client-urls')).toBe('https://10.0.0.1:2379');
    expect(flag(etcd.args, 'listen-peer-urls')).toBe('https://10.0.0.1:2380');
    expect(flag(etcd.args, 'initial-cluster')).toBe(
      'etcd-10.0.0.1=https://10.0.0.1:2380,etcd-10.0.0.2=https://10.0.0.2:2380',
    );
    expect(flag(etcd.args, 'initial-cluster-state')).toBe('new');
    expect(flag(etcd.args, 'cert-file')).toBe('/etc/kubernetes/ssl/kube-etcd-10-0-0-1.pem');
    expect(flag(etcd.args, 'peer-key-file')).toBe('/etc/kubernetes/ssl/kube-etcd-10-0-0-1-key.pem');
    expect(flag(etcd.args, 'trusted-ca-file')).toBe('/etc/kubernetes/ssl/kube-ca.pem');
    expect(flag(etcd.args, 'client-cert-auth')).toBe('true');
    expect(flag(etcd.args, 'peer-client-cert-auth')).toBe('true');
    // RKE's default extra_args for etcd, from the loaded configuration.
    expect(flag(etcd.args, 'election-timeout')).toBe('5000');
    expect(etcd.health.url).toBe('https://127.0.0.1:2379/health');
    expect(etcd.health.certFile).toBe('/etc/kubernetes/ssl/kube-etcd-10-0-0-1.pem');
    expect(etcd.ports).toEqual([2379, 2380]);

    const joining = spec(load(), '10.0.0.2', 'etcd', ctx({ etcd: { initialClusterState: 'existing', members: [] } }));
    expect(flag(joining.args, 'initial-cluster-state')).toBe('existing');
    expect(flag(joining.args, 'initial-cluster')).toBe('etcd-10.0.0.2=https://10.0.0.2:2380');
  });

  test('kube-apiserver: every etcd member, RKE certificates, security defaults', () => {
    const api = spec(load(), '10.0.0.1', 'kube-apiserver');
    expect(flag(api.args, 'etcd-servers')).toBe('https://10.0.0.1:2379,https://10.0.0.2:2379');
    expect(flag(api.args, 'etcd-certfile')).toBe('/etc/kubernetes/ssl/kube-node.pem');
    expect(flag(api.args, 'secure-port')).toBe('6443');
    expect(flag(api.args, 'advertise-address')).toBe('10.0.0.1');
    expect(flag(api.args, 'client-ca-file')).toBe('/etc/kubernetes/ssl/kube-ca.pem');
    expect(flag(api.args, 'service-account-key-file')).toBe('/etc/kubernetes/ssl/kube-service-account-token-key.pem');
    expect(flag(api.args, 'service-account-signing-key-file')).toBe(
      '/etc/kubernetes/ssl/kube-service-account-token-key.pem',
    );
    expect(flag(api.args, 'service-account-issuer')).toBe('rke');
    expect(flag(api.args, 'service-cluster-ip-range')).toBe('10.43.0.0/16');
    expect(flag(api.args, 'service-node-port-range')).toBe('30000-32767');
    expect(flag(api.args, 'authorization-mode')).toBe('Node,RBAC');
    expect(flag(api.args, 'requestheader-client-ca-file')).toBe(
      '/etc/kubernetes/ssl/kube-apiserver-requestheader-ca.pem',
    );
    expect(flag(api.args, 'requestheader-allowed-names')).toBe('kube-apiserver-proxy-client');
    expect(flag(api.args, 'proxy-client-cert-file')).toBe('/etc/kubernetes/ssl/kube-apiserver-proxy-client.pem');
    expect(flag(api.args, 'kubelet-client-certificate')).toBe('/etc/kubernetes/ssl/kube-apiserver.pem');
    expect(flag(api.args, 'anonymous-auth')).toBe('false');
    expect(flag(api.args, 'profiling')).toBe('false');
    expect(api.health).toMatchObject({ kind: 'https', url: 'https://127.0.0.1:6443/readyz' });

    const open = load(`${CLUSTER_YML}\nauthorization: {mode: none}\n`);
    expect(flag(spec(open, '10.0.0.1', 'kube-apiserver').args, 'authorization-mode')).toBe('AlwaysAllow');
  });

  test('extra_args override the defaults and add flags, once each', () => {
    const config = load(
      `${CLUSTER_YML}\nservices:\n  kube-api:\n    extra_args: {secure-port: "7443", audit-log-maxage: "5", anonymous-auth: "true"}\n`,
    );
    const api = spec(config, '10.0.0.1', 'kube-apiserver');
    expect(flag(api.args, 'secure-port')).toBe('7443');
    expect(flag(api.args, 'anonymous-auth')).toBe('true');
    expect(flag(api.args, 'audit-log-maxage')).toBe('5');
    expect(api.args.filter((a) => a.startsWith('--secure-port=')).length).toBe(1);
    expect(api.args.filter((a) => a.startsWith('--anonymous-auth=')).length).toBe(1);
  });

  test('controller manager and scheduler: RKE kubeconfigs, CIDRs, keys, leader election', () => {
    const config = load();
    const kcm = spec(config, '10.0.0.1', 'kube-controller-manager');
    expect(flag(kcm.args, 'kubeconfig')).toBe('/etc/kubernetes/ssl/kubecfg-kube-controller-manager.yaml');
    expect(flag(kcm.args, 'authentication-kubeconfig')).toBe(
      '/etc/kubernetes/ssl/kubecfg-kube-controller-manager.yaml',
    );
    expect(flag(kcm.args, 'cluster-cidr')).toBe('10.42.0.0/16');
    expect(flag(kcm.args, 'allocate-node-cidrs')).toBe('true');
    expect(flag(kcm.args, 'service-account-private-key-file')).toBe(
      '/etc/kubernetes/ssl/kube-service-account-token-key.pem',
    );
    expect(flag(kcm.args, 'root-ca-file')).toBe('/etc/kubernetes/ssl/kube-ca.pem');
    expect(flag(kcm.args, 'leader-elect')).toBe('true');
    expect(flag(kcm.args, 'use-service-account-credentials')).toBe('true');
    const scheduler = spec(config, '10.0.0.1', 'kube-scheduler');
    expect(flag(scheduler.args, 'kubeconfig')).toBe('/etc/kubernetes/ssl/kubecfg-kube-scheduler.yaml');
    expect(flag(scheduler.args, 'leader-elect')).toBe('true');
  });

  test('kubelet: configuration file, hostname, node IP, labels it may set, RKE taints', () => {
    const config = load();
    const worker = spec(config, '203.0.113.3', 'kubelet');
    expect(flag(worker.args, 'kubeconfig')).toBe('/etc/kubernetes/ssl/kubecfg-kube-node.yaml');
    expect(flag(worker.args, 'hostname-override')).toBe('worker-3');
    expect(flag(worker.args, 'node-ip')).toBe('192.168.0.3');
    expect(flag(worker.args, 'node-labels')).toBe('app=web,topology.kubernetes.io/zone=z1');
    const file = worker.files.find((f) => f.path === flag(worker.args, 'config'))!;
    const kc = JSON.parse(file.content);
    expect(kc).toMatchObject({
      kind: 'KubeletConfiguration',
      clusterDomain: 'cluster.local',
      clusterDNS: ['10.43.0.10'],
      failSwapOn: false,
      cgroupDriver: 'cgroupfs',
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
      authentication: { anonymous: { enabled: false }, x509: { clientCAFile: '/etc/kubernetes/ssl/kube-ca.pem' } },
      authorization: { mode: 'Webhook' },
      registerWithTaints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    });

    const cp = JSON.parse(spec(config, '10.0.0.1', 'kubelet').files[0]!.content);
    expect(cp.registerWithTaints).toEqual([
      { key: 'node-role.kubernetes.io/controlplane', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(JSON.parse(spec(config, '10.0.0.2', 'kubelet').files[0]!.content).registerWithTaints).toEqual([
      { key: 'node-role.kubernetes.io/etcd', value: 'true', effect: 'NoExecute' },
    ]);
    expect(JSON.parse(spec(config, '10.0.0.4', 'kubelet').files[0]!.content).registerWithTaints).toEqual([]);
    const systemd = spec(config, '10.0.0.4', 'kubelet', ctx({ cgroupDriver: 'systemd' }));
    expect(JSON.parse(systemd.files[0]!.content).cgroupDriver).toBe('systemd');
  });

  test('kube-proxy: kubeconfig, cluster CIDR, hostname', () => {
    const proxy = spec(load(), '203.0.113.3', 'kube-proxy');
    expect(flag(proxy.args, 'kubeconfig')).toBe('/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml');
    expect(flag(proxy.args, 'cluster-cidr')).toBe('10.42.0.0/16');
    expect(flag(proxy.args, 'hostname-override')).toBe('worker-3');
  });

  test('root prefixes every path on the node', () => {
    const c = ctx({ root: '/tmp/n1' });
    const all = componentsFor(load(), node(load(), '10.0.0.1'), c);
    const paths = all.flatMap((s) => [...s.args, ...s.files.map((f) => f.path)]).filter((a) => a.includes('/etc/'));
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(p).toMatch(/(=|^)\/tmp\/n1\/etc\//);
    expect(flag(all[0]!.args, 'data-dir')).toBe('/tmp/n1/var/lib/etcd');
  });

  test('the hash changes exactly when something the component depends on changes', () => {
    const config = load();
    const base = componentsFor(config, node(config, '10.0.0.1'), ctx());
    const hashes = (specs: typeof base) => Object.fromEntries(specs.map((s) => [s.name, s.hash]));
    const changed = (specs: typeof base) =>
      specs.filter((s) => s.hash !== base.find((b) => b.name === s.name)!.hash).map((s) => s.name);

    expect(hashes(componentsFor(load(), node(load(), '10.0.0.1'), ctx()))).toEqual(hashes(base));
    // A certificate only kube-apiserver reads.
    const apiCert = ctx({ certHashes: { ...ctx().certHashes, 'kube-apiserver': 'api2' } });
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), apiCert))).toEqual(['kube-apiserver']);
    // etcd's own certificate.
    const etcdCert = ctx({ certHashes: { ...ctx().certHashes, 'kube-etcd-10-0-0-1': 'e2' } });
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), etcdCert))).toEqual(['etcd']);
    // kube-node: the apiserver's etcd client certificate and the kubelet's.
    const nodeCert = ctx({ certHashes: { ...ctx().certHashes, 'kube-node': 'node2' } });
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), nodeCert))).toEqual(['kube-apiserver', 'kubelet']);
    // The CA: everything.
    const ca = ctx({ certHashes: { ...ctx().certHashes, 'kube-ca': 'ca2' } });
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), ca))).toEqual(base.map((s) => s.name));
    // An argument.
    const extra = load(`${CLUSTER_YML}\nservices:\n  scheduler:\n    extra_args: {v: "4"}\n`);
    expect(changed(componentsFor(extra, node(extra, '10.0.0.1'), ctx()))).toEqual(['kube-scheduler']);
    // A configuration file.
    const dns = load(`${CLUSTER_YML}\nservices:\n  kubelet:\n    cluster_dns_server: 10.43.0.53\n`);
    expect(changed(componentsFor(dns, node(dns, '10.0.0.1'), ctx()))).toEqual(['kubelet']);
    // The version, and one binary.
    const newer = { ...config, kubernetes_version: 'v1.36.6' };
    expect(changed(componentsFor(newer, node(newer, '10.0.0.1'), ctx()))).toEqual(base.map((s) => s.name));
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), ctx({ binaryHashes: { etcd: 'x' } })))).toEqual([
      'etcd',
    ]);
    // Membership: only etcd.
    const joined = ctx({ etcd: { initialClusterState: 'existing', members: ctx().etcd.members } });
    expect(changed(componentsFor(config, node(config, '10.0.0.1'), joined))).toEqual(['etcd']);
  });

  test('certificatesRead finds certificates, keys and kubeconfigs by path', () => {
    expect(
      certificatesRead({
        args: ['--a=/etc/kubernetes/ssl/kube-ca.pem', '--b=/r/etc/kubernetes/ssl/kubecfg-kube-node.yaml'],
        files: [{ path: '/x', content: 'key: /etc/kubernetes/ssl/kube-service-account-token-key.pem', mode: 0o644 }],
      }),
    ).toEqual(['kube-ca', 'kube-node', 'kube-service-account-token', 'kubecfg-kube-node']);
  });

  test('kubelet labels: kubernetes.io names only where NodeRestriction lets the kubelet set them', () => {
    expect(
      kubeletSettableLabels({
        app: 'x',
        'example.com/team': 'a',
        'node-role.kubernetes.io/worker': 'true',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/pool': 'b',
        'k8s.io/other': 'c',
        'foo.k8s.io/bar': 'd',
      }),
    ).toEqual({ app: 'x', 'example.com/team': 'a', 'kubernetes.io/arch': 'amd64', 'node.kubernetes.io/pool': 'b' });
  });
});

test('etcdctlCommand runs etcdctl against the local member with the node certificate', () => {
  const config = load();
  const cmd = etcdctlCommand('/opt/rke/bin', node(config, '10.0.0.2'), ['member', 'list', '-w', 'json']);
  expect(cmd).toBe(
    "env ETCDCTL_ENDPOINTS='https://127.0.0.1:2379' ETCDCTL_CACERT='/etc/kubernetes/ssl/kube-ca.pem' " +
      "ETCDCTL_CERT='/etc/kubernetes/ssl/kube-etcd-10-0-0-2.pem' ETCDCTL_KEY='/etc/kubernetes/ssl/kube-etcd-10-0-0-2-key.pem' " +
      "'/opt/rke/bin/etcdctl' 'member' 'list' '-w' 'json'",
  );
});

test('healthCommand checks with curl and the certificates the check names', () => {
  const config = load();
  const api = spec(config, '10.0.0.1', 'kube-apiserver');
  expect(healthCommand(api.health)).toBe(
    "'curl' '-sf' '--max-time' '5' '--cacert' '/etc/kubernetes/ssl/kube-ca.pem' " +
      "'--cert' '/etc/kubernetes/ssl/kube-node.pem' '--key' '/etc/kubernetes/ssl/kube-node-key.pem' " +
      "'https://127.0.0.1:6443/readyz'",
  );
  expect(healthCommand(spec(config, '10.0.0.1', 'kube-scheduler').health)).toBe(
    "'curl' '-sf' '--max-time' '5' '-k' 'https://127.0.0.1:10259/healthz'",
  );
  expect(healthCommand(spec(config, '10.0.0.1', 'kubelet').health)).toBe(
    "'curl' '-sf' '--max-time' '5' 'http://127.0.0.1:10248/healthz'",
  );
});
