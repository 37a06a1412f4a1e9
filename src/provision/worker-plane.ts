import type { ComponentSpec } from './components.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { kubectl } from './addons.js';
import { syncFiles } from './files.js';
import type { NodeIo } from './node-io.js';
import type { Progress } from './progress.js';
import { applyUnit, unitStatus, type SupervisorMode } from './supervisor/index.js';

/** Where kubelet finds its container runtime; without one the worker plane is prepared but not started. */
export const RUNTIME_SOCKET = '/run/containerd/containerd.sock';

/** RKE's max_unavailable: a count, or a percentage of `total` rounded down, never below one. */
export function batchSize(maxUnavailable: string, total: number): number {
  const pct = /^(\d+)%$/.exec(maxUnavailable.trim());
  const n = pct ? Math.floor((Number(pct[1]) * total) / 100) : Number(maxUnavailable);
  return Math.max(1, Number.isFinite(n) ? n : 1);
}

export interface WorkerPlaneInput {
  config: ClusterConfig;
  conns: Map<string, NodeIo>;
  modes: Map<string, SupervisorMode>;
  specsFor(node: NodeConfig): ComponentSpec[];
  /** Whether a node has a container runtime (kubelet can run there). */
  runtime: Map<string, boolean>;
  kubectlPath: string;
  kubeconfigPath: string;
  progress: Progress;
}

/**
 * kubelet and kube-proxy on every node. Nodes whose worker components must change are done in
 * batches of upgrade_strategy.max_unavailable_worker; a node Kubernetes knows is cordoned (and
 * drained when upgrade_strategy.drain is set) first and uncordoned after. Without a container
 * runtime the components' files are written but nothing starts, and the node is reported.
 */
export async function reconcileWorkers(
  input: WorkerPlaneInput,
): Promise<{ changed: string[]; notStarted: Record<string, string> }> {
  const { config, conns, progress } = input;
  const changed: string[] = [];
  const notStarted: Record<string, string> = {};
  const pending: NodeConfig[] = [];
  for (const node of config.nodes) {
    const io = conns.get(node.address)!;
    const specs = workerSpecs(input, node);
    if (!input.runtime.get(node.address)) {
      const reason = `no container runtime at ${RUNTIME_SOCKET}: kubelet and kube-proxy are configured but not started`;
      notStarted[node.address] = reason;
      const written = await syncFiles(
        io,
        specs.flatMap((s) => s.files),
      );
      changed.push(...written.map((p) => `${node.address}:${p}`));
      progress.node(node.address, reason);
      continue;
    }
    const statuses = await Promise.all(specs.map((s) => unitStatus(io, s.name)));
    if (specs.some((s, i) => !statuses[i]!.running || statuses[i]!.hash !== s.hash)) pending.push(node);
  }
  const size = batchSize(config.upgrade_strategy.max_unavailable_worker, pending.length);
  for (let i = 0; i < pending.length; i += size) {
    const batch = pending.slice(i, i + size);
    if (pending.length > size) progress.info(`worker batch ${i / size + 1}: ${batch.map((n) => n.address).join(', ')}`);
    await Promise.all(batch.map((node) => updateWorker(input, node, changed)));
  }
  return { changed, notStarted };
}

const workerSpecs = (input: WorkerPlaneInput, node: NodeConfig) =>
  input.specsFor(node).filter((s) => s.name === 'kubelet' || s.name === 'kube-proxy');

async function updateWorker(input: WorkerPlaneInput, node: NodeConfig, changed: string[]): Promise<void> {
  const { config, progress } = input;
  const io = input.conns.get(node.address)!;
  const run = (args: string[]) => kubectl(input.kubectlPath, input.kubeconfigPath, args);
  const name = node.hostname_override;
  // A node that was Ready must be Ready again before the next batch; one that was not (its pod
  // network is configured after the worker plane on a first run) is not waited for.
  const ready = await run(['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).then(
    (out) => out.trim(),
    () => null,
  );
  const known = ready !== null;
  if (known) {
    await run(['cordon', name]);
    if (config.upgrade_strategy.drain) {
      const d = config.upgrade_strategy.node_drain_input;
      await run([
        'drain',
        name,
        `--force=${d.force}`,
        `--ignore-daemonsets=${d.ignore_daemonsets}`,
        `--delete-emptydir-data=${d.delete_local_data}`,
        `--grace-period=${d.grace_period}`,
        `--timeout=${d.timeout}s`,
      ]);
      progress.node(node.address, 'drained');
    }
  }
  for (const spec of workerSpecs(input, node)) {
    const result = await applyUnit(io, spec, input.modes.get(node.address)!);
    if (result !== 'unchanged') {
      changed.push(`${node.address}/${spec.name}`);
      progress.node(node.address, `${spec.name} ${result}`);
    }
  }
  if (known) {
    if (ready === 'True') await run(['wait', '--for=condition=Ready', `node/${name}`, '--timeout=300s']);
    await run(['uncordon', name]);
  }
}
