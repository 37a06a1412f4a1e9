/**
 * Runs components on a node as supervised processes: under systemd where it runs, otherwise under
 * Corral's own supervisor (a POSIX sh script, see script.ts). Both start the same generated
 * `/opt/rke/units/<name>.run` script, and both are driven through the supervisor script's
 * `--start/--stop/--status` so that one node-side code path answers "is it running".
 * Level-triggered: applying the same unit twice touches nothing the second time.
 */
import type { NodeIo } from '../node-io.js';
import { ProvisionError } from '../errors.js';
import { shellQuote, syncFiles } from '../files.js';
import { pollUntil } from '../../util/poll.js';
import { SUPERVISE_SCRIPT } from './script.js';

export const SUPERVISE_PATH = '/opt/rke/bin/corral-supervise';
export const UNITS_DIR = '/opt/rke/units';
export const RUN_DIR = '/opt/rke/run';
export const LOG_DIR = '/var/log/corral';
export const SYSTEMD_DIR = '/etc/systemd/system';

export type SupervisorMode = 'systemd' | 'corral';

/** What the supervisor needs of a component (a ComponentSpec is one; so is any other long-running command). */
export interface UnitSpec {
  name: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
  files: { path: string; content: string; mode: number }[];
  hash: string;
}

export interface UnitStatus {
  /** The unit's process is alive now. */
  running: boolean;
  /** Something keeps it running: the supervisor (or systemd) is active, even between two restarts. */
  supervised: boolean;
  pid?: number;
  /** Times it was started again after it exited, since it was (re)started by applyUnit. */
  restarts: number;
  /** The hash of the spec it was started from. */
  hash?: string;
}

export const unitLogPath = (name: string): string => `${LOG_DIR}/${name}.log`;
export const systemdUnitName = (name: string): string => `corral-${name}.service`;

/** `auto` picks systemd where it is the init system (RKE's nodes all have it), Corral's supervisor elsewhere. */
export async function detectMode(io: NodeIo, wanted: 'auto' | SupervisorMode): Promise<SupervisorMode> {
  if (wanted === 'corral') return 'corral';
  const res = await io.run('[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && echo systemd');
  const systemd = res.stdout.trim() === 'systemd';
  if (wanted === 'systemd' && !systemd) {
    throw new ProvisionError(
      `${io.label}: corral.supervisor is "systemd" but systemd does not run there; use "auto" or "corral"`,
    );
  }
  return systemd ? 'systemd' : 'corral';
}

/** Installs or updates the supervisor script and its folders. Resolves true when something changed. */
export async function installSupervisor(io: NodeIo): Promise<boolean> {
  const written = await syncFiles(io, [{ path: SUPERVISE_PATH, content: SUPERVISE_SCRIPT, mode: 0o755 }]);
  await check(io, `mkdir -p ${UNITS_DIR} ${RUN_DIR} ${LOG_DIR}`, 'create the supervisor folders');
  return written.length > 0;
}

/**
 * The generated start script: exports the environment and execs the binary, every word
 * single-quoted so that nothing in an argument is interpreted. The `# binary:` line lets the
 * supervisor recognise the process by its command line.
 */
export function runScript(spec: UnitSpec): string {
  checkName(spec.name);
  if (/[\n\r]/.test(spec.binary)) throw new Error(`unit ${spec.name}: binary path contains a line break`);
  const env = Object.entries(spec.env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`unit ${spec.name}: bad environment name "${k}"`);
    return `export ${k}=${shellQuote(v)}`;
  });
  return [
    '#!/bin/sh',
    `# Corral unit ${spec.name}, written by corral up: edits are overwritten.`,
    `# binary: ${spec.binary}`,
    ...env,
    ['exec', shellQuote(spec.binary), ...spec.args.map(shellQuote)].join(' \\\n  '),
    '',
  ].join('\n');
}

