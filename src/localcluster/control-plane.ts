import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { binaryPaths, binaryVersions, binDir, type BinaryName, type BinaryVersions } from '../kube/binaries.js';
import { pollUntil } from '../util/poll.js';
import { failedStartError } from './errors.js';
import { exitedCheck, startEtcd } from './etcd.js';
import { probe, type ProbeTls } from './https-probe.js';
import { createFakeNodes, KWOK_NODE_SELECTOR } from './kwok-nodes.js';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
import { ensureControlPlanePki, SERVICE_CIDR, type PkiPaths } from './pki.js';
import { freePort, isPortFree } from './ports.js';
import { startProcess, stopProcess, type ManagedProcess } from './processes.js';
import { readCertificate } from '../pki/index.js';

export interface ControlPlaneOptions {
  /** Folder for its data, certificates, kubeconfigs and logs; created if missing. */
  dir: string;
  /** Names the kubeconfig's cluster and context. */
  name?: string;
  /** Fake nodes simulated by kwok; 0 (the default) runs no kwok. */
  nodes?: number;
  /** Runs kube-scheduler; defaults to true when there are nodes to schedule onto. */
  scheduler?: boolean;
  /** Port for kube-apiserver on 127.0.0.1; a free one when not given. */
  apiServerPort?: number;
  /** Processes outlive this Node process (for `corral dev cluster up`). */
  detached?: boolean;
  timeoutMs?: number;
  /** Progress messages. */
  onProgress?: (message: string) => void;
  /**
   * kwok serves `kubectl logs` (a fixed log file) and `kubectl exec` (runs the command on this
   * host, in the cluster's folder) for pods on its nodes. Tests only: exec runs host commands.
   */
  podLogsAndExec?: boolean;
  /** Write kube-apiserver's audit log (every request at Metadata level) to `<dir>/logs/audit.log`. */
  auditLog?: boolean;
}

export interface ComponentInfo {
  name: string;
  pid: number;
  logFile: string;
}

export interface ControlPlane {
  name: string;
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  etcdEndpoint: string;
  /** With `auditLog`, where kube-apiserver writes it. */
  auditLogPath?: string;
  versions: BinaryVersions;
  components: ComponentInfo[];
  /** A client-node configuration for the admin user. */
  kubeConfig(): KubeConfig;
  /** Stops every component, controllers first and etcd last. Safe to call twice. */
  stop(): Promise<void>;
}

export class PortInUseError extends Error {}

const CONTROLLERS_TIMEOUT_MS = 60_000;

function kubeconfigPaths(dir: string) {
  return {
    admin: join(dir, 'kubeconfig'),
    controllerManager: join(dir, 'pki', 'controller-manager.conf'),
    scheduler: join(dir, 'pki', 'scheduler.conf'),
  };
}

