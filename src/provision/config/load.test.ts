import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCA } from '../../pki/index.js';
import { ConfigError, loadClusterConfig, readClusterConfig, type LoadResult } from './load.js';
import type { ClusterConfig, ConfigIssue } from './types.js';

let dir: string;
let bin: string;
const savedBinDir = process.env.CORRAL_K8S_BIN_DIR;
const HOME = '/home/tester';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-config-'));
  // A binaries folder of its own, so the supported versions do not depend on what is built here.
  bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'versions.json'), JSON.stringify({ kubernetes: 'v1.36.5', etcd: 'v3.6.8' }));
  process.env.CORRAL_K8S_BIN_DIR = bin;
  await writeFile(join(dir, 'cni.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: cni}\n');
});
afterAll(async () => {
  if (savedBinDir === undefined) delete process.env.CORRAL_K8S_BIN_DIR;
  else process.env.CORRAL_K8S_BIN_DIR = savedBinDir;
  await rm(dir, { recursive: true, force: true });
});

const load = (text: string): LoadResult =>
  loadClusterConfig(text, { fileName: 'cluster.yml', baseDir: dir, home: HOME });

/** The problems loading reports (the test fails if loading succeeds). */
function problems(text: string): ConfigIssue[] {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the file to be refused');
}

/** The one problem at `path`, checked to be on the line holding `lineText` (column of `columnText` if given). */
function problemAt(text: string, path: string, lineText: string, columnText?: string): ConfigIssue {
  const found = problems(text).filter((p) => p.path === path);
  expect(found, `problems at ${path}: ${JSON.stringify(problems(text))}`).toHaveLength(1);
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(lineText)) + 1;
  expect(line, `"${lineText}" is in the text`).toBeGreaterThan(0);
  expect(found[0]!.line).toBe(line);
  if (columnText) expect(found[0]!.column).toBe(lines[line - 1]!.indexOf(columnText) + 1);
  return found[0]!;
}

/** A valid one-node cluster; `extra` is appended at the top level. */
const ONE_NODE = `nodes:
  - address: 10.0.0.1
    user: ubuntu
    role: [controlplane, etcd, worker]
`;
const withTop = (extra: string) => ONE_NODE + extra;

describe('defaults', () => {
  test("a minimal file gets RKE's defaults", () => {
    const { config, warnings } = load(ONE_NODE);
    expect(warnings).toEqual([]);
    const expected: ClusterConfig = {
      cluster_name: 'local',
      nodes: [
        {
          address: '10.0.0.1',
          port: 22,
          internal_address: '10.0.0.1',
          role: ['controlplane', 'etcd', 'worker'],
          hostname_override: '10.0.0.1',
          user: 'ubuntu',
          ssh_key_path: `${HOME}/.ssh/id_rsa`,
          ssh_key: '',
          labels: {},
          taints: [],
        },
      ],
      ssh_key_path: `${HOME}/.ssh/id_rsa`,
      ssh_agent_auth: false,
      kubernetes_version: 'v1.36.5',
      services: {
        etcd: {
          extra_args: { 'election-timeout': '5000', 'heartbeat-interval': '500' },
          backup_config: { enabled: true, interval_hours: 12, retention: 6, s3backupconfig: null },
        },
        'kube-api': {
          service_cluster_ip_range: '10.43.0.0/16',
          service_node_port_range: '30000-32767',
          extra_args: {},
        },
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
        binaries: { source: 'upload', local_dir: bin, path: '/opt/rke/bin' },
        supervisor: 'auto',
        container_runtime: 'containerd',
      },
    };
    expect(config).toEqual(expected);
  });

  test('node keys default from the cluster: ssh_key_path, internal_address, hostname_override (lower-cased)', () => {
    const { config } = load(`ssh_key_path: ~/.ssh/cluster_key
nodes:
  - address: Node-1.Example.com
    port: "2222"
    user: root
    role: [controlplane, etcd, worker]
  - address: 10.0.0.2
    internal_address: 192.168.0.2
    hostname_override: worker-2
    ssh_key_path: keys/worker
    user: root
    role: [worker]
`);
    expect(config.ssh_key_path).toBe(`${HOME}/.ssh/cluster_key`);
    expect(config.nodes[0]).toMatchObject({
      port: 2222,
      hostname_override: 'node-1.example.com',
      internal_address: 'Node-1.Example.com',
      ssh_key_path: `${HOME}/.ssh/cluster_key`,
    });
    expect(config.nodes[1]).toMatchObject({
      internal_address: '192.168.0.2',
      hostname_override: 'worker-2',
      ssh_key_path: join(dir, 'keys/worker'),
    });
  });

  test('kube-controller.service_cluster_ip_range and the DNS address follow kube-api; numbers in extra_args become text', () => {
    const { config } = load(
      withTop(`services:
  kube-api:
    service_cluster_ip_range: 10.96.0.0/12
    extra_args: {v: 2, anonymous-auth: false}
  etcd:
    extra_args: {election-timeout: "10000"}
`),
    );
    expect(config.services['kube-controller'].service_cluster_ip_range).toBe('10.96.0.0/12');
    expect(config.services.kubelet.cluster_dns_server).toBe('10.96.0.10');
    expect(config.services['kube-api'].extra_args).toEqual({ v: '2', 'anonymous-auth': 'false' });
    expect(config.services.etcd.extra_args).toEqual({ 'election-timeout': '10000', 'heartbeat-interval': '500' });
  });
});

