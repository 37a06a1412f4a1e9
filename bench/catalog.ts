// Catalog sync against helm itself, in one run: a generated Helm repository of N charts × 10
// versions served over HTTP; Corral's sync (index, archives for README/questions, templates and
// versions written to the store) against `helm repo update` + `helm search repo` on the same
// repository; then an app install through Corral (helm as the user through the auth proxy) against
// `helm install` straight to the API server. Usage: npm run bench:catalog [-- charts] (default 200).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { binaryPath } from '../src/kube/binaries.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { benchAdmin, rssKiB, startBenchServer, waitUntil, type JsonClient } from './lib/harness.js';

const execFileP = promisify(execFile);
const CHARTS = Number(process.argv[2] ?? 200);
const VERSIONS = 10;
const INSTALLS = 3;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function helmEnv(dir: string) {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    HELM_CACHE_HOME: join(dir, 'cache'),
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_DATA_HOME: join(dir, 'data'),
  };
}

/** Runs helm under GNU time: wall time and peak RSS of the helm process. */
async function timedHelm(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ ms: number; maxKiB: number }> {
  const helm = await binaryPath('helm');
  const t0 = performance.now();
  const r = await execFileP('/usr/bin/time', ['-f', '%M', helm, ...args], { env, maxBuffer: 256 << 20 });
  const ms = performance.now() - t0;
  return { ms, maxKiB: Number(r.stderr.trim().split('\n').pop()) };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-catalog-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    // One real chart (helm create + questions), served under every name and version.
    const env = await helmEnv(join(dir, 'helm'));
    const helm = await binaryPath('helm');
    await execFileP(helm, ['create', join(dir, 'demo')], { env });
    await execFileP(helm, ['package', join(dir, 'demo'), '-d', join(dir, 'pkg')], { env });
    const archive = await readFile(join(dir, 'pkg', (await readdir(join(dir, 'pkg')))[0]!));
    const digest = createHash('sha256').update(archive).digest('hex');
    const entries: Record<string, unknown[]> = {};
    for (let c = 0; c < CHARTS; c++) {
      const name = `chart-${String(c).padStart(4, '0')}`;
      entries[name] = Array.from({ length: VERSIONS }, (_, v) => ({
        apiVersion: 'v2',
        name,
        version: `1.${v}.0`,
        appVersion: '1.16.0',
        description: `Generated chart ${c}`,
        digest,
        created: '2026-01-01T00:00:00Z',
        urls: [`charts/${name}-1.${v}.0.tgz`],
      }));
    }
    const index = stringify({ apiVersion: 'v1', entries, generated: '2026-01-01T00:00:00Z' });
    const repo = createServer((req, res) => {
      if (req.url === '/index.yaml') return void res.writeHead(200).end(index);
      if (req.url?.startsWith('/charts/')) return void res.writeHead(200).end(archive);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => repo.listen(0, '127.0.0.1', r));
    cleanups.unshift(() => new Promise((r) => repo.close(r)));
    const url = `http://127.0.0.1:${(repo.address() as AddressInfo).port}`;
    process.stderr.write(
      `repository: ${CHARTS} charts × ${VERSIONS} versions, index ${(index.length / 1024).toFixed(0)} KiB\n`,
    );

    // Baseline: helm's own repository update and search, in the same run.
    await execFileP(helm, ['repo', 'add', 'bench', url], { env });
    const update = await timedHelm(env, 'repo', 'update', 'bench');
    const search = await timedHelm(env, 'search', 'repo', 'bench/', '-l', '-o', 'json');

    // Corral: a catalog synced by the server's controller.
    const server = await startBenchServer(join(dir, 'server'));
    cleanups.unshift(() => server.stop());
    const { api } = await benchAdmin(server);
    const rssBefore = await rssKiB(server.pid);
    const synced = async (after: string) => {
      let last: Record<string, unknown> = {};
      await waitUntil(
        async () => {
          last = (await api.call('GET', '/v3/catalogs/bench')).json;
          return Boolean(last.lastAttempt) && String(last.lastAttempt) > after;
        },
        'the catalog to sync',
        1_800_000,
      );
      if (last.state !== 'active') throw new Error(`sync failed: ${String(last.message)}`);
      return last;
    };
    let peak = rssBefore;
    const sampler = setInterval(
      () =>
        void rssKiB(server.pid).then(
          (k) => (peak = Math.max(peak, k)),
          () => undefined,
        ),
      100,
    );
    let t0 = performance.now();
    await api.call('POST', '/v3/catalogs', { name: 'bench', url, refreshInterval: 0 });
    const first = await synced('');
    const firstMs = performance.now() - t0;
    t0 = performance.now();
    await api.call('POST', '/v3/catalogs/bench?action=refresh', {});
    await synced(String(first.lastAttempt));
    const againMs = performance.now() - t0;
    clearInterval(sampler);

    console.log(`\ncatalog sync, ${CHARTS} charts × ${VERSIONS} versions`);
    console.log(`  helm repo update:                 ${seconds(update.ms)}  peak RSS ${mib(update.maxKiB)}`);
    console.log(`  helm search repo -l:              ${seconds(search.ms)}  peak RSS ${mib(search.maxKiB)}`);
    console.log(`  helm update + search:             ${seconds(update.ms + search.ms)}`);
    console.log(
      `  corral first sync (archives too): ${seconds(firstMs)}  server RSS ${mib(rssBefore)} → peak ${mib(peak)}  ratio ${(firstMs / (update.ms + search.ms)).toFixed(1)}×`,
    );
    console.log(
      `  corral refresh (unchanged):       ${seconds(againMs)}  ratio ${(againMs / (update.ms + search.ms)).toFixed(1)}×`,
    );

    // App install latency: Corral (helm as the user through the proxy) against helm straight to the API server.
    const cp = await startControlPlane({ dir: join(dir, 'cp'), name: 'bench-catalog' });
    cleanups.unshift(() => cp.stop());
    const kubeConfig = await readFile(cp.kubeconfigPath, 'utf8');
    const clusterId = (await api.call('POST', '/v3/clusters', { name: 'bench', importedConfig: { kubeConfig } })).json
      .id;
    await waitUntil(
      async () => (await api.call('GET', `/v3/clusters/${clusterId}`)).json.state === 'active',
      'the cluster',
    );
    const projectId = (await api.call('POST', '/v3/projects', { name: 'bench', clusterId })).json.id;
    const corralMs: number[] = [];
    const helmMs: number[] = [];
    for (let i = 0; i < INSTALLS; i++) {
      await mkNamespace(api, clusterId, `corral-${i}`, projectId);
      await mkNamespace(api, clusterId, `helm-${i}`, projectId);
      let s = performance.now();
      const created = await api.call('POST', '/v3/apps', {
        name: `a${i}`,
        projectId,
        externalId: 'catalog://?catalog=bench&template=chart-0000&version=1.9.0',
        targetNamespace: `corral-${i}`,
      });
      if (created.status !== 201) throw new Error(created.text);
      await waitUntil(async () => {
        const a = (await api.call('GET', `/v3/apps/${created.json.id}`)).json;
        if (a.state === 'failed') throw new Error(a.message);
        return a.state === 'active';
      }, 'the app');
      corralMs.push(performance.now() - s);
      s = performance.now();
      await execFileP(
        helm,
        ['install', `h${i}`, join(dir, 'demo'), '-n', `helm-${i}`, '--kubeconfig', cp.kubeconfigPath],
        { env },
      );
      helmMs.push(performance.now() - s);
    }
    console.log(`\napp install (no --wait), median of ${INSTALLS}`);
    console.log(`  helm install straight to the API server: ${seconds(median(helmMs))}`);
    console.log(
      `  corral app install (API → helm as the user through the proxy → active): ${seconds(median(corralMs))}  ratio ${(median(corralMs) / median(helmMs)).toFixed(1)}×`,
    );
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

async function mkNamespace(api: JsonClient, clusterId: string, name: string, projectId: string) {
  const r = await api.call('POST', `/v3/cluster/${clusterId}/namespaces`, { name, projectId });
  if (r.status !== 201) throw new Error(r.text);
}

await main();
