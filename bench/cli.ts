// Startup time of the corral CLI: `corral --help` and `corral clusters ls` against a running server
// (one imported cluster), beside `node -e ''` as the baseline, each the median of N runs.
// Usage: npm run bench:cli [-- runs]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/localcluster/ports.js';
import { packageRoot } from '../src/util/package-root.js';

const runs = Number(process.argv[2] ?? 20);
const bin = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const PASSWORD = 'bench-password-1';

function run(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ ms, out });
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

function post(url: string, ca: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(new URL(path, url), { method: 'POST', headers, ca }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = await mkdtemp(join(tmpdir(), 'corral-bench-cli-'));
let server: ChildProcess | undefined;
try {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const dataDir = join(root, 'data');
  server = spawn(process.execPath, [bin, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, CORRAL_BOOTSTRAP_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('is serving')) resolve();
    });
    server!.once('exit', (code) => reject(new Error(`corral server exited ${code}`)));
  });
  const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  const login = await post(url, ca, '/v3-public/localProviders/local?action=login', {
    username: 'admin',
    password: PASSWORD,
  });
  const token = String(login.token);
  await post(
    url,
    ca,
    '/v3/users?action=changepassword',
    { currentPassword: PASSWORD, newPassword: `${PASSWORD}x` },
    token,
  );
  await post(url, ca, '/v3/clusters', { name: 'bench' }, token);
  const env = { CORRAL_CONFIG: join(root, 'config') };
  const checksum = createHash('sha256').update(ca).digest('hex');
  await run([bin, 'login', url, '--token', token, '--ca-checksum', checksum], env);

  const node: number[] = [];
  const help: number[] = [];
  const ls: number[] = [];
  await run([bin, 'clusters', 'ls'], env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    node.push((await run(['-e', ''])).ms);
    help.push((await run([bin, '--help'])).ms);
    const r = await run([bin, 'clusters', 'ls'], env);
    if (!r.out.includes('bench')) throw new Error(`clusters ls did not list the cluster: ${r.out}`);
    ls.push(r.ms);
  }
  const row = (name: string, xs: number[]) =>
    console.log(
      `${name.padEnd(44)}${median(xs).toFixed(0).padStart(6)} ms   +${(median(xs) - median(node)).toFixed(0).padStart(4)} ms`,
    );
  console.log(`\ncorral CLI start, median of ${runs} runs                 median   over node`);
  row("node -e '' (baseline: Node.js start)", node);
  row('corral --help', help);
  row('corral clusters ls (HTTPS to a local server)', ls);
} finally {
  server?.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
}