describe('the whole file is checked and every problem located', () => {
  test('a YAML syntax error names its line', () => {
    const text = 'nodes:\n  - address: 10.0.0.1\n    user: [ubuntu\n';
    const [p] = problems(text);
    expect(p!.message).toMatch(/^YAML syntax:/);
    expect(p!.line).toBeGreaterThanOrEqual(3);
  });

  test('a key given twice is a syntax error on its line', () => {
    problems(withTop('cluster_name: a\ncluster_name: b\n')).forEach((p) => expect(p.message).toMatch(/unique/));
    const [p] = problems(withTop('cluster_name: a\ncluster_name: b\n'));
    expect(p!.line).toBe(6);
  });

  test('several problems are reported together, in file order, in the message as file:line:col: path: message', () => {
    const text = `nodes:
  - address: 10.0.0.1
    user: ubuntu
    role: [controlplane, etcd, worker]
    port: abc
  - address: 10.0.0.2
    role: [wroker]
clustr_name: x
`;
    let err: ConfigError | undefined;
    try {
      load(text);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues.map((i) => i.path)).toEqual([
      'nodes[0].port',
      'nodes[1].user',
      'nodes[1].role[0]',
      'clustr_name',
    ]);
    expect(err!.message).toContain('cluster.yml:5:11: nodes[0].port: must be a whole number, not "abc"');
    expect(err!.message).toContain('cluster.yml:7:12: nodes[1].role[0]: unknown role "wroker": did you mean "worker"?');
    expect(err!.message).toContain('cluster.yml:8:1: clustr_name: unknown key: did you mean "cluster_name"?');
    expect(err!.message.split('\n')[0]).toBe('cluster.yml has 4 problems:');
  });

  test('unknown keys are refused at every level, with a suggestion for near misses', () => {
    const text = `nodes:
  - address: 10.0.0.1
    user: ubuntu
    role: [controlplane, etcd, worker]
    hostnme_override: n1
services:
  kube-api:
    service_cluster_ip_rnage: 10.43.0.0/16
  kublet: {}
corral:
  binaries: {sourc: host}
whatever: 1
`;
    expect(problemAt(text, 'nodes[0].hostnme_override', 'hostnme_override', 'hostnme').message).toBe(
      'unknown key: did you mean "hostname_override"?',
    );
    expect(problemAt(text, 'services.kube-api.service_cluster_ip_rnage', 'rnage').message).toContain(
      'did you mean "service_cluster_ip_range"?',
    );
    expect(problemAt(text, 'services.kublet', 'kublet').message).toContain('did you mean "kubelet"?');
    expect(problemAt(text, 'corral.binaries.sourc', 'sourc').message).toContain('did you mean "source"?');
    expect(problemAt(text, 'whatever', 'whatever').message).toMatch(
      /unknown key at the top level; known keys: cluster_name, nodes/,
    );
  });
});

