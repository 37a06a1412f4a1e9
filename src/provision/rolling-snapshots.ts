import { createHash } from 'node:crypto';
import { etcdctlCommand } from './components.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import type { NodeIo } from './node-io.js';
import type { Progress } from './progress.js';
import { etcdNodes } from './roles.js';
import { SNAPSHOT_DIR } from './snapshot-dir.js';
import { applyUnit, removeUnit, type SupervisorMode, type UnitSpec } from './supervisor/index.js';

export const ROLLING_UNIT = 'etcd-rolling-snapshots';
/** Recurring snapshots are named with this prefix; retention prunes only these, never a named one. */
export const ROLLING_PREFIX = 'auto_etcd_snapshot_';

/**
 * The recurring-snapshot loop as a supervised unit on each etcd node (RKE ran a sidecar
 * container): every interval_hours, save a snapshot, then keep the newest `retention`.
 * ONCE=1 runs one round and exits (used by tests and by hand).
 */
export function rollingSnapshotScript(config: ClusterConfig, node: NodeConfig): string {
  const { interval_hours, retention } = config.services.etcd.backup_config;
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
    'while :; do',
    `  if [ "\${ONCE:-0}" != 1 ]; then sleep ${Math.round(interval_hours * 3600)} & sp=$!; wait $sp; fi`,
    `  name=${ROLLING_PREFIX}$(date -u +%Y-%m-%dT%H-%M-%SZ)`,
    `  if ${save} >/dev/null; then mv -f ${part} "$dir/$name"; echo "saved $name"; else echo "snapshot failed" >&2; rm -f ${part}; fi`,
    `  ls -1 "$dir" | grep '^${ROLLING_PREFIX}' | sort -r | tail -n +${retention + 1} | while read -r old; do rm -f "$dir/$old"; echo "pruned $old"; done`,
    '  [ "${ONCE:-0}" = 1 ] && exit 0',
    'done',
  ].join('\n');
}

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
  const enabled = config.services.etcd.backup_config.enabled;
  for (const node of etcdNodes(config)) {
    const io = conns.get(node.address)!;
    if (!enabled) {
      await removeUnit(io, ROLLING_UNIT);
      continue;
    }
    const result = await applyUnit(io, rollingSnapshotSpec(config, node), modes.get(node.address)!);
    if (result !== 'unchanged') {
      changed.push(`${node.address}/${ROLLING_UNIT}`);
      progress.node(
        node.address,
        `recurring snapshots ${result}: every ${config.services.etcd.backup_config.interval_hours} h, keep ${config.services.etcd.backup_config.retention}`,
      );
    }
  }
  return changed;
}
