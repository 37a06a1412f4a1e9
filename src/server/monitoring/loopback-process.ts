import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../../localcluster/ports.js';
import { pollUntil } from '../../util/poll.js';
import type { Logger } from '../log.js';

/**
 * A helper program Corral runs beside the server on a free loopback port (Alertmanager,
 * Prometheus): started, waited for on its `/-/ready`, told of its exit (logged with the end of its
 * stderr), stopped with SIGTERM then SIGKILL.
 */
export class LoopbackProcess {
  private child?: ChildProcess;
  private port = 0;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    /** Told when the process exits on its own (not through stop()). */
    private readonly onExit: () => void = () => undefined,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * `pidFile` remembers the process: one left running by a server that was killed (children
   * outlive a SIGKILLed parent) is ended at the next start, when its command line still names
   * `marker` (its own data folder), so an unrelated process that reused the pid is left alone.
   */
  async start(
    bin: string,
    args: (listen: string) => string[],
    readyTimeoutMs: number,
    pidFile: string,
    marker: string,
  ): Promise<void> {
    await killLeftover(pidFile, marker);
    this.port = await freePort();
    let stderr = '';
    const child = spawn(bin, args(`127.0.0.1:${this.port}`), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit();
      this.log.warn(`${this.name} exited`, { code, signal, stderr: stderr.slice(-500) });
    });
    this.child = child;
    await writeFile(pidFile, String(child.pid), { mode: 0o600 });
    await pollUntil(
      async () => {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) throw new Error(`not ready: ${res.status}`);
      },
      {
        what: `${this.name} to start`,
        timeoutMs: readyTimeoutMs,
        intervalMs: 100,
        abortIf: () => {
          if (child.exitCode !== null) throw new Error(`${this.name} exited: ${stderr.trim().slice(-500)}`);
        },
      },
    );
    this.log.info(`${this.name} started`, { port: this.port });
  }

  /** POST /-/reload after its configuration files changed. */
  async reload(): Promise<void> {
    const res = await fetch(`${this.url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${this.name} refused its new configuration: ${(await res.text()).trim()}`);
  }

  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function killLeftover(pidFile: string, marker: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.includes(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  await rm(pidFile, { force: true });
}
