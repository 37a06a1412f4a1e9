import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadClusterConfig } from './load.js';
import { renderClusterConfig } from './render.js';

let dir: string;
const savedBinDir = process.env.CORRAL_K8S_BIN_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-render-'));
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'versions.json'), JSON.stringify({ kubernetes: 'v1.36.5' }));
  await writeFile(join(dir, 'cni.yaml'), 'kind: List\n');
  process.env.CORRAL_K8S_BIN_DIR = join(dir, 'bin');
});
afterAll(async () => {
  if (savedBinDir === undefined) delete process.env.CORRAL_K8S_BIN_DIR;
  else process.env.CORRAL_K8S_BIN_DIR = savedBinDir;
  await rm(dir, { recursive: true, force: true });
});

const load = (text: string) => loadClusterConfig(text, { fileName: 'cluster.yml', baseDir: dir, home: '/home/t' });

test('answers with only the nodes render to a file that loads with the same defaults as a minimal file', () => {
  const nodes = [
    { address: '10.0.0.1', user: 'ubuntu', role: ['controlplane' as const, 'etcd' as const, 'worker' as const] },
  ];
  const text = renderClusterConfig({ nodes });
  const minimal = load('nodes:\n  - {address: 10.0.0.1, user: ubuntu, role: [controlplane, etcd, worker]}\n');
  const rendered = load(text);
  expect(rendered.warnings).toEqual([]);
  expect(rendered.config).toEqual(minimal.config);
});

test('a loaded configuration renders back to itself', () => {
  const source = `cluster_name: prod
ssh_key_path: ~/.ssh/cluster
ssh_agent_auth: true
nodes:
  - address: 10.0.0.1
    port: 2222
    user: root
    role: [controlplane, etcd]
    hostname_override: cp-1
    internal_address: 192.168.1.1
    labels: {tier: control}
  - address: 10.0.0.2
    user: root
    role: [worker]
    ssh_key_path: /keys/worker
    ssh_key: inline-key
    taints: [{key: dedicated, value: db, effect: NoSchedule}]
services:
  etcd:
    extra_args: {quota-backend-bytes: "8589934592"}
    backup_config:
      enabled: false
      interval_hours: 3
      retention: 20
      s3backupconfig: {endpoint: s3.example.com, bucket_name: b, access_key: a, secret_key: s, region: r, folder: f}
  kube-api:
    service_cluster_ip_range: 10.96.0.0/16
    service_node_port_range: 31000-32000
    extra_args: {v: "2"}
  kube-controller:
    cluster_cidr: 10.244.0.0/16
  kubelet:
    cluster_domain: corp.local
    cluster_dns_server: 10.96.0.53
    fail_swap_on: true
  scheduler: {extra_args: {v: "3"}}
  kubeproxy: {extra_args: {proxy-mode: ipvs}}
authentication: {sans: [api.example.com]}
authorization: {mode: none}
network: {options: {a: b}}
addons: |
  apiVersion: v1
  kind: Namespace
  metadata: {name: apps}
addons_include: [cni.yaml, https://example.com/x.yaml]
upgrade_strategy:
  max_unavailable_worker: 25%
  max_unavailable_controlplane: 2
  drain: true
  node_drain_input: {force: true, ignore_daemonsets: false, delete_local_data: true, grace_period: 30, timeout: 300}
corral:
  binaries: {source: host, path: /usr/local/bin}
  supervisor: corral
kubernetes_version: v1.35.0
`;
  const { config } = load(source);
  const again = load(renderClusterConfig(config));
  expect(again.config).toEqual(config);
  expect(again.warnings).toEqual([]);
});

test('the file documents itself: a comment above each top-level key, and every key written', () => {
  const text = renderClusterConfig({ nodes: [{ address: '10.0.0.1', user: 'u', role: ['worker'] }] });
  const lines = text.split('\n');
  const data = parse(text) as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    const at = lines.findIndex((l) => l.startsWith(`${key}:`));
    expect(lines[at - 1], `comment above ${key}`).toMatch(/^# /);
  }
  expect(Object.keys(data)).toEqual([
    'cluster_name',
    'nodes',
    'ssh_key_path',
    'ssh_agent_auth',
    'kubernetes_version',
    'services',
    'authentication',
    'authorization',
    'network',
    'dns',
    'monitoring',
    'system_images',
    'private_registries',
    'addons',
    'addons_include',
    'upgrade_strategy',
    'corral',
  ]);
  expect(text).toContain('    role: [worker]\n');
  expect(text).toContain(
    '  kube-api:\n    service_cluster_ip_range: 10.43.0.0/16\n    service_node_port_range: 30000-32767\n',
  );
});
