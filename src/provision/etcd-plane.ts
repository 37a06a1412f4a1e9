import { componentsFor, etcdctlCommand, type ComponentSpec } from './components.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import type { NodeIo } from './node-io.js';
import type { Progress } from './progress.js';
import { etcdMemberName, etcdPeerUrl, etcdNodes } from './roles.js';
import type { EtcdJoin, NodeState } from './state.js';
import { applyUnit, removeUnit, unitStatus, type SupervisorMode } from './supervisor/index.js';
import { pollUntil } from '../util/poll.js';

export interface EtcdMember {
  /** Hex, as etcdctl takes it. */
  id: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

export async function etcdctl(io: NodeIo, binDir: string, node: NodeConfig, args: string[], timeoutMs = 20_000) {
  const res = await io.run(etcdctlCommand(binDir, node, args), { timeoutMs });
  if (res.code !== 0)
    throw new ProvisionError(`etcdctl ${args.join(' ')} on ${io.label} failed: ${res.stderr.trim().slice(-500)}`);
  return res.stdout;
}

export async function memberList(io: NodeIo, binDir: string, node: NodeConfig): Promise<EtcdMember[]> {
  // Member IDs are uint64; quote them before JSON.parse loses precision.
  // Serializable: while a member just added has not started, the cluster may lack quorum.
  const out = await etcdctl(io, binDir, node, [
    'member',
    'list',
    '-w',
    'json',
    '--consistency=s',
    '--dial-timeout=2s',
    '--command-timeout=5s',
  ]);
  const parsed = JSON.parse(out.replace(/"ID":(\d+)/g, '"ID":"$1"')) as {
    members?: { ID: string; name?: string; peerURLs?: string[]; isLearner?: boolean }[];
  };
  return (parsed.members ?? []).map((m) => ({
    id: BigInt(m.ID).toString(16),
    name: m.name ?? '',
    peerURLs: m.peerURLs ?? [],
    isLearner: m.isLearner === true,
  }));
}

export async function waitEtcdHealthy(io: NodeIo, binDir: string, node: NodeConfig, timeoutMs = 60_000) {
  await pollUntil(
    () => etcdctl(io, binDir, node, ['endpoint', 'health', '--dial-timeout=2s', '--command-timeout=3s'], 10_000),
    {
      timeoutMs,
      intervalMs: 500,
      what: `etcd on ${io.label} to be healthy`,
    },
  );
}

export interface EtcdPlaneInput {
  config: ClusterConfig;
  binDir: string;
  conns: Map<string, NodeIo>;
  /** Previous node state by address (etcdJoin lives there). */
  nodeStates: Record<string, NodeState>;
  /** Nodes that held etcd before (from the state) but not any more, or whose node is removed. */
  leaving: NodeConfig[];
  modes: Map<string, SupervisorMode>;
  certHashes: Record<string, string>;
  binaryHashes: Partial<Record<string, string>>;
  progress: Progress;
  /** Called as soon as a member's join is known, so a failure later cannot lose it. */
  onJoin?: (address: string, join: EtcdJoin) => Promise<void>;
  /**
   * Restart every member first and check health after: after a CA rotation a member on the new
   * CA cannot talk to peers still on the old one, so one at a time would never become healthy.
   */
  parallel?: boolean;
}

export interface EtcdPlaneResult {
  joins: Map<string, EtcdJoin>;
  specs: Map<string, ComponentSpec>;
  changed: string[];
}

/**
 * Brings etcd membership to the config's etcd nodes, one member at a time: departing members are
 * removed first (so a dead one never counts against quorum while a new one is added), then each
 * missing member is added through a healthy one and started, and checked healthy before the next.
 * A member keeps the initial-cluster it first started with, so membership changes never restart it.
 */
export async function reconcileEtcd(input: EtcdPlaneInput): Promise<EtcdPlaneResult> {
  const { config, binDir, conns, progress } = input;
  const wanted = etcdNodes(config);
  const joins = new Map<string, EtcdJoin>();
  const specs = new Map<string, ComponentSpec>();
  const changed: string[] = [];

  if (input.parallel) return restartInPlace(input, wanted);

  // A member we can talk through: any wanted node whose etcd answers.
  let through: NodeConfig | undefined;
  let members: EtcdMember[] = [];
  for (const n of [...wanted, ...input.leaving]) {
    const io = conns.get(n.address);
    if (!io || !(await unitStatus(io, 'etcd')).running) continue;
    try {
      members = await memberList(io, binDir, n);
      through = n;
      break;
    } catch {
      // not running there (yet)
    }
  }

  if (members.length === 0) {
    // No member answers. If members have data the cluster exists and is down (every node
    // rebooted, every process killed): start them as they were; never treat it as new.
    const withData: NodeConfig[] = [];
    for (const n of wanted) if (await hasEtcdData(conns.get(n.address)!)) withData.push(n);
    if (withData.length) {
      const unknown = withData.filter((n) => !input.nodeStates[n.address]?.etcdJoin);
      if (unknown.length)
        throw new ProvisionError(
          'etcd data exists but no member answers, and the state file does not say how these members joined; ' +
            'nothing was deleted. Restore cluster.rkestate (or the kube-system/full-cluster-state Secret) and run again',
          unknown.map((n) => `${n.address}: /var/lib/etcd has data`),
        );
      progress.info(`no etcd member answers; restarting the ${withData.length} member(s) that have data`);
      const restarted = await restartInPlace({ ...input }, withData);
      for (const [k, v] of restarted.joins) joins.set(k, v);
      changed.push(...restarted.changed);
      through = withData[0]!;
      members = await memberList(conns.get(through.address)!, binDir, through);
    }
  }

  for (const n of input.leaving) {
    const member = members.find((m) => m.peerURLs.includes(etcdPeerUrl(n)) || m.name === etcdMemberName(n));
    if (member && through) {
      const via = wanted.find((w) => w.address !== n.address && members.some((m) => m.name === etcdMemberName(w)));
      if (!via) throw new ProvisionError(`cannot remove etcd member ${member.name}: no other etcd member would remain`);
      await etcdctl(conns.get(via.address)!, binDir, via, ['member', 'remove', member.id]);
      members = members.filter((m) => m.id !== member.id);
      through = via;
      progress.node(n.address, `etcd member ${member.name} removed`);
      changed.push(`${n.address}/etcd-member`);
    }
    const io = conns.get(n.address);
    if (io) {
      await removeUnit(io, 'etcd');
      await io.run('find /var/lib/etcd -mindepth 1 -delete 2>/dev/null; true');
    }
  }

  for (const node of wanted) {
    const io = conns.get(node.address)!;
    const name = etcdMemberName(node);
    const peer = etcdPeerUrl(node);
    let join = input.nodeStates[node.address]?.etcdJoin;
    const existing = members.find((m) => m.name === name || m.peerURLs.includes(peer));
    let addedNow = false;
    if (!join || !existing) {
      if (members.length === 0) {
        join = { initialClusterState: 'new', members: [{ name, peerUrl: peer }] };
        progress.node(node.address, `starting the first etcd member ${name}`);
      } else {
        if (!existing) {
          // As a learner: it gets the data without a vote, so adding it never costs the cluster its quorum.
          const viaIo = conns.get(through!.address)!;
          // etcd refuses while a member promoted a moment ago has not been active for a few seconds.
          await pollUntil(
            () => etcdctl(viaIo, binDir, through!, ['member', 'add', name, `--peer-urls=${peer}`, '--learner']),
            { timeoutMs: 60_000, intervalMs: 1000, what: `etcd to accept member ${name}` },
          );
          progress.node(node.address, `etcd member ${name} added as a learner`);
          addedNow = true;
        }
        members = await memberList(conns.get(through!.address)!, binDir, through!);
        join = {
          initialClusterState: 'existing',
          // An added member that has not started yet has no name; its peer URL tells which node it is.
          members: members.map((m) => {
            const owner = wanted.find((w) => m.peerURLs.includes(etcdPeerUrl(w)));
            return { name: m.name || (owner ? etcdMemberName(owner) : ''), peerUrl: m.peerURLs[0]! };
          }),
        };
      }
      // A member joining must start from an empty data folder. Only data of a member that never
      // started (added now, or added by a run that failed) is deleted; a started member keeps its data.
      if (addedNow || (existing && !existing.name))
        await io.run('find /var/lib/etcd -mindepth 1 -delete 2>/dev/null; true');
      else if (members.length > 0 && (await hasEtcdData(io)))
        throw new ProvisionError(
          `${io.label}: /var/lib/etcd has data, but this node is not a member of the running etcd cluster; ` +
            'nothing was deleted. Move the data away if it is not needed, then run again',
        );
    }
    joins.set(node.address, join);
    await input.onJoin?.(node.address, join);
    const result = await startMember(input, node, join, specs, changed);
    const learner = members.find((m) => (m.name === name || m.peerURLs.includes(peer)) && m.isLearner);
    if (learner && through && through.address !== node.address) {
      // Promotion succeeds once the learner has caught up with the leader.
      await pollUntil(
        () => etcdctl(conns.get(through!.address)!, binDir, through!, ['member', 'promote', learner.id], 10_000),
        { timeoutMs: 120_000, intervalMs: 500, what: `etcd learner ${name} to catch up and be promoted` },
      );
      progress.node(node.address, `etcd member ${name} promoted to a voting member`);
    }
    await waitEtcdHealthy(io, binDir, node);
    if (!through) through = node;
    members = await memberList(conns.get(through.address)!, binDir, through);
    if (result !== 'unchanged') progress.node(node.address, `etcd healthy (${members.length} members)`);
  }
  return { joins, specs, changed };
}

/** Applies a node's etcd unit for the given join; records its spec and any change. */
async function startMember(
  input: EtcdPlaneInput,
  node: NodeConfig,
  join: EtcdJoin,
  specs: Map<string, ComponentSpec>,
  changed: string[],
) {
  const spec = componentsFor(input.config, node, {
    binDir: input.config.corral.binaries.path,
    etcd: join,
    certHashes: input.certHashes,
    binaryHashes: input.binaryHashes,
  }).find((c) => c.name === 'etcd')!;
  specs.set(node.address, spec);
  const result = await applyUnit(input.conns.get(node.address)!, spec, input.modes.get(node.address)!);
  if (result !== 'unchanged') {
    changed.push(`${node.address}/etcd`);
    input.progress.node(node.address, `etcd ${result}`);
  }
  return result;
}

async function hasEtcdData(io: NodeIo): Promise<boolean> {
  return (await io.run('test -d /var/lib/etcd/member')).code === 0;
}

/**
 * Every member restarted with the join it first had, all at once, then checked healthy: for a
 * CA rotation (a member on the new CA cannot talk to peers still on the old one, so one at a
 * time would never become healthy) and for a cluster whose members are all down. Membership
 * does not change here.
 */
async function restartInPlace(input: EtcdPlaneInput, nodes: NodeConfig[]): Promise<EtcdPlaneResult> {
  const { conns, binDir, progress } = input;
  const joins = new Map<string, EtcdJoin>();
  const specs = new Map<string, ComponentSpec>();
  const changed: string[] = [];
  const missing = nodes.filter((n) => !input.nodeStates[n.address]?.etcdJoin);
  if (missing.length)
    throw new ProvisionError(
      'these etcd members have no recorded join in the state file; run `corral up` first',
      missing.map((n) => n.address),
    );
  await Promise.all(
    nodes.map(async (node) => {
      const join = input.nodeStates[node.address]!.etcdJoin!;
      joins.set(node.address, join);
      await startMember(input, node, join, specs, changed);
    }),
  );
  await Promise.all(nodes.map((n) => waitEtcdHealthy(conns.get(n.address)!, binDir, n, 120_000)));
  progress.info(`etcd healthy on ${nodes.length} member(s)`);
  return { joins, specs, changed };
}
