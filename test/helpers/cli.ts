import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built `corral` executable, as a user runs it (npm test builds dist/ first). */
export const CORRAL_BIN = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/** Runs the real `corral` executable in a subprocess and collects its output and exit code. */
export function corral(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runProgram(process.execPath, [CORRAL_BIN, ...args], { env: { ...process.env, ...env } });
}

/** Runs a program with `env` as its whole environment and `input` as its standard input. */
export function runProgram(
  bin: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; input?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    // 'close', not 'exit': the output streams are complete only then.
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export interface LoggedInCli {
  /** Runs `corral args…` with this home's config; `input` is its stdin. */
  run(args: string[], input?: string): Promise<CliResult>;
  /** The same, throwing with the output unless it exits 0; resolves with its stdout. */
  ok(args: string[], input?: string): Promise<string>;
  home: string;
}

/**
 * The built `corral` in a home of its own (config, HOME, TMPDIR), logged in to `server` once per
 * entry of `logins` (name → token), trusting the server's CA as `corral login --cacert` saves it.
 */
export async function loggedInCli(
  server: { url: string; ca: string },
  logins: Record<string, string>,
  home: string,
): Promise<LoggedInCli> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(home, 'tmp'), { recursive: true });
  await writeFile(join(home, 'ca.pem'), server.ca);
  const env = { ...process.env, CORRAL_CONFIG: join(home, 'config'), HOME: home, TMPDIR: join(home, 'tmp') };
  const run = (args: string[], input?: string) =>
    runProgram(process.execPath, [CORRAL_BIN, ...args], { env, ...(input === undefined ? {} : { input }) });
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  for (const [name, token] of Object.entries(logins))
    await ok(['login', server.url, '--token', token, '--cacert', join(home, 'ca.pem'), '--name', name]);
  return { run, ok, home };
}
