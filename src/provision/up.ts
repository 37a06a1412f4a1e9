import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { binaryPath, binDir } from '../kube/binaries.js';
import { addonManifests, applyAddons, SYSTEM_ADDONS } from './addons.js';
import { binaryOf, COMPONENT_NAMES, componentsFor, healthCommand, type ComponentSpec } from './components.js';
import { pollUntil } from '../util/poll.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { reconcileEtcd } from './etcd-plane.js';
import { reconcileWorkers } from './worker-plane.js';
import {
  cleanRuntime,
  CONTAINERD_UNIT,
  planRuntime,
  reconcileRuntime,
  runtimePreflight,
  type RuntimePlan,
} from './runtime.js';
import { FLANNEL_RBAC, FLANNEL_UNIT, reconcileNetwork } from './network-plane.js';
import { systemAddons, waitSystemReady } from './system-addons.js';
import { reconcileRollingSnapshots, ROLLING_UNIT } from './rolling-snapshots.js';
import { ProvisionError } from './errors.js';
import { localFileHash, remoteBinaryHashes, syncBinaries, syncFiles } from './files.js';
import { AdminApi } from './kube-api.js';
import type { NodeIo } from './node-io.js';
import { adminKubeconfig, certificateFilesFor, generateClusterPki, type ClusterPki } from './pki.js';
import { preflight } from './preflight.js';
import { binariesFor, COMPONENT_PORTS, componentNamesFor, controlPlaneNodes, has } from './roles.js';
import { openSession, type NodeConn, type Session, type SessionOptions } from './session.js';
import { writeSecretFile, writeState, type ClusterState, type NodeState } from './state.js';
import { saveClusterStateSecret } from './state-secret.js';
import {
  applyUnit,
  detectMode,
  installSupervisor,
  listUnits,
  removeUnit,
  unitStatus,
  type SupervisorMode,
} from './supervisor/index.js';

export interface UpResult {
  /** "<address>/<what>" for everything that changed; empty when the cluster already matched. */
  changed: string[];
  kubeconfigPath: string;
  statePath: string;
  /** Nodes whose worker plane was prepared but not started, with the reason. */
  workerNotStarted: Record<string, string>;
}

export const certHashesOf = (pki: ClusterPki): Record<string, string> =>
  Object.fromEntries(
    Object.entries(pki).map(([name, c]) => [
      name,
      createHash('sha256').update(c.certPem).update(c.keyPem).digest('hex'),
    ]),
  );

/** `corral up`: make the nodes run the cluster cluster.yml describes. Safe to run again at any time. */
export async function up(opts: SessionOptions): Promise<UpResult> {
  const session = await openSession({ ...opts, includeRemoved: true });
  try {
    return await reconcile(session, {});
  } finally {
    session.close();
  }
}

export interface ReconcileOverrides {
  /** Use these certificates instead of generating (cert rotation). */
  pki?: ClusterPki;
  /** Restart etcd members all at once (after a CA rotation the old and new peers cannot talk). */
  parallelEtcd?: boolean;
}

