import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  /** Component name, for messages and the log file. */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Detached processes get their own session and outlive this Node process (`corral dev cluster
   * up` returns while the cluster keeps running); others die with the test that started them.
   */
  detached?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Set once the process has exited. */
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
}

export function startProcess(spec: ProcessSpec): ManagedProcess {
  const fd = openSync(spec.logFile, 'a', 0o600);
  try {
    const child = spawn(spec.command, spec.args, {
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      detached: spec.detached ?? false,
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${spec.name} (${spec.command})`);
    }
    if (spec.detached) child.unref();
    const managed: ManagedProcess = {
      name: spec.name,
      pid: child.pid,
      logFile: spec.logFile,
      exited: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          managed.exit = { code, signal };
          resolve(managed.exit);
        });
      }),
    };
    return managed;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a process is running. A zombie (exited, not yet reaped: orphans of a detached dev
 * cluster wait on a pid 1 that may never reap them) is not: it holds no ports or files.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The command line of a running process, or undefined when it is gone. */
export async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Stops a process by pid: SIGTERM, then SIGKILL after `graceMs`. Works for processes this Node
 * process did not start (a dev cluster started by an earlier command).
 */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(pid)) await sleep(20);
}

export async function stopProcess(p: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (p.exit) return;
  await stopPid(p.pid, graceMs);
  // Our own child: wait until Node has reaped it, so no zombie outlives stop().
  await p.exited;
}

/** The last `lines` lines of a log file, for error messages. */
export async function tailLog(path: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
