import { createHash } from 'node:crypto';
import { etcdctlCommand } from './components.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import type { NodeIo } from './node-io.js';
import type { Progress } from './progress.js';
import { etcdNodes } from './roles.js';
import { endpointUrl, keyPrefix, rollingS3Functions, S3_CA_PATH, S3_DIR, s3NodeFiles } from './s3.js';
import { SNAPSHOT_DIR } from './snapshot-dir.js';
import { shellQuote, syncFiles } from './files.js';
import { applyUnit, removeUnit, type SupervisorMode, type UnitSpec } from './supervisor/index.js';

export const ROLLING_UNIT = 'etcd-rolling-snapshots';
/** Recurring snapshots are named with this prefix; retention prunes only these, never a named one. */
export const ROLLING_PREFIX = 'auto_etcd_snapshot_';

/**
 * The recurring-snapshot loop as a supervised unit on each etcd node (RKE ran a sidecar
 * container): every interval_hours, save a snapshot, then keep the newest `retention`. With
 * s3backupconfig the first etcd node also uploads its snapshot and prunes the S3 copies to
 * `retention` (one copy per round, as RKE keeps; every member's snapshot holds the same data). The
 * credentials are read from a 0600 file, never put in this script: it is the unit's command line.
 * ONCE=1 runs one round and exits (used by tests and by hand).
 */
export function rollingSnapshotScript(config: ClusterConfig, node: NodeConfig): string {
  const { interval_hours, retention } = config.services.etcd.backup_config;
  const s3 = s3UploaderOf(config) === node ? config.services.etcd.backup_config.s3backupconfig : null;
  // A fixed temporary name: the command is built (and quoted) once, without shell expansion.
  const part = `${SNAPSHOT_DIR}/.rolling.part`;
  const save = etcdctlCommand(config.corral.binaries.path, node, ['snapshot', 'save', part]);
  return [
    'set -u',
    // sleep runs in the background so that a stop (TERM to this shell) ends it too, not just the shell.
    "trap 'kill $sp 2>/dev/null; exit 0' TERM INT",
    'sp=',
    `dir=${SNAPSHOT_DIR}`,
    'mkdir -p "$dir"',
    ...(s3 ? rollingS3Functions(s3, ROLLING_PREFIX) : []),
    'while :; do',
    `  if [ "\${ONCE:-0}" != 1 ]; then sleep ${Math.round(interval_hours * 3600)} & sp=$!; wait $sp; fi`,
    `  name=${ROLLING_PREFIX}$(date -u +%Y-%m-%dT%H-%M-%SZ)`,
    `  if ${save} >/dev/null; then mv -f ${part} "$dir/$name"; echo "saved $name";${s3 ? ' s3put "$dir/$name" "$name";' : ''}`,
    `  else echo "snapshot failed" >&2; rm -f ${part}; fi`,
    `  ls -1 "$dir" | grep '^${ROLLING_PREFIX}' | sort -r | tail -n +${retention + 1} | while read -r old; do rm -f "$dir/$old"; echo "pruned $old"; done`,
    ...(s3 ? [`  s3prune ${retention}`] : []),
    '  [ "${ONCE:-0}" = 1 ] && exit 0',
    'done',
  ].join('\n');
}

/** The etcd node that uploads snapshots to S3 (save and the recurring loop): the first one listed. */
export const s3UploaderOf = (config: ClusterConfig): NodeConfig | undefined =>
  config.services.etcd.backup_config.s3backupconfig ? etcdNodes(config)[0] : undefined;

export function rollingSnapshotSpec(config: ClusterConfig, node: NodeConfig): UnitSpec {
  const script = rollingSnapshotScript(config, node);
  return {
    name: ROLLING_UNIT,
    binary: '/bin/sh',
    args: ['-c', script],
    env: {},
    files: [],
    hash: createHash('sha256').update(script).digest('hex'),
  };
}

export async function reconcileRollingSnapshots(
  config: ClusterConfig,
  conns: Map<string, NodeIo>,
  modes: Map<string, SupervisorMode>,
  progress: Progress,
): Promise<string[]> {
  const changed: string[] = [];
  const { enabled, s3backupconfig: s3 } = config.services.etcd.backup_config;
  const etcds = etcdNodes(config);
  const uploader = enabled ? s3UploaderOf(config) : undefined;
  // The credentials file lives only where the loop uploads: gone with S3, the loop or that role.
  for (const node of config.nodes.filter((n) => n !== uploader)) {
    const io = conns.get(node.address)!;
    if ((await io.run(`test -d ${S3_DIR}`)).code === 0) {
      await io.run(`rm -rf ${shellQuote(S3_DIR)}`);
      changed.push(`${node.address}:${S3_DIR}-removed`);
    }
  }
  for (const node of etcds) {
    const io = conns.get(node.address)!;
    if (!enabled) {
      await removeUnit(io, ROLLING_UNIT);
      continue;
    }
    // Before the unit (re)starts, so that its first round already finds them.
    if (s3 && node === uploader) {
      changed.push(...(await syncFiles(io, s3NodeFiles(s3))).map((p) => `${node.address}:${p}`));
      if (!s3.custom_ca) await io.run(`rm -f ${S3_CA_PATH}`);
    }
    const result = await applyUnit(io, rollingSnapshotSpec(config, node), modes.get(node.address)!);
    if (result !== 'unchanged') {
      changed.push(`${node.address}/${ROLLING_UNIT}`);
      progress.node(
        node.address,
        `recurring snapshots ${result}: every ${config.services.etcd.backup_config.interval_hours} h, keep ${config.services.etcd.backup_config.retention}` +
          (s3 && node === uploader
            ? `, uploaded to s3://${s3.bucket_name}/${keyPrefix(s3)} at ${endpointUrl(s3)}`
            : ''),
      );
    }
  }
  return changed;
}
