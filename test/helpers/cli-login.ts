import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CORRAL_BIN } from './cli.js';
import { testDir } from './control-plane.js';
import { eventually } from './eventually.js';
import type { TestServer } from './server.js';

/**
 * Starts `corral login <server> --auth-provider <provider>` (a browser login) in a fresh home and
 * waits for the URL it prints; the test opens it, and then awaits `exited`.
 */
export async function startCliBrowserLogin(server: TestServer, provider: string) {
  const home = await testDir('cli');
  await writeFile(join(home, 'ca.pem'), server.ca);
  const env = { ...process.env, CORRAL_CONFIG: join(home, 'config'), HOME: home };
  const child = spawn(
    process.execPath,
    [CORRAL_BIN, 'login', server.url, '--auth-provider', provider, '--cacert', join(home, 'ca.pem')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const pattern = new RegExp(`(https://\\S+/v3-public/browserLogin/${provider}\\?request=\\S+)`);
  const loginUrl = await eventually(async () => {
    const m = pattern.exec(out);
    if (!m) throw new Error(`no URL yet: ${out}`);
    return m[1]!;
  }, 'the CLI to print the login URL');
  return { loginUrl, exited, out: () => out, configPath: env.CORRAL_CONFIG };
}
