import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect, onTestFinished } from 'vitest';
import { binaryPath } from '../../src/kube/binaries.js';
import { kubeconfigCaPem, writeTokenKubeconfig } from '../../src/kube/kubeconfig.js';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { CORRAL_BIN } from './cli.js';
import { kubectl, testDir } from './control-plane.js';
import { eventually } from './eventually.js';
import type { TestServer } from './server.js';
import { cluster, clusterRegistrationToken } from '../../src/schema/types/cluster.js';

const execFileP = promisify(execFile);

export interface ImportedCluster {
  clusterId: string;
  agent: ChildProcess;
  agentLog(): string;
  /** Runs the agent again (after kill), with the same credentials. */
  startAgent(): Promise<void>;
  killAgent(): Promise<void>;
}

export async function waitForState(
  server: TestServer,
  token: string,
  clusterId: string,
  state: string,
  timeoutMs = 60_000,
) {
  return eventually(
    async () => {
      const c: Record<string, any> = await server.client(token).get(cluster, clusterId);
      if (c.state !== state) throw new Error(`state ${c.state}: ${JSON.stringify(c.conditions)}`);
      return c;
    },
    `cluster ${clusterId} to be ${state}`,
    timeoutMs,
  );
}

/**
 * Imports a control plane as a user would: create the cluster, apply the printed insecure command
 * with the real kubectl, then run the agent as a process with the credentials the manifest put
 * in the cluster (the Secret, and a token of the agent's service account), as its pod would.
 */
export async function importWithAgent(
  server: TestServer,
  token: string,
  cp: ControlPlane,
  name: string,
): Promise<ImportedCluster> {
  const api = server.client(token);
  const clusterId = String((await api.create(cluster, { name })).id);
  const regs = await api.list(clusterRegistrationToken, { clusterId });
  const command = String(regs[0]?.insecureCommand);
  const kubectl = await binaryPath('kubectl');
  await execFileP('sh', ['-c', command], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, PATH: `${dirname(kubectl)}:${process.env.PATH}` },
  });
  const { env, kubeconfig: agentKubeconfig } = await agentCredentials(cp, name);
  let log = '';
  const imported: ImportedCluster = {
    clusterId,
    agent: undefined as unknown as ChildProcess,
    agentLog: () => log,
    async startAgent() {
      const child = spawn(process.execPath, [CORRAL_BIN, 'agent', '--kubeconfig', agentKubeconfig], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      imported.agent = child;
    },
    async killAgent() {
      const child = imported.agent;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
  await imported.startAgent();
  onTestFinished(() => imported.killAgent());
  await waitForState(server, token, clusterId, 'active');
  return imported;
}

/**
 * What the agent's pod would have, read from a cluster where the import manifest was applied: the
 * environment from its Secret, and a kubeconfig with a token of its service account.
 */
export async function agentCredentials(
  cp: ControlPlane,
  name: string,
): Promise<{ env: Record<string, string>; kubeconfig: string }> {
  const kubectl = await binaryPath('kubectl');
  const k = (...args: string[]) => execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...args]);
  const secret = JSON.parse(
    (await k('get', 'secret', 'corral-agent-credentials', '-n', 'corral-system', '-o', 'json')).stdout,
  );
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data as Record<string, string>))
    env[key] = Buffer.from(value, 'base64').toString();
  const token = (await k('create', 'token', 'corral-agent', '-n', 'corral-system', '--duration=2h')).stdout.trim();
  const kubeconfig = join(await testDir(`agent-${name}`), 'kubeconfig');
  await writeTokenKubeconfig(kubeconfig, {
    name,
    server: cp.server,
    caPem: await kubeconfigCaPem(cp.kubeconfigPath),
    token,
  });
  return { env, kubeconfig };
}

export async function registerDirect(
  server: TestServer,
  token: string,
  cp: ControlPlane,
  name: string,
): Promise<string> {
  const kubeConfig = await readFile(cp.kubeconfigPath, 'utf8');
  const id = String((await server.client(token).create(cluster, { name, importedConfig: { kubeConfig } })).id);
  await waitForState(server, token, id, 'active');
  return id;
}

/** A kubeconfig from the server's generateKubeconfig action, written to a file for kubectl. */
export async function generatedKubeconfig(server: TestServer, token: string, clusterId: string): Promise<string> {
  const r = await server.client(token).action<{ config: string }>(cluster, clusterId, 'generateKubeconfig');
  const path = join(await testDir('kubeconfig'), 'config');
  await writeFile(path, r.config, { mode: 0o600 });
  return path;
}

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl with a given kubeconfig; resolves with the exit code instead of throwing. */
export async function kubectlWith(kubeconfig: string, ...args: string[]): Promise<KubectlRun> {
  const bin = await binaryPath('kubectl');
  return new Promise((resolve) => {
    execFile(bin, [`--kubeconfig=${kubeconfig}`, ...args], { maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * A Role reading ConfigMaps in `default`, bound downstream to the Group `group` (a manifest, not
 * `create rolebinding --group`, which splits a DN at its commas; a Role of its own because the
 * built-in `view` gets its rules from kube-controller-manager's aggregation), and a ConfigMap
 * `shared` to read. Returns a function writing a token's kubeconfig through Corral's proxy.
 */
export async function bindGroupToReadConfigMaps(
  server: TestServer,
  cp: ControlPlane,
  clusterId: string,
  group: string,
): Promise<(name: string, token: string) => Promise<string>> {
  const dir = await testDir('kube');
  const rbac = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'read-configmaps', namespace: 'default' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'group-read', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
      },
    ],
  };
  await writeFile(join(dir, 'binding.json'), JSON.stringify(rbac));
  await kubectl(cp, 'apply', '-f', join(dir, 'binding.json'));
  await kubectl(cp, 'create', 'configmap', 'shared', '-n', 'default', '--from-literal=a=b');
  return async (name, token) => {
    const path = join(dir, name);
    await writeTokenKubeconfig(path, {
      name,
      server: `${server.url}/k8s/clusters/${clusterId}`,
      caPem: server.ca,
      token,
    });
    return path;
  };
}

/** After bindGroupToReadConfigMaps: the group's member reads `shared` through the proxy, the outsider is forbidden. */
export async function expectOnlyMemberReads(member: string, outsider: string): Promise<void> {
  const allowed = await kubectlWith(member, 'get', 'configmap', 'shared', '-n', 'default', '-o', 'name');
  expect(allowed.stderr).toBe('');
  expect(allowed.stdout.trim()).toBe('configmap/shared');
  const denied = await kubectlWith(outsider, 'get', 'configmap', 'shared', '-n', 'default');
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toMatch(/forbidden/i);
}