export async function reconcile(session: Session, overrides: ReconcileOverrides): Promise<UpResult> {
  const { config, progress, conns, paths } = session;
  const changed: string[] = [];
  const previousNodes = session.current?.nodes ?? {};
  const remoteBin = config.corral.binaries.path;
  const ios = (n: NodeConfig) => conns.get(n.address)!;

  // Every check on every node before anything is changed anywhere.
  progress.step('preflight checks');
  const modes = new Map<string, SupervisorMode>();
  const problems: string[] = [];
  const runtimePlan: RuntimePlan = { ours: new Set(), runtime: new Map() };
  await Promise.all(
    config.nodes.map(async (node) => {
      const io = ios(node);
      // Any component of ours running holds its ports legitimately, also one the node is about to
      // lose (the API server proxy of a node becoming control plane holds the apiserver's 6443).
      const running = new Set<string>();
      const installed = new Set(await listUnits(io));
      for (const name of COMPONENT_NAMES)
        if (installed.has(name) && (await unitStatus(io, name)).running) running.add(name);
      const ours = new Set([...running].flatMap((c) => COMPONENT_PORTS[c] ?? []));
      const plan = await planRuntime(config, io, installed);
      const runtime = plan.runtime;
      runtimePlan.runtime.set(node.address, runtime);
      if (plan.ours) runtimePlan.ours.add(node.address);
      // Corral's containerd needs cgroups, overlayfs and netfilter: checked before it is first started.
      if (plan.ours && !running.has(CONTAINERD_UNIT))
        for (const p of await runtimePreflight(io)) problems.push(`${io.label}: container runtime: ${p}`);
      const ports = componentNamesFor(node)
        .filter((c) => !running.has(c) && (runtime || (c !== 'kubelet' && c !== 'kube-proxy')))
        .flatMap((c) => COMPONENT_PORTS[c] ?? [])
        .filter((port) => !ours.has(port));
      const result = await preflight(io, {
        portsMustBeFree: ports,
        needSwapOff: runtime && config.services.kubelet.fail_swap_on,
        minDiskFreeBytes: 1 << 30,
        maxClockSkewMs: 5000,
        // curl: the API server proxy's health check on nodes without the controlplane role.
        requiredCommands: [
          'sh',
          'setsid',
          'nohup',
          'sha256sum',
          'find',
          'kill',
          ...(has(node, 'controlplane') ? [] : ['curl']),
        ],
        s3: has(node, 'etcd') ? config.services.etcd.backup_config.s3backupconfig : null,
        ...(config.corral.binaries.source === 'host' ? { binaries: { dir: remoteBin, names: binariesFor(node) } } : {}),
      });
      for (const p of result.problems) problems.push(`${io.label}: ${p.check}: ${p.message}`);
      modes.set(node.address, await detectMode(io, config.corral.supervisor));
      progress.node(
        node.address,
        result.problems.length ? `${result.problems.length} problem(s)` : `ok (${modes.get(node.address)} supervisor)`,
      );
    }),
  );
  if (problems.length) throw new ProvisionError('preflight checks failed; nothing was changed', problems);

  progress.step('certificates');
  const pki = overrides.pki ?? (await generateClusterPki(config, session.stateFile?.desiredState.certificatesBundle));
  const certHashes = certHashesOf(pki);
  const binaryHashes = await binaryHashesFor(config);
  const kubeconfigText = adminKubeconfig(pki, config);
  // The keys exist before any node gets them: a failure later must not lose them.
  // Joins recorded by an earlier run that failed part way count too: a member keeps its first join.
  const knownNodes = { ...previousNodes, ...(session.stateFile?.desiredState.nodes ?? {}) };
  const desired: ClusterState = { rkeConfig: config, certificatesBundle: pki, nodes: knownNodes };
  await writeState(paths.state, { desiredState: desired, currentState: session.current });

  progress.step('binaries, supervisor and certificates on the nodes');
  const uploadedTo = new Map<string, string[]>();
  await Promise.all(
    config.nodes.map(async (node) => {
      const io = conns.get(node.address) as NodeConn;
      if (await installSupervisor(io)) changed.push(`${node.address}/supervisor`);
      if (config.corral.binaries.source === 'upload') {
        const uploaded = await syncBinaries(io, config.corral.binaries.local_dir, remoteBin, binariesFor(node));
        uploadedTo.set(node.address, uploaded);
        if (uploaded.length) {
          changed.push(...uploaded.map((b) => `${node.address}/bin/${b}`));
          progress.node(node.address, `uploaded ${uploaded.join(', ')}`);
        }
      }
      const written = await syncFiles(io, certificateFilesFor(pki, node, config));
      if (written.length) {
        changed.push(...written.map((p) => `${node.address}:${p}`));
        progress.node(node.address, `${written.length} certificate file(s) written`);
      }
    }),
  );

  // Components a node no longer has (a role removed) stop before the new layout starts.
  for (const node of config.nodes) {
    const io = ios(node);
    const wanted = new Set(componentNamesFor(node));
    if (runtimePlan.ours.has(node.address)) wanted.add(CONTAINERD_UNIT);
    if (runtimePlan.runtime.get(node.address) && config.network.plugin === 'flannel') wanted.add(FLANNEL_UNIT);
    if (has(node, 'etcd') && config.services.etcd.backup_config.enabled) wanted.add(ROLLING_UNIT);
    for (const unit of await listUnits(io)) {
      if (wanted.has(unit) || unit === 'etcd') continue; // etcd leaves through the membership change
      await removeUnit(io, unit);
      changed.push(`${node.address}/${unit}-removed`);
      progress.node(node.address, `${unit} removed (role changed)`);
    }
  }

  progress.step('etcd plane');
  const leaving = [
    ...session.removed.filter((n) => has(n, 'etcd')),
    ...config.nodes.filter((n) => !has(n, 'etcd') && previousNodes[n.address]?.roles.includes('etcd')),
  ];
  const etcd = await reconcileEtcd({
    config,
    binDir: remoteBin,
    conns,
    nodeStates: knownNodes,
    leaving,
    modes,
    certHashes,
    binaryHashes,
    progress,
    parallel: overrides.parallelEtcd,
    onJoin: async (address, join) => {
      const node = config.nodes.find((n) => n.address === address)!;
      desired.nodes = {
        ...desired.nodes,
        [address]: {
          ...(desired.nodes[address] ?? {
            address,
            hostname: node.hostname_override,
            roles: node.role,
            components: {},
          }),
          etcdJoin: join,
        },
      };
      await writeState(paths.state, { desiredState: desired, currentState: session.current });
    },
  });
  changed.push(...etcd.changed);
  changed.push(...(await reconcileRollingSnapshots(config, conns, modes, progress)));

  const specsFor = (node: NodeConfig): ComponentSpec[] =>
    componentsFor(config, node, {
      binDir: remoteBin,
      etcd: etcd.joins.get(node.address) ?? { initialClusterState: 'new', members: [] },
      certHashes,
      binaryHashes,
    });

  // One control-plane node at a time, each ready before the next, so the API stays up.
  progress.step('control plane');
  for (const node of controlPlaneNodes(config)) {
    const io = ios(node);
    let apiserverChanged = false;
    for (const spec of specsFor(node).filter((s) => s.name.startsWith('kube-') && s.name !== 'kube-proxy')) {
      const result = await applyUnit(io, spec, modes.get(node.address)!);
      if (result !== 'unchanged') {
        changed.push(`${node.address}/${spec.name}`);
        progress.node(node.address, `${spec.name} ${result}`);
        if (spec.name === 'kube-apiserver') apiserverChanged = true;
      }
    }
    const api = AdminApi.forServer(kubeconfigText, `https://${hostPort(node.address)}:6443`);
    try {
      await api.waitReady(apiserverChanged ? 120_000 : 60_000, `kube-apiserver on ${node.address}`);
    } finally {
      api.close();
    }
    if (apiserverChanged) progress.node(node.address, 'kube-apiserver ready');
  }

  // The admin kubeconfig is needed from here on (cordon and drain, addons).
  await writeSecretFile(paths.kubeconfig, kubeconfigText);
  const kubectlPath = await binaryPath('kubectl', binDir());

  // Nodes without the controlplane role reach the API through their own proxy (RKE's
  // nginx-proxy), started once the control plane answers.
  const proxied = config.nodes.filter((n) => !has(n, 'controlplane'));
  if (proxied.length) progress.step('API server proxies');
  await Promise.all(
    proxied.map(async (node) => {
      const io = ios(node);
      const spec = specsFor(node).find((s) => s.name === 'apiserver-proxy')!;
      const result = await applyUnit(io, spec, modes.get(node.address)!);
      await pollUntil(
        async () => {
          const r = await io.run(healthCommand(spec.health, 3));
          if (r.code !== 0) throw new Error(`curl exited ${r.code}`);
        },
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: `the API server proxy on ${io.label} to reach a control-plane node`,
        },
      );
      if (result !== 'unchanged') {
        changed.push(`${node.address}/apiserver-proxy`);
        progress.node(
          node.address,
          `apiserver-proxy ${result}, reaching ${controlPlaneNodes(config).length} control-plane node(s)`,
        );
      }
    }),
  );

  // What kubelets (and flannel, with their credentials) may do, before any of them starts.
  await applyAddons(kubectlPath, paths.kubeconfig, [
    { name: 'system', yaml: SYSTEM_ADDONS },
    ...(config.network.plugin === 'flannel' ? [{ name: 'flannel', yaml: FLANNEL_RBAC }] : []),
  ]);

  if ([...runtimePlan.runtime.values()].some(Boolean)) progress.step('container runtime and system images');
  const runtime = await reconcileRuntime({ config, conns, modes, plan: runtimePlan, progress });
  changed.push(...runtime.changed);

  progress.step('worker plane');
  const workers = await reconcileWorkers({
    config,
    conns,
    modes,
    specsFor,
    runtime: runtimePlan.runtime,
    kubectlPath,
    kubeconfigPath: paths.kubeconfig,
    progress,
  });
  changed.push(...workers.changed);
  const workerNotStarted = workers.notStarted;

  if (config.network.plugin === 'flannel' && runtime.images) progress.step('pod network (flannel)');
  changed.push(...(await reconcileNetwork({ config, conns, modes, runtime: runtimePlan.runtime, progress })));

  progress.step('addons');
  const system = runtime.images ? systemAddons(config, runtime.images.refs) : [];
  const addonChanges = await applyAddons(kubectlPath, paths.kubeconfig, [
    ...system,
    ...(await addonManifests(config, dirname(paths.config))),
  ]);
  changed.push(...addonChanges.map((c) => `addon ${c}`));
  if (runtime.images) {
    progress.step('waiting for the nodes and the system add-ons');
    const kubeletNodes = config.nodes.filter((n) => runtimePlan.runtime.get(n.address)).map((n) => n.hostname_override);
    await waitSystemReady(kubectlPath, paths.kubeconfig, kubeletNodes, system, progress);
  } else if (config.nodes.length) {
    progress.info('no node runs containers: the network, DNS and metrics add-ons are not deployed');
  }

  progress.step('removed nodes');
  for (const node of session.removed) {
    const io = conns.get(node.address);
    if (!io) continue;
    await cleanNode(io, { binDir: remoteBin });
    changed.push(`${node.address}/removed`);
    progress.node(node.address, 'components stopped, Kubernetes files removed');
  }

  const nodes: Record<string, NodeState> = {};
  for (const node of config.nodes) {
    const specs = specsFor(node);
    nodes[node.address] = {
      address: node.address,
      hostname: node.hostname_override,
      roles: node.role,
      components: Object.fromEntries(specs.map((s) => [s.name, s.hash])),
      ...(etcd.joins.has(node.address) ? { etcdJoin: etcd.joins.get(node.address) } : {}),
      ...(workerNotStarted[node.address] ? { workerNotStarted: workerNotStarted[node.address] } : {}),
    };
  }
  // Binaries uploaded by this run are old enough now for the nodes to record their hashes (see
  // remoteBinaryHashes), so the next `up` need not read them again; reading them checks the upload.
  await Promise.all(
    [...uploadedTo].map(async ([address, names]) => {
      if (!names.length) return;
      const io = conns.get(address)!;
      const onNode = await remoteBinaryHashes(io, remoteBin, names);
      for (const name of names) {
        if (onNode.get(name) !== (await localFileHash(join(config.corral.binaries.local_dir, name))))
          throw new ProvisionError(
            `${remoteBin}/${name} on ${io.label} differs from the file uploaded: run \`corral up\` again to upload it again`,
          );
      }
    }),
  );

  const finalState: ClusterState = { rkeConfig: config, certificatesBundle: pki, nodes };
  const stateFile = { desiredState: finalState, currentState: finalState };
  await writeState(paths.state, stateFile);
  const api = new AdminApi(kubeconfigText);
  try {
    if (await saveClusterStateSecret(api, stateFile)) changed.push('kube-system/full-cluster-state');
  } finally {
    api.close();
  }
  progress.step(
    changed.length
      ? `done: ${changed.length} change(s)`
      : 'done: the cluster already matched cluster.yml, nothing changed',
  );
  progress.info(`kubeconfig: ${paths.kubeconfig}`);
  return { changed, kubeconfigPath: paths.kubeconfig, statePath: paths.state, workerNotStarted };
}

