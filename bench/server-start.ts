// Time from spawning `corral server` on an empty data folder until it serves HTTPS, against the
// bare cost of starting Node.js itself, side by side. Usage: npm run bench:server-start [-- runs]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/localcluster/ports.js';
import { packageRoot } from '../src/util/package-root.js';

const runs = Number(process.argv[2] ?? 10);
const bin = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

function timeUntil(args: string[], done: (out: string) => boolean, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const elapsed = performance.now() - t0;
      child.kill('SIGKILL');
      resolve(elapsed);
    };
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (done(out)) finish();
    });
    child.once('exit', (code) => (done(out) || code === 0 ? finish() : reject(new Error(`exited ${code}: ${out}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

const node: number[] = [];
const empty: number[] = [];
const existing: number[] = [];
const root = await mkdtemp(join(tmpdir(), 'corral-bench-start-'));
try {
  const keep = join(root, 'kept');
  for (let i = 0; i < runs; i++) {
    node.push(await timeUntil(['-e', 'process.stdout.write("ready")'], (o) => o.includes('ready')));
    const dir = join(root, `empty-${i}`);
    const args = [bin, 'server', '--data-dir', dir, '--listen', `127.0.0.1:${await freePort()}`];
    empty.push(
      await timeUntil(args, (o) => o.includes('is serving'), { CORRAL_BOOTSTRAP_PASSWORD: 'bench-password-1' }),
    );
    existing.push(
      await timeUntil(
        [bin, 'server', '--data-dir', keep, '--listen', `127.0.0.1:${await freePort()}`],
        (o) => o.includes('is serving'),
        {
          CORRAL_BOOTSTRAP_PASSWORD: 'bench-password-1',
        },
      ),
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
const row = (name: string, xs: number[]) =>
  console.log(`${name.padEnd(40)}${median(xs).toFixed(0).padStart(6)} ms ${max(xs).toFixed(0).padStart(7)} ms`);
console.log(`\ncorral server start to serving HTTPS, ${runs} runs          median      max`);
row('node -e (baseline: Node.js start)', node);
row('corral server, empty data folder', empty);
row('corral server, existing data folder', existing);
console.log(
  `\nempty-store start / Node.js start: ${(median(empty) / median(node)).toFixed(1)}x; aim under 1000 ms: ${median(empty) < 1000 ? 'met' : 'missed'}`,
);
