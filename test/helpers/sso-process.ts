import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { pollUntil } from '../../src/util/poll.js';

/**
 * Runs one of the identity providers tools/sso/build.sh builds, waits until its log shows `ready`,
 * and stops it when the test ends. Returns its log so far, for failure messages.
 */
export async function runSsoTool(name: string, env: Record<string, string>, ready: RegExp): Promise<() => string> {
  const bin = process.env.CORRAL_SSO_BIN_DIR ?? join(packageRoot(), '.cache', 'sso', 'bin');
  const child = spawn(join(bin, name), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  let exit: number | null | undefined;
  child.once('exit', (code) => (exit = code));
  child.once('error', (err) => {
    log += `cannot run ${bin}/${name} (npm run sso:build builds it): ${String(err)}`;
    exit = -1;
  });
  onTestFinished(async () => {
    if (exit !== undefined) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  });
  await pollUntil(
    async () => {
      if (!ready.test(log)) throw new Error('not serving yet');
    },
    {
      what: `${name} to serve`,
      timeoutMs: 20_000,
      intervalMs: 50,
      abortIf: () => {
        if (exit !== undefined) throw new Error(`${name} exited with ${exit}:\n${log}`);
      },
    },
  );
  return () => log;
}
