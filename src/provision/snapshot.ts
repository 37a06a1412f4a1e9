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
import { s3UploaderOf } from './rolling-snapshots.js';
import { downloadSnapshot, listObjects, keyPrefix, uploadSnapshot, objectKey, describeObject } from './s3.js';
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
  /** The etcd node's address, or "s3" for a copy in S3-compatible storage. */
  node: string;
  /** The file on the node, or the object's s3://bucket/key. */
  path: string;
  bytes: number;
}

export const S3_NODE = 's3';

function requireState(session: Session) {
  const state = session.current;
  if (!state)
    throw new ProvisionError(`${session.paths.state} not found: run \`corral up\` first (or restore the state file)`);
  return state;
}

/**
 * Saves a snapshot on every etcd node, each from its own member (as RKE does); with
 * s3backupconfig, the first etcd node then uploads its copy (one copy, as RKE keeps).
 */
export async function snapshotSave(session: Session, name: string): Promise<SnapshotInfo[]> {
  checkSnapshotName(name);
  requireState(session);
  const { config, conns, progress } = session;
  const bin = config.corral.binaries.path;
  progress.step(`saving etcd snapshot "${name}"`);
  const saved = await Promise.all(
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
  const s3 = config.services.etcd.backup_config.s3backupconfig;
  const uploader = s3UploaderOf(config);
  if (s3 && uploader) {
    progress.step(`uploading "${name}" to S3 from ${uploader.address}`);
    const local = saved.find((i) => i.node === uploader.address)!;
    const where = await uploadSnapshot(conns.get(uploader.address)!, s3, local.path, name);
    progress.node(uploader.address, `uploaded ${local.path} to ${where}`);
    saved.push({ node: S3_NODE, path: `s3://${s3.bucket_name}/${objectKey(s3, name)}`, bytes: local.bytes });
  }
  return saved;
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
  const s3 = session.config.services.etcd.backup_config.s3backupconfig;
  const uploader = s3UploaderOf(session.config);
  if (s3 && uploader) {
    const prefix = keyPrefix(s3);
    for (const o of await listObjects(session.conns.get(uploader.address)!, s3)) {
      // Only snapshots of this folder, not of folders below it.
      if (!o.key.slice(prefix.length).includes('/'))
        out.push({ node: S3_NODE, path: `s3://${s3.bucket_name}/${o.key}`, bytes: o.bytes });
    }
  }
  return out;
}

/**
 * With s3backupconfig, each etcd node that lacks the snapshot downloads it from S3 first (as RKE
 * does). Absent both there and in S3: refused before anything else happens.
 */
async function fetchMissingFromS3(session: Session, name: string): Promise<void> {
  const s3 = session.config.services.etcd.backup_config.s3backupconfig;
  if (!s3) return;
  const path = `${SNAPSHOT_DIR}/${name}`;
  const lacking: NodeConfig[] = [];
  for (const node of etcdNodes(session.config)) {
    if ((await session.conns.get(node.address)!.run(`test -s ${shellQuote(path)}`)).code !== 0) lacking.push(node);
  }
  for (const node of lacking) {
    const io = session.conns.get(node.address)!;
    await io.run(`mkdir -p ${SNAPSHOT_DIR}`);
    if (!(await downloadSnapshot(io, s3, name, path)))
      throw new ProvisionError(
        `snapshot "${name}" is neither in ${path} on ${io.label} nor in S3 (${describeObject(s3, objectKey(s3, name))}); nothing was changed`,
      );
    session.progress.node(node.address, `downloaded ${describeObject(s3, objectKey(s3, name))} to ${path}`);
  }
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
  await fetchMissingFromS3(session, name);
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
