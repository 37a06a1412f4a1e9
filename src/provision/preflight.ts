import type { S3BackupConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import { shellQuote } from './files.js';
import type { NodeIo } from './node-io.js';
import { checkBucketAccess, checkS3Config } from './s3.js';

/**
 * Checks a node before anything is changed on it, so that `corral up` can refuse with every
 * problem of every node at once instead of failing halfway. One command gathers the facts; the
 * clock is compared separately because its measurement must be short.
 */

export interface PreflightChecks {
  /** Ports the components will listen on (6443, 2379, 2380, 10250, …). */
  portsMustBeFree: number[];
  /** kubelet refuses to start with swap on unless fail_swap_on is false. */
  needSwapOff: boolean;
  /** Free space needed under /var/lib (etcd data, kubelet). */
  minDiskFreeBytes: number;
  maxClockSkewMs: number;
  requiredCommands: string[];
  /** binaries.source host: binaries that must already be installed and executable on the node. */
  binaries?: { dir: string; names: string[] };
  /** `uname -m` the uploaded binaries need (default x86_64); null when the node's own binaries are used. */
  expectArch?: string | null;
  /** An etcd node that uploads snapshots: it needs curl, and the bucket must answer to the credentials. */
  s3?: S3BackupConfig | null;
}

export interface PreflightProblem {
  /** Which check: arch, ports, swap, disk, clock, commands, binaries, facts, s3. */
  check: string;
  message: string;
}

export interface Listener {
  port: number;
  /** Local address as `ss` prints it, e.g. "0.0.0.0", "[::]", "127.0.0.1". */
  address: string;
  /** e.g. "etcd (pid 812)", when `ss -p` could tell. */
  process?: string;
}

export interface NodeFacts {
  arch: string;
  kernel: string;
  hasSystemd: boolean;
  hostname: string;
  diskFreeBytes: number;
  /** Node clock minus this machine's clock, round trip compensated; positive when the node is ahead. */
  clockSkewMs: number;
  /** Every listening TCP socket, so a caller can tell its own components (a re-run) from strangers. */
  listeners: Listener[];
}

export interface PreflightResult {
  problems: PreflightProblem[];
  facts: NodeFacts;
}

export async function preflight(io: NodeIo, given: PreflightChecks): Promise<PreflightResult> {
  const checks = given.s3 ? { ...given, requiredCommands: [...given.requiredCommands, 'curl'] } : given;
  const problems: PreflightProblem[] = [];
  const result = await io.run(factsScript(checks), { timeoutMs: 30_000 });
  const sections = parseSections(result.stdout);
  const info = parseKeyValues(sections.get('info') ?? '');
  const facts: NodeFacts = {
    arch: info.get('arch') ?? '',
    kernel: info.get('kernel') ?? '',
    hasSystemd: info.get('systemd') === '1',
    hostname: info.get('hostname') ?? '',
    diskFreeBytes: 0,
    clockSkewMs: 0,
    listeners: [],
  };
  if (!facts.arch) {
    problems.push({
      check: 'facts',
      message: `cannot inspect the node (exit code ${result.code}): ${result.stderr.trim().slice(-500) || 'no output'}`,
    });
    return { problems, facts };
  }

  const expectArch = checks.expectArch === undefined ? 'x86_64' : checks.expectArch;
  if (expectArch && facts.arch !== expectArch) {
    problems.push({
      check: 'arch',
      message: `the node is ${facts.arch}, but the binaries Corral uploads are built for ${expectArch}; use ${expectArch} nodes, or install binaries for ${facts.arch} on the nodes and set corral.binaries.source: host`,
    });
  }

  const listenSection = sections.get('ss');
  facts.listeners =
    listenSection !== undefined && listenSection.trim() !== 'unavailable'
      ? parseSsListeners(listenSection)
      : parseProcNetTcp(sections.get('proctcp') ?? '');
  for (const port of checks.portsMustBeFree) {
    const holders = facts.listeners.filter((l) => l.port === port);
    if (holders.length === 0) continue;
    const who = [...new Set(holders.map((h) => h.process).filter(Boolean))].join(', ');
    problems.push({
      check: 'ports',
      message: `port ${port} is already in use${who ? ` by ${who}` : ''} (listening on ${holders.map((h) => h.address).join(', ')}); stop whatever holds it`,
    });
  }

  if (checks.needSwapOff) {
    const swaps = parseSwaps(sections.get('swaps') ?? '');
    if (swaps.length > 0) {
      problems.push({
        check: 'swap',
        message: `swap is on (${swaps.join(', ')}); kubelet will not start with swap: run 'swapoff -a' and remove swap from /etc/fstab, or set services.kubelet.fail_swap_on: false`,
      });
    }
  }

  const disk = parseDf(sections.get('df') ?? '');
  if (!disk) {
    problems.push({ check: 'disk', message: 'cannot tell the free space under /var/lib (df -Pk failed)' });
  } else {
    facts.diskFreeBytes = disk.availableBytes;
    if (disk.availableBytes < checks.minDiskFreeBytes) {
      problems.push({
        check: 'disk',
        message: `only ${gib(disk.availableBytes)} free under /var/lib (filesystem mounted at ${disk.mountPoint}); at least ${gib(checks.minDiskFreeBytes)} is needed for etcd and kubelet`,
      });
    }
  }

  const missing = linesWith(sections.get('commands') ?? '', 'missing');
  if (missing.length > 0) {
    problems.push({
      check: 'commands',
      message: `missing command${missing.length > 1 ? 's' : ''} on the node: ${missing.join(', ')}; install ${missing.length > 1 ? 'them' : 'it'} with the node's package manager`,
    });
  }
  if (checks.binaries) {
    const absent = linesWith(sections.get('binaries') ?? '', 'missing');
    if (absent.length > 0) {
      problems.push({
        check: 'binaries',
        message: `corral.binaries.source is host, but ${checks.binaries.dir} on the node lacks executable ${absent.join(', ')}; install them there or set corral.binaries.source: upload`,
      });
    }
  }

  if (checks.s3 && !missing.includes('curl')) {
    const problem = await s3Problem(io, checks.s3);
    if (problem) problems.push({ check: 's3', message: problem });
  }

  facts.clockSkewMs = await measureClockSkew(io);
  if (Math.abs(facts.clockSkewMs) > checks.maxClockSkewMs) {
    const direction = facts.clockSkewMs > 0 ? 'ahead of' : 'behind';
    problems.push({
      check: 'clock',
      message: `the node's clock is ${Math.abs(facts.clockSkewMs)} ms ${direction} this machine's (at most ${checks.maxClockSkewMs} ms allowed); certificates and etcd need synchronized clocks: enable NTP (chrony, systemd-timesyncd)`,
    });
  }
  return { problems, facts };
}

/** The bucket must answer to the credentials from the node itself, where uploads will come from. */
async function s3Problem(io: NodeIo, s3: S3BackupConfig): Promise<string | null> {
  try {
    checkS3Config(s3);
  } catch (err) {
    if (err instanceof ProvisionError) return err.message;
    throw err;
  }
  return checkBucketAccess(io, s3);
}

/** A POSIX sh script printing `---name` sections; each part tolerates a missing tool. */
function factsScript(checks: PreflightChecks): string {
  const words = (list: string[]) => list.map(shellQuote).join(' ');
  const lines = [
    'echo ---info',
    'echo "arch=$(uname -m)"',
    'echo "kernel=$(uname -r)"',
    'echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"',
    'if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi',
    'echo ---swaps',
    'cat /proc/swaps 2>/dev/null',
    'echo ---df',
    'df -Pk /var/lib 2>/dev/null | tail -n 1',
    'echo ---ss',
    'ss -Htlnp 2>/dev/null || ss -Htln 2>/dev/null || echo unavailable',
    'echo ---proctcp',
    'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null',
    'echo ---commands',
    `for c in ${words(checks.requiredCommands)}; do if command -v "$c" >/dev/null 2>&1; then echo "ok $c"; else echo "missing $c"; fi; done`,
  ];
  if (checks.binaries) {
    lines.push(
      'echo ---binaries',
      `for b in ${words(checks.binaries.names)}; do if [ -x ${shellQuote(checks.binaries.dir)}/"$b" ]; then echo "ok $b"; else echo "missing $b"; fi; done`,
    );
  }
  return lines.join('\n');
}

/**
 * Three samples of the node's clock; the one with the shortest round trip is taken, assuming the
 * node read its clock halfway through it.
 */
async function measureClockSkew(io: NodeIo): Promise<number> {
  let best: { rtt: number; skew: number } | undefined;
  for (let i = 0; i < 3; i++) {
    const sent = Date.now();
    const { stdout } = await io.run('date +%s%N', { timeoutMs: 10_000 });
    const received = Date.now();
    const text = stdout.trim();
    // Without %N support (busybox prints it literally), seconds only.
    const nodeMs = /^\d+$/.test(text) ? Number(BigInt(text) / 1_000_000n) : Number.parseInt(text, 10) * 1000;
    if (!Number.isFinite(nodeMs)) continue;
    const rtt = received - sent;
    if (!best || rtt < best.rtt) best = { rtt, skew: Math.round(nodeMs - (sent + rtt / 2)) };
  }
  return best?.skew ?? 0;
}

export function parseSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    const header = /^---(\w+)$/.exec(line);
    if (header) {
      if (name) sections.set(name, lines.join('\n'));
      name = header[1];
      lines = [];
    } else lines.push(line);
  }
  if (name) sections.set(name, lines.join('\n'));
  return sections;
}

function parseKeyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return map;
}

/** `ss -Htln[p]` lines: State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=N,fd=M),…)]. */
export function parseSsListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[3];
    if (fields[0] !== 'LISTEN' || !local) continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port)) continue;
    const listener: Listener = { port, address: local.slice(0, colon) };
    const users = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => `${m[1]} (pid ${m[2]})`);
    if (users.length > 0) listener.process = [...new Set(users)].join(', ');
    listeners.push(listener);
  }
  return listeners;
}

/** /proc/net/tcp{,6}: sockets in state 0A (LISTEN); addresses are hex, the port after the colon. */
export function parseProcNetTcp(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A' || !fields[1]?.includes(':')) continue;
    const [addr, portHex] = fields[1].split(':');
    listeners.push({ port: Number.parseInt(portHex ?? '', 16), address: hexAddress(addr ?? '') });
  }
  return listeners;
}

function hexAddress(hex: string): string {
  if (hex.length !== 8) return `[${hex}]`;
  // IPv4 in /proc is the 32-bit value in host (little-endian) byte order.
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** /proc/swaps minus its header: "name (size)" of each active swap area. */
export function parseSwaps(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => `${f[0]} (${gib(Number(f[2]) * 1024)})`);
}

/** The data line of `df -Pk`: Filesystem 1024-blocks Used Available Capacity Mounted-on. */
export function parseDf(text: string): { availableBytes: number; mountPoint: string } | undefined {
  const fields = text.trim().split(/\s+/);
  const available = Number(fields[3]);
  if (fields.length < 6 || !Number.isFinite(available)) return undefined;
  return { availableBytes: available * 1024, mountPoint: fields.slice(5).join(' ') };
}

function linesWith(text: string, status: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((f) => f[0] === status && f[1])
    .map((f) => f[1]!);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