describe('nodes', () => {
  test('an empty file or no nodes: nodes are required', () => {
    expect(problems('')[0]).toMatchObject({ path: 'nodes', line: 1, message: expect.stringMatching(/^required/) });
    expect(problemAt('cluster_name: x\nnodes: []\n', 'nodes', 'nodes:').message).toMatch(/at least one node/);
  });

  test('address and user are required (RKE has no default user)', () => {
    const text = `nodes:
  - role: [controlplane, etcd, worker]
    port: 22
`;
    expect(problemAt(text, 'nodes[0].address', '- role').message).toMatch(/^required: the IP address or DNS name/);
    expect(problemAt(text, 'nodes[0].user', '- role').message).toMatch(/^required: the SSH user/);
  });

  test('port: a numeric string is accepted; words and out-of-range numbers are not', () => {
    expect(load(ONE_NODE + '    port: "2200"\n').config.nodes[0]!.port).toBe(2200);
    expect(problemAt(ONE_NODE + '    port: abc\n', 'nodes[0].port', 'port:', 'abc').message).toBe(
      'must be a whole number, not "abc"',
    );
    expect(problemAt(ONE_NODE + '    port: 70000\n', 'nodes[0].port', 'port:').message).toBe(
      'must be from 1 to 65535, not 70000',
    );
  });

  test('role must be a non-empty list of etcd, controlplane, worker', () => {
    const asString = 'nodes:\n  - address: 10.0.0.1\n    user: u\n    role: controlplane\n';
    expect(problemAt(asString, 'nodes[0].role', 'role:', 'controlplane').message).toBe(
      'must be a list, not "controlplane"; write for example role: [controlplane, etcd, worker]',
    );
    const empty = 'nodes:\n  - address: 10.0.0.1\n    user: u\n    role: []\n';
    expect(problemAt(empty, 'nodes[0].role', 'role:').message).toMatch(/^must not be empty/);
    const missing = 'nodes:\n  - address: 10.0.0.1\n    user: u\n';
    expect(problemAt(missing, 'nodes[0].role', 'address').message).toMatch(/^required: the node's roles/);
    const unknown = 'nodes:\n  - address: 10.0.0.1\n    user: u\n    role: [etcd, master]\n';
    expect(problemAt(unknown, 'nodes[0].role[1]', 'role:', 'master').message).toBe(
      'unknown role "master": roles are etcd, controlplane and worker',
    );
  });

  test('the cluster needs an etcd, a controlplane and a worker node', () => {
    const text = 'nodes:\n  - address: 10.0.0.1\n    user: u\n    role: [worker]\n';
    const found = problems(text);
    expect(found.map((p) => [p.path, p.line, p.message.split(':')[0]])).toEqual([
      ['nodes', 1, 'no node has the etcd role'],
      ['nodes', 1, 'no node has the controlplane role'],
    ]);
  });

  test('an even number of etcd nodes is a warning', () => {
    const text = `nodes:
  - {address: 10.0.0.1, user: u, role: [controlplane, etcd, worker]}
  - {address: 10.0.0.2, user: u, role: [etcd]}
`;
    const { warnings } = load(text);
    expect(warnings).toEqual([
      expect.objectContaining({
        path: 'nodes',
        line: 1,
        message: expect.stringMatching(/^2 etcd nodes: .*odd number/),
      }),
    ]);
  });

  test('duplicate nodes: the same address and port, or the same node name', () => {
    const sameAddress = `nodes:
  - {address: 10.0.0.1, user: u, role: [controlplane, etcd, worker]}
  - {address: 10.0.0.1, user: u, role: [worker]}
`;
    expect(problemAt(sameAddress, 'nodes[1].address', '10.0.0.1, user: u, role: [worker]', '10.0.0.1').message).toBe(
      'duplicate node: 10.0.0.1 port 22 is already nodes[0]',
    );
    const otherPort = sameAddress.replace('[worker]}', '[worker], port: 2222, hostname_override: second}');
    expect(load(otherPort).config.nodes).toHaveLength(2);
    const sameName = `nodes:
  - {address: 10.0.0.1, user: u, role: [controlplane, etcd, worker], hostname_override: n1}
  - {address: 10.0.0.2, user: u, role: [worker], hostname_override: N1}
`;
    expect(problemAt(sameName, 'nodes[1].hostname_override', 'N1', 'N1').message).toBe(
      'duplicate node name "n1" (also nodes[0]): give each node its own hostname_override',
    );
  });

  test('address, internal_address and sans are IP addresses or DNS names', () => {
    const text = `nodes:
  - address: root@10.0.0.1
    internal_address: 10.0.0.1 10.0.0.2
    user: u
    role: [controlplane, etcd, worker]
authentication:
  sans: [api.example.com, "*.apps.example.com", fd00::1, "not a name"]
`;
    expect(problems(text).map((p) => [p.path, p.line, p.message])).toEqual([
      ['nodes[0].address', 2, '"root@10.0.0.1" is not an IP address or DNS name'],
      ['nodes[0].internal_address', 3, '"10.0.0.1 10.0.0.2" is not an IP address or DNS name'],
      ['authentication.sans[3]', 7, '"not a name" is not an IP address or DNS name'],
    ]);
  });

  test('booleans: true/false, and YAML 1.1 yes/no as RKE reads them', () => {
    expect(load(withTop('ssh_agent_auth: yes\n')).config.ssh_agent_auth).toBe(true);
    expect(load(withTop('ssh_agent_auth: "false"\n')).config.ssh_agent_auth).toBe(false);
    expect(problemAt(withTop('ssh_agent_auth: sometimes\n'), 'ssh_agent_auth', 'sometimes', 'sometimes').message).toBe(
      'must be true or false, not "sometimes"',
    );
  });

  test('hostname_override must be a DNS name', () => {
    const v6 = 'nodes:\n  - {address: "fd00::11", user: u, role: [controlplane, etcd, worker]}\n';
    expect(problemAt(v6, 'nodes[0].address', 'fd00').message).toMatch(
      /an IPv6 address is not a valid name: set hostname_override$/,
    );
    expect(load(v6.replace('}', ', hostname_override: n1}')).config.nodes[0]!.hostname_override).toBe('n1');
    const text = ONE_NODE + '    hostname_override: my_node\n';
    expect(problemAt(text, 'nodes[0].hostname_override', 'my_node', 'my_node').message).toMatch(
      /is not a valid node name/,
    );
  });

  test('labels and taints are checked', () => {
    const text =
      ONE_NODE +
      `    labels: {disk: ssd, "bad key!": x}
    taints:
      - {key: dedicated, value: db, effect: NoSchedule}
      - {key: x, effect: Sometimes}
`;
    const found = problems(text);
    expect(found.map((p) => p.path)).toEqual(['nodes[0].labels.bad key!', 'nodes[0].taints[1].effect']);
    expect(found[1]!.message).toBe(
      '"Sometimes" is not a taint effect: use one of NoSchedule, PreferNoSchedule, NoExecute',
    );
    const ok = load(ONE_NODE + '    labels: {disk: ssd}\n    taints: [{key: a, value: b, effect: NoExecute}]\n');
    expect(ok.config.nodes[0]).toMatchObject({
      labels: { disk: 'ssd' },
      taints: [{ key: 'a', value: 'b', effect: 'NoExecute' }],
    });
  });
});

describe('services', () => {
  const svc = (yaml: string) => withTop(`services:\n${yaml}`);

  test('CIDRs must be valid', () => {
    const text = svc('  kube-api:\n    service_cluster_ip_range: 10.43.0.0/33\n');
    expect(problemAt(text, 'services.kube-api.service_cluster_ip_range', '10.43.0.0/33', '10.43').message).toMatch(
      /is not a CIDR/,
    );
    expect(
      problemAt(svc('  kube-controller:\n    cluster_cidr: pods\n'), 'services.kube-controller.cluster_cidr', 'pods')
        .message,
    ).toMatch(/is not a CIDR/);
  });

  test('kube-controller.service_cluster_ip_range must equal kube-api’s', () => {
    const text = svc('  kube-controller:\n    service_cluster_ip_range: 10.44.0.0/16\n');
    expect(problemAt(text, 'services.kube-controller.service_cluster_ip_range', '10.44.0.0/16').message).toMatch(
      /^must equal services.kube-api.service_cluster_ip_range \(10.43.0.0\/16\)/,
    );
    expect(load(svc('  kube-controller:\n    service_cluster_ip_range: 10.43.0.0/16\n')).config).toBeTruthy();
  });

  test('pods and services must not overlap', () => {
    const text = svc('  kube-controller:\n    cluster_cidr: 10.43.128.0/17\n');
    expect(problemAt(text, 'services.kube-controller.cluster_cidr', '10.43.128.0/17').message).toMatch(/overlaps/);
  });

  test('cluster_dns_server must be an address inside the service range, not a reserved one', () => {
    const outside = svc('  kubelet:\n    cluster_dns_server: 10.42.0.10\n');
    expect(problemAt(outside, 'services.kubelet.cluster_dns_server', '10.42.0.10').message).toBe(
      '10.42.0.10 is outside the service range 10.43.0.0/16: the DNS service needs an address in it',
    );
    const reserved = svc('  kubelet:\n    cluster_dns_server: 10.43.0.1\n');
    expect(problemAt(reserved, 'services.kubelet.cluster_dns_server', '10.43.0.1').message).toMatch(/is reserved/);
    const notIp = svc('  kubelet:\n    cluster_dns_server: dns\n');
    expect(problemAt(notIp, 'services.kubelet.cluster_dns_server', 'dns').message).toMatch(/is not an IP address/);
  });

  test('the node port range is first-last', () => {
    for (const bad of ['30000', '32767-30000', '1-70000']) {
      const text = svc(`  kube-api:\n    service_node_port_range: "${bad}"\n`);
      expect(problemAt(text, 'services.kube-api.service_node_port_range', 'service_node_port_range').message).toMatch(
        /is not a port range/,
      );
    }
    expect(
      load(svc('  kube-api:\n    service_node_port_range: 20000-22767\n')).config.services['kube-api']
        .service_node_port_range,
    ).toBe('20000-22767');
  });

  test('extra_args flags are written without dashes', () => {
    const text = svc('  kubelet:\n    extra_args:\n      --v: "2"\n');
    expect(problemAt(text, 'services.kubelet.extra_args.--v', '--v', '--v').message).toBe(
      'write the flag name without leading dashes: "v"',
    );
  });

  test('etcd backup_config: interval and retention at least 1, S3 needs endpoint and bucket, custom_ca a PEM', async () => {
    const text = svc(`  etcd:
    backup_config:
      interval_hours: 0
      retention: -1
      s3backupconfig:
        access_key: a
        custom_ca: not a certificate
`);
    const found = problems(text);
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ['services.etcd.backup_config.interval_hours', 'must be at least 1, not 0'],
      ['services.etcd.backup_config.retention', 'must be at least 1, not -1'],
      ['services.etcd.backup_config.s3backupconfig.endpoint', expect.stringMatching(/^required with s3backupconfig/)],
      [
        'services.etcd.backup_config.s3backupconfig.bucket_name',
        expect.stringMatching(/^required with s3backupconfig/),
      ],
      ['services.etcd.backup_config.s3backupconfig.custom_ca', expect.stringMatching(/is not a PEM certificate/)],
    ]);
    expect(found[0]!.line).toBe(8);
    const ca = await createCA({ commonName: 'minio-ca' });
    const pem = ca.certPem.trim().split('\n').join('\n          ');
    const { config } = load(
      svc(`  etcd:
    backup_config:
      interval_hours: 6
      s3backupconfig:
        endpoint: minio.example.com:9000
        bucket_name: snaps
        folder: prod
        custom_ca: |
          ${pem}
`),
    );
    expect(config.services.etcd.backup_config).toMatchObject({
      enabled: true,
      interval_hours: 6,
      retention: 6,
      s3backupconfig: { endpoint: 'minio.example.com:9000', bucket_name: 'snaps', folder: 'prod', access_key: '' },
    });
  });

  test('external etcd and repeated flags are refused, not dropped', () => {
    const text = svc('  etcd:\n    external_urls: [https://etcd:2379]\n  kubelet:\n    extra_args_array: {v: ["1"]}\n');
    expect(problemAt(text, 'services.etcd.external_urls', 'external_urls').message).toMatch(
      /^not supported: external etcd/,
    );
    expect(problemAt(text, 'services.kubelet.extra_args_array', 'extra_args_array').message).toMatch(/^not supported/);
  });
});

