import { componentsFor } from './components.js';
import type { NodeConfig } from './config/types.js';
import { etcdctl, waitEtcdHealthy } from './etcd-plane.js';
import { ProvisionError } from './errors.js';
import { shellQuote } from './files.js';
import { SNAPSHOT_DIR } from './snapshot-dir.js';
import { AdminApi } from './kube-api.js';
import { adminKubeconfig } from './pki.js';
import { controlPlaneNodes, etcdMemberName, etcdNodes, etcdPeerUrl } from './roles.js';
import type { Session } from './session.js';
import { writeState, type EtcdJoin } from './state.js';
import { applyUnit, detectMode, stopUnit } from './supervisor/index.js';
import { binaryHashesFor, certHashesOf, hostPort } from './up.js';

/** RKE's default name: a timestamp that sorts. */
export const defaultSnapshotName = (now = new Date()): string =>
  `corral_etcd_snapshot_${now.toISOString().replace(/[:.]/g, '-')}`;

export function checkSnapshotName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name))
    throw new ProvisionError(`snapshot name "${name}": use letters, digits, ".", "_" and "-" only`);
  return name;
}

export interface SnapshotInfo {
  node: string;
  path: string;
  bytes: number;
}

function requireState(session: Session) {
  const state = session.current;
  if (!state)
    throw new ProvisionError(`${session.paths.state} not found: run \`corral up\` first (or restore the state file)`);
  return state;
}

/** Saves a snapshot on every etcd node, each from its own member (as RKE does). */
export async function snapshotSave(session: Session, name: string): Promise<SnapshotInfo[]> {
  checkSnapshotName(name);
  requireState(session);
  const { config, conns, progress } = session;
  const bin = config.corral.binaries.path;
  progress.step(`saving etcd snapshot "${name}"`);
  return Promise.all(
    etcdNodes(config).map(async (node) => {
      const io = conns.get(node.address)!;
      const path = `${SNAPSHOT_DIR}/${name}`;
      await io.run(`mkdir -p ${SNAPSHOT_DIR}`);
      await etcdctl(io, bin, node, ['snapshot', 'save', `${path}.part`], 300_000);
      const res = await io.run(
        `mv -f ${shellQuote(`${path}.part`)} ${shellQuote(path)} && stat -c %s ${shellQuote(path)}`,
      );
      if (res.code !== 0) throw new ProvisionError(`snapshot on ${io.label}: ${res.stderr.trim()}`);
      progress.node(node.address, `saved ${path} (${res.stdout.trim()} bytes)`);
      return { node: node.address, path, bytes: Number(res.stdout.trim()) };
    }),
  );
}

export async function snapshotList(session: Session): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  for (const node of etcdNodes(session.config)) {
    const io = session.conns.get(node.address)!;
    const res = await io.run(
      `cd ${SNAPSHOT_DIR} 2>/dev/null && find . -maxdepth 1 -type f ! -name '*.part' -printf '%f %s\\n'`,
    );
    for (const line of res.stdout.split('\n').filter(Boolean)) {
      const [file, size] = line.split(' ');
      out.push({ node: node.address, path: `${SNAPSHOT_DIR}/${file}`, bytes: Number(size) });
    }
  }
  return out;
}

/**
 * Restores every etcd member from the named snapshot: a safety snapshot first, then the API
 * servers and every member stop, each member's data is rebuilt from the snapshot with the
 * current membership, and everything starts again. Destructive: callers confirm first.
 */
