import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadClusterConfig } from './load.js';
import { renderClusterConfig } from './render.js';
import { runWizard } from './wizard.js';

let dir: string;
const savedBinDir = process.env.CORRAL_K8S_BIN_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-wizard-'));
  await writeFile(join(dir, 'versions.json'), JSON.stringify({ kubernetes: 'v1.36.5' }));
  await writeFile(join(dir, 'cni.yaml'), 'kind: List\n');
  process.env.CORRAL_K8S_BIN_DIR = dir;
});
afterAll(async () => {
  if (savedBinDir === undefined) delete process.env.CORRAL_K8S_BIN_DIR;
  else process.env.CORRAL_K8S_BIN_DIR = savedBinDir;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the wizard on scripted answers (null: input ended); records the questions and notes. */
async function script(answers: (string | null)[]) {
  const asked: string[] = [];
  const said: string[] = [];
  const queue = [...answers];
  const result = await runWizard(
    {
      ask: async (q) => {
        asked.push(q);
        if (!queue.length) throw new Error(`no scripted answer for: ${q}`);
        return queue.shift()!;
      },
      say: (m) => said.push(m),
    },
    { versions: ['v1.36.5'], baseDir: dir, home: dir },
  );
  expect(queue, 'every scripted answer was used').toEqual([]);
  return { result, asked, said };
}

const load = (text: string) => loadClusterConfig(text, { fileName: 'cluster.yml', baseDir: dir, home: dir });

test("one host with every default: RKE's questions in RKE's order", async () => {
  const { result, asked } = await script([
    '',
    '',
    '10.0.0.1',
    '',
    '',
    '',
    '',
    'y',
    'y',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  expect(asked).toEqual([
    '[+] Cluster Level SSH Private Key Path [~/.ssh/id_rsa]: ',
    '[+] Number of Hosts [1]: ',
    '[+] SSH Address of host (1) [none]: ',
    '[+] SSH Port of host (1) [22]: ',
    '[+] SSH Private Key Path of host (10.0.0.1) [none]: ',
    '[+] SSH User of host (10.0.0.1) [ubuntu]: ',
    '[+] Is host (10.0.0.1) a Control Plane host (y/n)? [y]: ',
    '[+] Is host (10.0.0.1) a Worker host (y/n)? [n]: ',
    '[+] Is host (10.0.0.1) an etcd host (y/n)? [n]: ',
    '[+] Override Hostname of host (10.0.0.1) [none]: ',
    '[+] Internal IP of host (10.0.0.1) [none]: ',
    '[+] Network Plugin Type (flannel, none) [flannel]: ',
    '[+] Authentication Strategy [x509]: ',
    '[+] Authorization Mode (rbac, none) [rbac]: ',
    '[+] Kubernetes version [v1.36.5]: ',
    '[+] Cluster domain [cluster.local]: ',
    '[+] Service Cluster IP Range [10.43.0.0/16]: ',
    '[+] Cluster Network CIDR [10.42.0.0/16]: ',
    '[+] Cluster DNS Service IP [10.43.0.10]: ',
    '[+] Add addon manifest URLs or YAML files [no]: ',
  ]);
  const { config } = load(renderClusterConfig(result));
  expect(config.nodes).toEqual([
    expect.objectContaining({
      address: '10.0.0.1',
      port: 22,
      user: 'ubuntu',
      role: ['controlplane', 'worker', 'etcd'],
    }),
  ]);
  expect(config.ssh_key_path).toBe(join(dir, '.ssh/id_rsa'));
});

test('a three-node cluster with custom answers loads as answered', async () => {
  const { result } = await script([
    '~/keys/cluster',
    '3',
    ...['10.0.0.1', '2222', '', 'root', 'y', 'n', 'y', 'CP-1', '192.168.0.1'],
    ...['10.0.0.2', '', '~/keys/w', 'admin', 'n', 'y', 'n', '', ''],
    ...['10.0.0.3', '', '', '', 'n', 'y', 'y', 'w-3', ''],
    'none',
    'x509',
    'none',
    'v1.36.5-rancher1-1',
    'corp.local',
    '10.96.0.0/16',
    '10.244.0.0/16',
    '',
    'y',
    'cni.yaml',
    'y',
    'https://example.com/app.yaml',
    'n',
  ]);
  const { config } = load(renderClusterConfig(result));
  expect(
    config.nodes.map((n) => [
      n.address,
      n.port,
      n.user,
      n.role,
      n.hostname_override,
      n.internal_address,
      n.ssh_key_path,
    ]),
  ).toEqual([
    ['10.0.0.1', 2222, 'root', ['controlplane', 'etcd'], 'cp-1', '192.168.0.1', join(dir, 'keys/cluster')],
    ['10.0.0.2', 22, 'admin', ['worker'], '10.0.0.2', '10.0.0.2', join(dir, 'keys/w')],
    ['10.0.0.3', 22, 'ubuntu', ['worker', 'etcd'], 'w-3', '10.0.0.3', join(dir, 'keys/cluster')],
  ]);
  expect(config.authorization.mode).toBe('none');
  expect(config.kubernetes_version).toBe('v1.36.5');
  expect(config.services.kubelet).toMatchObject({ cluster_domain: 'corp.local', cluster_dns_server: '10.96.0.10' });
  expect(config.services['kube-controller']).toMatchObject({
    cluster_cidr: '10.244.0.0/16',
    service_cluster_ip_range: '10.96.0.0/16',
  });
  expect(config.addons_include).toEqual([join(dir, 'cni.yaml'), 'https://example.com/app.yaml']);
});

test('wrong answers are refused with the reason and asked again', async () => {
  const { result, said, asked } = await script([
    '',
    'zero',
    '2',
    ...['', '10.0.0.1', 'abc', '', '', '', 'maybe', 'n', 'n', 'n', 'y', 'n', 'n', 'bad_name', '', 'not-an-ip', ''],
    ...['10.0.0.1', '22', '2200', '', '', 'y', 'n', 'n', 'y', 'y', 'y', '', 'node-2', ''],
    'canal',
    'none',
    'webhook',
    '',
    'admin',
    '',
    'v1.20.0',
    '',
    'Corp_Domain',
    '',
    '10.43.0.0/33',
    '',
    '10.43.0.0/20',
    '',
    '10.42.0.10',
    '10.43.0.1',
    '',
    'n',
  ]);
  expect(said).toEqual([
    expect.stringMatching(/^\[!\] ~\/.ssh\/id_rsa does not exist yet/),
    '[-] give a whole number of at least 1, not "zero"',
    '[-] the address is required: an IP address or DNS name',
    '[-] give a port from 1 to 65535, not "abc"',
    '[-] You have entered empty SSH key path, defaulting to cluster level SSH key: ~/.ssh/id_rsa',
    '[-] answer y or n, not "maybe"',
    '[-] a host needs at least one role: answer y to one of the three',
    '[-] "bad_name" is not a DNS name: use letters, digits, "-" and "."',
    '[-] "not-an-ip" is not an IP address',
    '[-] host (1) is already 10.0.0.1 port 22',
    '[-] You have entered empty SSH key path, defaulting to cluster level SSH key: ~/.ssh/id_rsa',
    '[-] no host has the etcd and worker role yet, and this is the last host: a cluster needs each role',
    '[-] host (1) already has the node name 10.0.0.1: give this host another one',
    '[-] Corral deploys flannel: answer flannel, or none and install canal through addons_include (next questions)',
    '[-] x509 is the only authentication strategy',
    '[-] answer rbac or none, not "admin"',
    '[-] "v1.20.0" is not supported; supported: v1.36.5',
    '[-] "Corp_Domain" is not a DNS domain',
    '[-] "10.43.0.0/33" is not a CIDR (address/prefix, like 10.43.0.0/16)',
    '[-] 10.43.0.0/20 overlaps the service range 10.43.0.0/16',
    '[-] 10.42.0.10 is outside the service range 10.43.0.0/16',
    '[-] 10.43.0.1 is reserved (network address or the kubernetes service)',
  ]);
  expect(asked.filter((q) => q.startsWith('[+] SSH Port of host (2)'))).toHaveLength(2);
  const { config } = load(renderClusterConfig(result));
  expect(config.nodes.map((n) => [n.hostname_override, n.port, n.role])).toEqual([
    ['10.0.0.1', 22, ['controlplane']],
    ['node-2', 2200, ['controlplane', 'worker', 'etcd']],
  ]);
});

test('when input ends, the remaining questions take their defaults; a question without one fails', async () => {
  const { result } = await script([
    '',
    '',
    '10.0.0.1',
    '',
    '',
    'root',
    'y',
    'y',
    'y',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
  ]);
  expect(load(renderClusterConfig(result)).config.nodes[0]).toMatchObject({
    user: 'root',
    role: ['controlplane', 'worker', 'etcd'],
  });
  await expect(script(['', '', null])).rejects.toThrow('input ended before "SSH Address of host (1)" was answered');
});