/**
 * Starts one complete control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
 * optionally kube-scheduler and kwok with fake nodes. Resolves once kube-apiserver's /readyz and
 * the controller manager's /healthz answer ok; on failure stops everything it started and throws
 * with the components' last log lines.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const name = opts.name ?? 'corral-dev';
  const nodes = opts.nodes ?? 0;
  const withScheduler = opts.scheduler ?? nodes > 0;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const progress = opts.onProgress ?? (() => {});
  const wanted: BinaryName[] = ['etcd', 'kube-apiserver', 'kube-controller-manager'];
  if (withScheduler) wanted.push('kube-scheduler');
  if (nodes > 0) wanted.push('kwok');

  // Everything that can be checked is checked before the first process starts.
  const [bins, versions] = await Promise.all([binaryPaths(wanted), binaryVersions()]);
  if (opts.apiServerPort !== undefined && !(await isPortFree(opts.apiServerPort))) {
    throw new PortInUseError(
      `port ${opts.apiServerPort} on 127.0.0.1 is already in use: choose another port or stop what listens there`,
    );
  }
  await mkdir(join(opts.dir, 'logs'), { recursive: true, mode: 0o700 });

  progress('generating certificates');
  const pki = await ensureControlPlanePki(opts.dir);
  const p = pki.paths;
  const started: ManagedProcess[] = [];
  const auditLogPath = opts.auditLog ? join(opts.dir, 'logs', 'audit.log') : undefined;
  const spawn = (component: string, command: string, args: string[]) => {
    const proc = startProcess({
      name: component,
      command,
      args,
      logFile: join(opts.dir, 'logs', `${component}.log`),
      detached: opts.detached,
    });
    started.push(proc);
    return proc;
  };

  try {
    progress('starting etcd');
    const etcd = await startEtcd({
      dir: opts.dir,
      binary: bins.etcd,
      ca: p.etcdCA,
      server: p.etcdServer,
      client: p.etcdClient,
      detached: opts.detached,
      timeoutMs,
    });
    started.push(etcd.process);

    const [apiPort, kcmPort, schedulerPort, kwokPort] = await Promise.all([
      opts.apiServerPort ?? freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigs = kubeconfigPaths(opts.dir);
    await writeComponentKubeconfigs(name, server, p, kubeconfigs);

    progress('starting kube-apiserver');
    const apiArgs = apiServerArgs(opts.dir, p, etcd.endpoint, apiPort);
    if (auditLogPath) {
      const policy = join(opts.dir, 'audit-policy.yaml');
      await writeFile(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n');
      apiArgs.push(`--audit-policy-file=${policy}`, `--audit-log-path=${auditLogPath}`);
    }
    const apiserver = spawn('kube-apiserver', bins['kube-apiserver'], apiArgs);
    const adminTls: ProbeTls = {
      ca: pki.ca.certPem,
      cert: pki.admin.certPem,
      key: pki.admin.keyPem,
    };
    await pollUntil(() => probe(`${server}/readyz`, adminTls), {
      what: 'kube-apiserver /readyz',
      timeoutMs,
      intervalMs: 100,
      abortIf: () => exitedCheck(apiserver),
    });

    progress('starting controllers');
    const kcm = spawn(
      'kube-controller-manager',
      bins['kube-controller-manager'],
      controllerManagerArgs(opts.dir, p, kubeconfigs.controllerManager, kcmPort),
    );
    const others: ManagedProcess[] = [];
    if (withScheduler) {
      others.push(
        spawn('kube-scheduler', bins['kube-scheduler'], [
          `--kubeconfig=${kubeconfigs.scheduler}`,
          `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
          `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${schedulerPort}`,
          `--cert-dir=${join(opts.dir, 'scheduler-certs')}`,
          '--leader-elect=false',
        ]),
      );
    }
    if (nodes > 0) {
      others.push(
        spawn('kwok', bins.kwok, [
          `--kubeconfig=${kubeconfigs.admin}`,
          `--config=${join(binDir(), 'kwok-stages.yaml')}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${KWOK_NODE_SELECTOR}`,
          `--server-address=127.0.0.1:${kwokPort}`,
          '--cidr=10.244.0.0/16',
          '--node-ip=127.0.0.1',
          // kube-apiserver reaches "kubelets" (logs, exec) at the nodes' InternalIP and this port.
          `--node-port=${kwokPort}`,
          `--tls-cert-file=${p.kubelet.cert}`,
          `--tls-private-key-file=${p.kubelet.key}`,
          ...(opts.podLogsAndExec ? [`--config=${await writeKwokLogsAndExec(opts.dir)}`] : []),
        ]),
      );
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigs.admin);
      await createFakeNodes(kc, name, nodes);
    }
    await pollUntil(() => probe(`https://127.0.0.1:${kcmPort}/healthz`, { ...adminTls, insecure: true }), {
      what: 'kube-controller-manager /healthz',
      timeoutMs: Math.max(timeoutMs, CONTROLLERS_TIMEOUT_MS),
      intervalMs: 100,
      abortIf: () => [kcm, ...others].forEach(exitedCheck),
    });

    return {
      ...makeControlPlane(name, opts.dir, server, etcd.endpoint, kubeconfigs.admin, versions, started),
      auditLogPath,
    };
  } catch (err) {
    throw await failedStartError(`control plane "${name}"`, err, started.slice().reverse());
  }
}

function makeControlPlane(
  name: string,
  dir: string,
  server: string,
  etcdEndpoint: string,
  kubeconfigPath: string,
  versions: BinaryVersions,
  processes: ManagedProcess[],
): ControlPlane {
  let stopping: Promise<void> | undefined;
  return {
    name,
    dir,
    server,
    kubeconfigPath,
    etcdEndpoint,
    versions,
    components: processes.map((p) => ({ name: p.name, pid: p.pid, logFile: p.logFile })),
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
    stop() {
      stopping ??= stopInOrder(processes);
      return stopping;
    },
  };
}

/** Controllers first (they would log errors once the API server is gone), then the API server, then etcd. */
export async function stopInOrder(processes: ManagedProcess[]): Promise<void> {
  const order = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
  const groups = [order.slice(0, 3), ['kube-apiserver'], ['etcd']];
  for (const group of groups) {
    await Promise.all(processes.filter((p) => group.includes(p.name)).map((p) => stopProcess(p)));
  }
  await Promise.all(processes.filter((p) => !order.includes(p.name)).map((p) => stopProcess(p)));
}