describe('cluster settings', () => {
  test('kubernetes_version: RKE suffixes are dropped; unsupported versions list the supported ones', () => {
    expect(load(withTop('kubernetes_version: v1.36.5-rancher1-1\n')).config.kubernetes_version).toBe('v1.36.5');
    expect(load(withTop('kubernetes_version: 1.36.5\n')).config.kubernetes_version).toBe('v1.36.5');
    expect(
      problemAt(withTop('kubernetes_version: v1.30.2-rancher1-1\n'), 'kubernetes_version', 'kubernetes_version', 'v1')
        .message,
    ).toBe(`v1.30.2-rancher1-1 is not supported (supported: v1.36.5; the binaries in ${bin})`);
    expect(problemAt(withTop('kubernetes_version: latest\n'), 'kubernetes_version', 'latest').message).toMatch(
      /is not a Kubernetes version: write it like v1.36.5/,
    );
  });

  test('the supported versions come from the binaries folder in corral.binaries.local_dir', async () => {
    const other = join(dir, 'other-bin');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'versions.json'), JSON.stringify({ kubernetes: ['v1.35.1', 'v1.36.0'] }));
    const { config } = load(withTop('corral:\n  binaries:\n    local_dir: other-bin\n'));
    expect(config.kubernetes_version).toBe('v1.36.0');
    expect(config.corral.binaries.local_dir).toBe(other);
    const empty = withTop('corral:\n  binaries:\n    local_dir: /nonexistent\n');
    expect(problems(empty)[0]!.message).toMatch(/^no Kubernetes binaries in \/nonexistent/);
  });

  test('binaries already on the nodes: any well-formed version', () => {
    const { config } = load(
      withTop(
        'kubernetes_version: v1.34.2\ncorral:\n  binaries: {source: host, path: /usr/local/bin}\n  supervisor: systemd\n',
      ),
    );
    expect(config.kubernetes_version).toBe('v1.34.2');
    expect(config.corral).toMatchObject({
      binaries: { source: 'host', path: '/usr/local/bin' },
      supervisor: 'systemd',
    });
    expect(problemAt(withTop('corral:\n  supervisor: runit\n'), 'corral.supervisor', 'runit').message).toBe(
      '"runit" is not one of auto, systemd, corral',
    );
    expect(problemAt(withTop('corral:\n  binaries: {path: bin}\n'), 'corral.binaries.path', 'path').message).toMatch(
      /must be an absolute path/,
    );
  });

  test('authentication is x509 only; authorization rbac or none', () => {
    expect(
      problemAt(withTop('authentication:\n  strategy: x509|webhook\n'), 'authentication.strategy', 'strategy').message,
    ).toBe('"x509|webhook" is not supported: the only authentication strategy is x509');
    expect(problemAt(withTop('authorization:\n  mode: abac\n'), 'authorization.mode', 'abac').message).toBe(
      '"abac" is not an authorization mode: use rbac or none',
    );
    const { config } = load(
      withTop('authorization: {mode: none}\nauthentication: {sans: [api.example.com, 10.0.0.100]}\n'),
    );
    expect(config.authorization.mode).toBe('none');
    expect(config.authentication.sans).toEqual(['api.example.com', '10.0.0.100']);
  });

  test('network plugins RKE deploys are refused with what to do instead', () => {
    const found = problemAt(withTop('network:\n  plugin: calico\n'), 'network.plugin', 'calico', 'calico');
    expect(found.message).toBe(
      '"calico" is not available: Corral deploys flannel. Use `plugin: flannel`, or `plugin: none` and install calico through addons_include (its manifest file or https URL) or addons',
    );
    expect(problemAt(withTop('network:\n  plugin: cilium\n'), 'network.plugin', 'cilium').message).toMatch(
      /^unknown network plugin/,
    );
    expect(load(withTop('network:\n  plugin: none\n')).config.network.plugin).toBe('none');
  });

  test('addons_include: files must exist (relative to cluster.yml), URLs must be https', () => {
    const text = withTop(
      'addons_include:\n  - cni.yaml\n  - https://example.com/app.yaml\n  - missing.yaml\n  - http://example.com/x.yaml\n',
    );
    expect(problemAt(text, 'addons_include[2]', 'missing.yaml', 'missing').message).toBe(
      `file not found: ${join(dir, 'missing.yaml')} (paths are relative to the folder of cluster.yml)`,
    );
    expect(problemAt(text, 'addons_include[3]', 'http://').message).toMatch(/only https URLs are allowed/);
    const ok = load(withTop('addons_include:\n  - cni.yaml\n  - https://example.com/app.yaml\n'));
    expect(ok.config.addons_include).toEqual([join(dir, 'cni.yaml'), 'https://example.com/app.yaml']);
  });

  test('addons must be YAML', () => {
    const text = withTop('addons: |-\n  kind: [ConfigMap\n');
    expect(problemAt(text, 'addons', 'addons:').message).toMatch(/^is not valid YAML/);
    const ok = load(withTop('addons: |-\n  ---\n  apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n'));
    expect(ok.config.addons).toContain('kind: Namespace');
  });

  test('upgrade_strategy: a count or a percentage', () => {
    const text = withTop(
      'upgrade_strategy:\n  max_unavailable_worker: 0\n  max_unavailable_controlplane: 150%\n  drain: true\n',
    );
    expect(problems(text).map((p) => p.path)).toEqual([
      'upgrade_strategy.max_unavailable_worker',
      'upgrade_strategy.max_unavailable_controlplane',
    ]);
    const ok = load(
      withTop('upgrade_strategy:\n  max_unavailable_worker: 2\n  drain: true\n  node_drain_input: {timeout: 60}\n'),
    );
    expect(ok.config.upgrade_strategy).toMatchObject({
      max_unavailable_worker: '2',
      max_unavailable_controlplane: '1',
      drain: true,
      node_drain_input: { timeout: 60, ignore_daemonsets: true, grace_period: -1 },
    });
  });
});