/** The systemd unit: the same start script, restarted whatever happens, its output appended to the log. */
export function systemdUnit(spec: UnitSpec): string {
  return [
    '[Unit]',
    `Description=Corral ${spec.name}`,
    'After=network-online.target',
    'Wants=network-online.target',
    // Never give up restarting (systemd's default stops after 5 starts in 10 s).
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    `ExecStart=/bin/sh ${UNITS_DIR}/${spec.name}.run`,
    'Restart=always',
    'RestartSec=2',
    'TimeoutStopSec=10',
    'KillMode=mixed',
    'LimitNOFILE=1048576',
    `StandardOutput=append:${unitLogPath(spec.name)}`,
    'StandardError=inherit',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * Makes the unit run as `spec` says. Unchanged hash and supervised: nothing is touched. Otherwise
 * the component's files and start script are written and it is started, or restarted when it ran
 * from an older spec. Resolves once its process is alive.
 */
export async function applyUnit(
  io: NodeIo,
  spec: UnitSpec,
  mode: SupervisorMode,
): Promise<'unchanged' | 'started' | 'restarted'> {
  const before = await unitStatus(io, spec.name);
  if (before.supervised && before.hash === spec.hash) return 'unchanged';

  const files = [...spec.files, { path: `${UNITS_DIR}/${spec.name}.run`, content: runScript(spec), mode: 0o755 }];
  if (mode === 'systemd') {
    files.push({ path: `${SYSTEMD_DIR}/${systemdUnitName(spec.name)}`, content: systemdUnit(spec), mode: 0o644 });
  }
  const written = await syncFiles(io, files);
  if (mode === 'systemd' && written.some((p) => p.startsWith(SYSTEMD_DIR))) {
    await check(
      io,
      `systemctl daemon-reload && systemctl enable ${systemdUnitName(spec.name)}`,
      `register ${spec.name} with systemd`,
    );
  }
  // --start stops whatever runs first, so it is also the restart.
  await check(io, `${SUPERVISE_PATH} --start ${shellQuote(spec.name)} ${mode}`, `start ${spec.name}`);
  await io.writeFile(`${UNITS_DIR}/${spec.name}.hash`, `${spec.hash}\n`, 0o644);
  try {
    await pollUntil(
      async () => {
        if (!(await unitStatus(io, spec.name)).running) throw new Error('its process is not running');
      },
      { what: `${spec.name} to start`, timeoutMs: 15_000, intervalMs: 200 },
    );
  } catch (err) {
    const log = await io.run(`tail -n 20 ${unitLogPath(spec.name)}`);
    throw new ProvisionError(
      `${io.label}: ${(err as Error).message}; last lines of ${unitLogPath(spec.name)}:\n${log.stdout}`,
    );
  }
  return before.supervised ? 'restarted' : 'started';
}

/** Stops the unit (TERM, KILL after 10 s) and waits until its process is gone; it stays defined. */
export async function stopUnit(io: NodeIo, name: string): Promise<void> {
  checkName(name);
  await check(io, `[ ! -x ${SUPERVISE_PATH} ] || ${SUPERVISE_PATH} --stop ${shellQuote(name)}`, `stop ${name}`, 60_000);
}

/** Stops the unit and forgets it: start script, hash, pid files, systemd unit. Its log stays. */
export async function removeUnit(io: NodeIo, name: string): Promise<void> {
  await stopUnit(io, name);
  const unit = `${SYSTEMD_DIR}/${systemdUnitName(name)}`;
  await check(
    io,
    [
      `if [ -f ${unit} ]; then systemctl disable ${systemdUnitName(name)} >/dev/null 2>&1; rm -f ${unit};`,
      `systemctl daemon-reload 2>/dev/null; fi;`,
      `rm -f ${UNITS_DIR}/${name}.run ${UNITS_DIR}/${name}.hash ${RUN_DIR}/${name}.pid`,
      `${RUN_DIR}/${name}.supervisor.pid ${RUN_DIR}/${name}.restarts`,
    ].join(' '),
    `remove ${name}`,
  );
}

export async function unitStatus(io: NodeIo, name: string): Promise<UnitStatus> {
  checkName(name);
  const res = await io.run(`[ ! -x ${SUPERVISE_PATH} ] || ${SUPERVISE_PATH} --status ${shellQuote(name)}`);
  if (res.code !== 0) throw new ProvisionError(`${io.label}: status of ${name}: ${res.stderr.trim() || res.stdout}`);
  return parseStatus(res.stdout);
}

export function parseStatus(text: string): UnitStatus {
  const fields = new Map(
    text
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const pid = Number(fields.get('pid'));
  const status: UnitStatus = {
    running: fields.get('running') === '1',
    supervised: fields.get('supervised') === '1',
    restarts: Number(fields.get('restarts')) || 0,
  };
  if (Number.isInteger(pid) && pid > 0) status.pid = pid;
  if (fields.get('hash')) status.hash = fields.get('hash');
  return status;
}

/** Names of the units defined on the node (running or not). */
export async function listUnits(io: NodeIo): Promise<string[]> {
  const res = await io.run(`[ ! -x ${SUPERVISE_PATH} ] || ${SUPERVISE_PATH} --list`);
  if (res.code !== 0) throw new ProvisionError(`${io.label}: listing units: ${res.stderr.trim()}`);
  return res.stdout.split('\n').filter(Boolean).sort();
}

// Names end up in paths and shell words: keep them plain.
function checkName(name: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{0,62}$/.test(name)) throw new Error(`bad unit name "${name}"`);
}

async function check(io: NodeIo, command: string, what: string, timeoutMs = 30_000): Promise<void> {
  const res = await io.run(command, { timeoutMs });
  if (res.code !== 0) {
    throw new ProvisionError(`${io.label}: could not ${what}: ${(res.stderr || res.stdout).trim().slice(-1000)}`);
  }
}
