// Time from startControlPlane() to kube-apiserver /readyz, and to a working controller manager,
// for a cold start (page cache dropped, so the binaries come from disk) and a warm one, side by
// side in one run. Usage: npm run bench:control-plane-start [-- runs]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../src/localcluster/control-plane.js';

interface Sample {
  readyzMs: number;
  controllersMs: number;
}

async function dropPageCache(): Promise<boolean> {
  try {
    execSync('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

async function measure(root: string, nodes: number): Promise<Sample> {
  const dir = await mkdtemp(join(root, 'cp-'));
  const t0 = performance.now();
  let readyzAt = 0;
  const cp = await startControlPlane({
    dir,
    nodes,
    onProgress: (m) => {
      if (m === 'starting controllers') readyzAt = performance.now();
    },
  });
  const done = performance.now();
  await cp.stop();
  await rm(dir, { recursive: true, force: true });
  return { readyzMs: readyzAt - t0, controllersMs: done - t0 };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const runs = Number(process.argv[2] ?? 5);
const root = await mkdtemp(join(tmpdir(), 'corral-bench-'));
const results: Record<string, Sample[]> = { cold: [], warm: [], 'warm, 3 kwok nodes + scheduler': [] };
let coldPossible = true;
for (let i = 0; i < runs; i++) {
  if (coldPossible && (await dropPageCache())) results.cold!.push(await measure(root, 0));
  else coldPossible = false;
  results.warm!.push(await measure(root, 0));
  results['warm, 3 kwok nodes + scheduler']!.push(await measure(root, 3));
  process.stderr.write(`run ${i + 1}/${runs} done\n`);
}
await rm(root, { recursive: true, force: true });

console.log(`\ncontrol plane start, ${runs} runs each (median / max)`);
console.log('case                              to /readyz            to controllers healthy');
for (const [name, samples] of Object.entries(results)) {
  if (!samples.length) {
    console.log(`${name.padEnd(34)}not measured (cannot drop the page cache here)`);
    continue;
  }
  const r = stats(samples.map((s) => s.readyzMs));
  const c = stats(samples.map((s) => s.controllersMs));
  console.log(`${name.padEnd(34)}${`${sec(r.median)} / ${sec(r.max)}`.padEnd(22)}${sec(c.median)} / ${sec(c.max)}`);
}
const warm = stats(results.warm!.map((s) => s.readyzMs)).median;
if (results.cold!.length) {
  const cold = stats(results.cold!.map((s) => s.readyzMs)).median;
  console.log(`\ncold / warm (to /readyz, medians): ${(cold / warm).toFixed(2)}x`);
}
console.log(`warm median to /readyz vs the 10 s aim: ${(warm / 10_000).toFixed(2)}x of the budget`);