test('a realistic RKE cluster.yml, with Docker-only keys, loads with a warning for each ignored key', () => {
  const text = `# written by rke config
nodes:
- address: 172.16.0.11
  port: "22"
  internal_address: 10.10.0.11
  role:
  - controlplane
  - etcd
  hostname_override: cp-1
  user: rancher
  docker_socket: /var/run/docker.sock
  ssh_key: ""
  ssh_key_path: ~/.ssh/id_rsa
  ssh_cert: ""
  ssh_cert_path: ""
  labels: {}
  taints: []
- address: 172.16.0.21
  port: "22"
  role: [worker]
  user: rancher
  docker_socket: /var/run/docker.sock
  labels:
    app: ingress
services:
  etcd:
    image: ""
    extra_args: {}
    extra_binds: []
    extra_env: []
    win_extra_args: {}
    external_urls: []
    ca_cert: ""
    cert: ""
    key: ""
    path: ""
    uid: 0
    gid: 0
    snapshot: null
    retention: ""
    creation: ""
    backup_config:
      interval_hours: 12
      retention: 6
  kube-api:
    image: ""
    extra_args:
      audit-log-maxage: "30"
    service_cluster_ip_range: 10.43.0.0/16
    service_node_port_range: ""
    pod_security_policy: false
    always_pull_images: false
    secrets_encryption_config: null
    audit_log: null
    admission_configuration: null
    event_rate_limit: null
  kube-controller:
    image: ""
    extra_args: {}
    cluster_cidr: 10.42.0.0/16
    service_cluster_ip_range: 10.43.0.0/16
  scheduler:
    image: ""
  kubelet:
    image: ""
    extra_binds:
    - /var/lib/kubelet/plugins:/var/lib/kubelet/plugins
    cluster_domain: cluster.local
    infra_container_image: ""
    cluster_dns_server: 10.43.0.10
    fail_swap_on: false
    generate_serving_certificate: false
  kubeproxy:
    image: ""
network:
  plugin: none
  options: {}
  mtu: 0
  node_selector: {}
  update_strategy: null
  tolerations: []
authentication:
  strategy: x509
  sans: []
  webhook: null
addons: ""
addons_include: []
system_images:
  etcd: rancher/mirrored-coreos-etcd:v3.5.9
  kubernetes: rancher/hyperkube:v1.27.6-rancher1
ssh_key_path: ~/.ssh/id_rsa
ssh_cert_path: ""
ssh_agent_auth: false
authorization:
  mode: rbac
  options: {}
ignore_docker_version: null
enable_cri_dockerd: true
kubernetes_version: "v1.36.5-rancher1-1"
private_registries: []
ingress:
  provider: nginx
  options: {}
cluster_name: "prod"
cloud_provider:
  name: ""
prefix_path: ""
addon_job_timeout: 0
bastion_host:
  address: ""
monitoring:
  provider: ""
  options: {}
restore:
  restore: false
  snapshot_name: ""
rotate_encryption_key: false
dns:
  provider: coredns
upgrade_strategy:
  max_unavailable_worker: 10%
  max_unavailable_controlplane: "1"
`;
  const { config, warnings } = load(text);
  expect(config.cluster_name).toBe('prod');
  expect(config.kubernetes_version).toBe('v1.36.5');
  expect(config.nodes.map((n) => [n.hostname_override, n.internal_address, n.role])).toEqual([
    ['cp-1', '10.10.0.11', ['controlplane', 'etcd']],
    ['172.16.0.21', '172.16.0.21', ['worker']],
  ]);
  expect(config.services['kube-api'].service_node_port_range).toBe('30000-32767');
  // Only keys that would have done something get a warning; empty ones are silent.
  expect(warnings.map((w) => w.path)).toEqual([
    'nodes[0].docker_socket',
    'nodes[1].docker_socket',
    'services.kubelet.extra_binds',
    'system_images.etcd',
    'system_images.kubernetes',
    'enable_cri_dockerd',
    'ingress',
  ]);
  for (const w of warnings) expect(w.message).toMatch(/^ignored: Corral /);
  expect(warnings.find((w) => w.path === 'ingress')!.message).toBe(
    'ignored: Corral deploys no ingress controller; install one through addons or addons_include',
  );
  expect(warnings[0]!.line).toBe(text.split('\n').findIndex((l) => l.includes('docker_socket')) + 1);
});

test('readClusterConfig reads the file; a missing file says how to create one', async () => {
  const file = join(dir, 'read', 'cluster.yml');
  await mkdir(join(dir, 'read'), { recursive: true });
  await expect(readClusterConfig(file)).rejects.toThrow(
    `${file} not found: create it with \`corral config --name ${file}\``,
  );
  await writeFile(file, ONE_NODE + 'addons_include: [../cni.yaml]\n');
  const { config } = await readClusterConfig(file, { home: HOME });
  expect(config.addons_include).toEqual([join(dir, 'cni.yaml')]);
});