/** A new build of a binary (an upgrade) restarts its component; with binaries on the hosts, the version does. */
export async function binaryHashesFor(config: ClusterConfig): Promise<Partial<Record<string, string>>> {
  const hashes: Partial<Record<string, string>> = {};
  if (config.corral.binaries.source === 'upload')
    for (const name of COMPONENT_NAMES)
      hashes[name] = await localFileHash(join(config.corral.binaries.local_dir, binaryOf(name)));
  return hashes;
}

export const hostPort = (address: string): string => (address.includes(':') ? `[${address}]` : address);

/** Stops every Corral unit and removes what Kubernetes left on a node (mount points themselves stay). */
export async function cleanNode(io: NodeIo, opts: { keepSnapshots?: boolean; binDir?: string } = {}): Promise<void> {
  const units = await listUnits(io);
  // kubelet first, so that it does not start pods again while the runtime's are being stopped.
  for (const unit of units.filter((u) => u !== CONTAINERD_UNIT)) await removeUnit(io, unit);
  if (units.includes(CONTAINERD_UNIT)) await cleanRuntime(io, opts.binDir ?? '/opt/rke/bin');
  const dirs = ['/etc/kubernetes', '/var/lib/etcd', '/var/lib/kubelet', '/var/log/corral'];
  const rke = opts.keepSnapshots
    ? `find /opt/rke -mindepth 1 -maxdepth 1 ! -name etcd-snapshots -exec rm -rf {} + 2>/dev/null`
    : 'find /opt/rke -mindepth 1 -delete 2>/dev/null';
  await io.run(`${dirs.map((d) => `find ${d} -mindepth 1 -delete 2>/dev/null`).join('; ')}; ${rke}; true`);
}

export type { ClusterConfig };
