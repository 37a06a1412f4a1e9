import { execFile, execFileSync } from 'node:child_process';
import { nodesScript } from '../../src/localcluster/dev-real-nodes.js';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { RunOptions, RunResult } from '../../src/provision/node-io.js';

/**
 * Test nodes for the provisioner: a set of network namespaces with their own mount, UTS and PID
 * namespaces and a real sshd each, made by tools/netns/nodes.sh (which needs root).
 */

/** Names of sets made by tests start with this; the global teardown removes leftovers by it. */
export const TEST_SET_PREFIX = 'ctest-';

export interface TestNode {
  index: number;
  /** Netns name and hostname: `<set>-<index>`. */
  name: string;
  /** Where sshd listens (port 22), reachable from this machine. */
  address: string;
  /** The node's private folders seen from this machine: `<hostDir>/etc/kubernetes` is its /etc/kubernetes. */
  hostDir: string;
  /** This machine's pid of the node's PID 1, for entering its namespaces. */
  initPid: number;
  /** The node's sshd host public keys, "type base64" (ed25519, ecdsa). */
  hostKeys: string[];
}

export interface NodeSet {
  name: string;
  /** e.g. 10.77.3.0/24; this machine is the gateway (.1) and node i is .(10+i). */
  subnet: string;
  gateway: string;
  /** The set's bridge on this machine (holds the gateway address). */
  bridge: string;
  /** The set's folder on this machine (keys, per-node folders, sshd logs). */
  dir: string;
  nodes: TestNode[];
  /** ed25519 key that every node accepts for root. */
  privateKeyPath: string;
  /** Empty when the set starts: the nodes' host keys are unknown until something adds them. */
  knownHostsPath: string;
  /**
   * Runs `command` with /bin/sh -c inside node `index` (its network, mount, UTS and PID
   * namespaces) from this machine, for assertions and for disturbing it (kill a process, occupy
   * a port). Never throws for a non-zero exit. A background process must redirect its output, or
   * the call waits for it.
   */
  exec(index: number, command: string, options?: RunOptions): Promise<RunResult>;
  /** Removes the set: processes, namespaces, links, folders. Idempotent. */
  stop(): Promise<void>;
}

export interface StartNodesOptions {
  /** Set name (default: a fresh `ctest-xxxxxx`); keep TEST_SET_PREFIX so leftovers are found. */
  name?: string;
}

interface SetDescription {
  name: string;
  subnet: string;
  gateway: string;
  bridge: string;
  dir: string;
  privateKeyPath: string;
  knownHostsPath: string;
  owner: string;
  nodes: TestNode[];
}

/** Who made a set: the test process and its parent (the test runner), for the global teardown. */
interface Owner {
  pid: number;
  ppid: number;
}

const live = new Set<string>();
let exitHookInstalled = false;

export { nodesScript };

/**
 * Starts `count` nodes. Stop them with `stop()` (typically in afterAll); whatever is left when
 * the process exits, or when the test run ends, is removed too.
 */
export async function startNodes(count: number, opts: StartNodesOptions = {}): Promise<NodeSet> {
  const name = opts.name ?? TEST_SET_PREFIX + randomBytes(4).readUInt32BE(0).toString(36);
  const owner: Owner = { pid: process.pid, ppid: process.ppid };
  installExitHook();
  live.add(name);
  let stdout: string;
  try {
    stdout = await runScript(['up', name, String(count), '--owner', JSON.stringify(owner)]);
  } catch (err) {
    live.delete(name);
    throw err;
  }
  const desc = JSON.parse(stdout) as SetDescription;
  return {
    name: desc.name,
    subnet: desc.subnet,
    gateway: desc.gateway,
    bridge: desc.bridge,
    dir: desc.dir,
    nodes: desc.nodes,
    privateKeyPath: desc.privateKeyPath,
    knownHostsPath: desc.knownHostsPath,
    exec: (index, command, options) => {
      const node = desc.nodes[index];
      if (!node) throw new Error(`node set ${name} has no node ${index}`);
      return execInNode(node, command, options);
    },
    stop: async () => {
      await runScript(['down', name]);
      live.delete(name);
    },
  };
}

const NODE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', USER: 'root' };

function execInNode(node: TestNode, command: string, options: RunOptions = {}): Promise<RunResult> {
  // `timeout` inside the node kills the command's whole process group; killing nsenter would not.
  const limit = options.timeoutMs ? ['timeout', '-s', 'KILL', (options.timeoutMs / 1000).toFixed(3)] : [];
  const args = ['--target', String(node.initPid), '--net', '--mount', '--uts', '--pid', '--', ...limit];
  args.push('/bin/sh', '-c', command);
  return new Promise((resolve) => {
    const child = execFile(
      'nsenter',
      args,
      // The environment a root login on the node gets, not this test process's.
      { cwd: '/', env: NODE_ENV, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        // Killed by a signal (nsenter passes on how its child ended): 128 + its number, as in a shell.
        const signal = err?.signal ? (constants.signals[err.signal] ?? 0) : 0;
        const code = err ? (typeof err.code === 'number' ? err.code : signal ? 128 + signal : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A command that does not read its input may exit before it is written.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

function runScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(nodesScript(), args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`nodes.sh ${args.slice(0, 2).join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A test process that dies without stopping its sets (a failed assertion, a timeout) still removes them. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) {
      try {
        execFileSync(nodesScript(), ['down', name], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort: the global teardown tries again
      }
    }
  });
}

/** known_hosts lines trusting every node of the set (as `ssh-keyscan` would give them). */
export function knownHostsFor(set: Pick<NodeSet, 'nodes'>): string {
  return set.nodes.flatMap((n) => n.hostKeys.map((key) => `${n.address} ${key}\n`)).join('');
}

/**
 * For the test run's global teardown: removes test sets made by this run (their owner's parent
 * is this process) and those whose test process is gone (a crash of an earlier run). Sets of
 * other runs still going on this machine are left alone.
 */
export async function removeLeftoverNodeSets(): Promise<void> {
  let sets: SetDescription[];
  try {
    sets = JSON.parse(await runScript(['ls', '--json'])) as SetDescription[];
  } catch {
    return; // not root or no nodes.sh: no sets could have been made either
  }
  for (const set of sets) {
    if (!set.name.startsWith(TEST_SET_PREFIX)) continue;
    let owner: Partial<Owner> = {};
    try {
      owner = JSON.parse(set.owner) as Owner;
    } catch {
      // no owner recorded: a set whose `up` crashed early
    }
    const ours = owner.pid === process.pid || owner.ppid === process.pid;
    if (ours || !owner.pid || !(await isAlive(owner.pid))) await runScript(['down', set.name]).catch(() => {});
  }
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    // Field 3 of /proc/<pid>/stat is the state; a zombie is dead (nothing here reaps orphans).
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
