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