async function writeComponentKubeconfigs(
  name: string,
  server: string,
  p: PkiPaths,
  paths: ReturnType<typeof kubeconfigPaths>,
): Promise<void> {
  const [ca, admin, kcm, scheduler] = await Promise.all([
    readCertificate(p.ca),
    readCertificate(p.admin),
    readCertificate(p.controllerManager),
    readCertificate(p.scheduler),
  ]);
  await Promise.all([
    writeKubeconfig(paths.admin, kubeconfigYaml({ name, server, ca, user: admin, userName: `${name}-admin` })),
    writeKubeconfig(
      paths.controllerManager,
      kubeconfigYaml({ name, server, ca, user: kcm, userName: 'system:kube-controller-manager' }),
    ),
    writeKubeconfig(
      paths.scheduler,
      kubeconfigYaml({ name, server, ca, user: scheduler, userName: 'system:kube-scheduler' }),
    ),
  ]);
}

function apiServerArgs(dir: string, p: PkiPaths, etcdEndpoint: string, port: number): string[] {
  return [
    `--etcd-servers=${etcdEndpoint}`,
    `--etcd-cafile=${p.etcdCA.cert}`,
    `--etcd-certfile=${p.etcdClient.cert}`,
    `--etcd-keyfile=${p.etcdClient.key}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${p.apiserver.cert}`,
    `--tls-private-key-file=${p.apiserver.key}`,
    `--client-ca-file=${p.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${p.serviceAccountPub}`,
    `--service-account-signing-key-file=${p.serviceAccountKey}`,
    // The aggregation layer: kube-apiserver proves itself to extension API servers with the
    // front-proxy client certificate, and trusts request headers only from that CA and name.
    `--requestheader-client-ca-file=${p.frontProxyCA.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${p.frontProxyClient.cert}`,
    `--proxy-client-key-file=${p.frontProxyClient.key}`,
    `--kubelet-client-certificate=${p.kubeletClient.cert}`,
    `--kubelet-client-key=${p.kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    // Several control planes share 127.0.0.1, and Kubernetes refuses a loopback address as the
    // endpoint of the `kubernetes` Service; nothing in-cluster needs to reach it here.
    '--endpoint-reconciler-type=none',
  ];
}

function controllerManagerArgs(dir: string, p: PkiPaths, kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'controller-manager-certs')}`,
    `--service-account-private-key-file=${p.serviceAccountKey}`,
    `--root-ca-file=${p.ca.cert}`,
    `--cluster-signing-cert-file=${p.ca.cert}`,
    `--cluster-signing-key-file=${p.ca.key}`,
    '--use-service-account-credentials=true',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--leader-elect=false',
  ];
}

/** kwok configuration that answers logs with a file and exec with a local process, for every pod. */
async function writeKwokLogsAndExec(dir: string): Promise<string> {
  const logFile = join(dir, 'pod-container.log');
  // kwok reads it as a container runtime (CRI) log: time, stream, tag, text.
  const now = new Date().toISOString();
  await writeFile(logFile, `${now} stdout F kwok pod log line 1\n${now} stdout F kwok pod log line 2\n`);
  const config = join(dir, 'kwok-logs-exec.yaml');
  await writeFile(
    config,
    [
      'apiVersion: kwok.x-k8s.io/v1alpha1',
      'kind: ClusterLogs',
      'metadata: {name: all-pods}',
      'spec:',
      `  logs: [{logsFile: ${JSON.stringify(logFile)}, follow: true}]`,
      '---',
      'apiVersion: kwok.x-k8s.io/v1alpha1',
      'kind: ClusterExec',
      'metadata: {name: all-pods}',
      'spec:',
      `  execs: [{local: {workDir: ${JSON.stringify(dir)}}}]`,
      '',
    ].join('\n'),
  );
  return config;
}