export async function snapshotRestore(session: Session, name: string): Promise<{ safetySnapshot: string }> {
  checkSnapshotName(name);
  const state = requireState(session);
  const { config, conns, progress } = session;
  const bin = config.corral.binaries.path;
  const etcds = etcdNodes(config);
  const path = `${SNAPSHOT_DIR}/${name}`;

  progress.step('checking the snapshot on every etcd node');
  const missing: string[] = [];
  for (const node of etcds) {
    const io = conns.get(node.address)!;
    const res = await io.run(`${bin}/etcdutl snapshot status ${shellQuote(path)} -w json`);
    if (res.code !== 0) missing.push(`${io.label}: ${path}: ${res.stderr.trim() || 'not found'}`);
  }
  if (missing.length)
    throw new ProvisionError(`snapshot "${name}" is not usable on every etcd node; nothing was changed`, missing);

  const safety = `${name}-pre-restore-${defaultSnapshotName().replace('corral_etcd_snapshot_', '')}`;
  await snapshotSave(session, safety);

  const modes = new Map(
    await Promise.all(
      config.nodes.map(
        async (n) => [n.address, await detectMode(conns.get(n.address)!, config.corral.supervisor)] as const,
      ),
    ),
  );
  progress.step('stopping kube-apiserver and etcd');
  // Together: each takes up to its 10 s grace period to stop.
  await Promise.all(controlPlaneNodes(config).map((n) => stopUnit(conns.get(n.address)!, 'kube-apiserver')));
  await Promise.all(etcds.map((n) => stopUnit(conns.get(n.address)!, 'etcd')));

  progress.step(`restoring "${name}" on ${etcds.length} member(s)`);
  const members = etcds.map((n) => ({ name: etcdMemberName(n), peerUrl: etcdPeerUrl(n) }));
  const join: EtcdJoin = { initialClusterState: 'new', members };
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const stamp = Date.now();
  await Promise.all(
    etcds.map(async (node: NodeConfig) => {
      const io = conns.get(node.address)!;
      // Corral's own folder, not /var/lib, holds the work: /var/lib/etcd may be a mount point, so
      // its content moves, not the folder; the previous data is kept until the next restore.
      const work = `/opt/rke/etcd-restore`;
      const cmd = [
        `rm -rf ${work} && mkdir -p ${work}/old`,
        `${bin}/etcdutl snapshot restore ${shellQuote(path)} --name ${shellQuote(etcdMemberName(node))} ` +
          `--initial-cluster ${shellQuote(initialCluster)} --initial-cluster-token corral-etcd-${stamp} ` +
          `--initial-advertise-peer-urls ${shellQuote(etcdPeerUrl(node))} --data-dir ${work}/new`,
        `find /var/lib/etcd -mindepth 1 -maxdepth 1 -exec mv {} ${work}/old/ \\;`,
        `mv ${work}/new/* /var/lib/etcd/ && rmdir ${work}/new`,
      ].join(' && ');
      const res = await io.run(cmd, { timeoutMs: 300_000 });
      if (res.code !== 0) throw new ProvisionError(`restore on ${io.label} failed: ${res.stderr.trim().slice(-500)}`);
      progress.node(
        node.address,
        'data restored (the previous data is in /opt/rke/etcd-restore/old until the next restore)',
      );
    }),
  );

  progress.step('starting etcd and kube-apiserver');
  const certHashes = certHashesOf(state.certificatesBundle);
  const binaryHashes = await binaryHashesFor(config);
  const specs = (node: NodeConfig) =>
    componentsFor(config, node, {
      binDir: bin,
      etcd: state.nodes[node.address]?.etcdJoin && !etcds.includes(node) ? state.nodes[node.address]!.etcdJoin! : join,
      certHashes,
      binaryHashes,
    });
  await Promise.all(
    etcds.map((n) =>
      applyUnit(
        conns.get(n.address)!,
        specs(n).find((s) => s.name === 'etcd')!,
        modes.get(n.address)!,
      ),
    ),
  );
  for (const n of etcds) await waitEtcdHealthy(conns.get(n.address)!, bin, n, 120_000);
  const kubeconfig = adminKubeconfig(state.certificatesBundle, config);
  for (const node of controlPlaneNodes(config)) {
    await applyUnit(
      conns.get(node.address)!,
      specs(node).find((s) => s.name === 'kube-apiserver')!,
      modes.get(node.address)!,
    );
    const api = AdminApi.forServer(kubeconfig, `https://${hostPort(node.address)}:6443`);
    try {
      await api.waitReady(120_000, `kube-apiserver on ${node.address}`);
    } finally {
      api.close();
    }
    progress.node(node.address, 'kube-apiserver ready');
  }
  for (const n of etcds) {
    const ns = state.nodes[n.address];
    if (ns) ns.etcdJoin = join;
  }
  for (const [address, ns] of Object.entries(state.nodes)) {
    const node = config.nodes.find((n) => n.address === address);
    if (node) ns.components = Object.fromEntries(specs(node).map((s) => [s.name, s.hash]));
  }
  await writeState(session.paths.state, { desiredState: state, currentState: state });
  progress.step(`restored "${name}"; the safety snapshot is "${safety}"`);
  return { safetySnapshot: safety };
}
