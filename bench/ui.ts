// The web UI in headless Chromium, side by side with its baseline in the same run: time from
// navigation start to the clusters table's rows, and to a 10,000-pod list fully loaded (rows
// visible, count 10,000), against the time the same 10,000 pods take to arrive as JSON with a
// plain fetch from the same page; and the size of the built JS and CSS, gzipped.
// Usage: npm run bench:ui  (builds the server and the UI first)
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext } from 'playwright-core';
import { binaryPath } from '../src/kube/binaries.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { packageRoot } from '../src/util/package-root.js';
import { benchAdmin, ms, startBenchServer, waitUntil } from './lib/harness.js';
import { kubeTargetFromKubeconfig } from '../src/kube/kubeconfig-target.js';
import { upstreamJson } from '../src/kube/upstream-client.js';
import { upstreamFor } from '../src/kube/upstream.js';
import { createPods, podName } from './lib/pods.js';
import { TABLE_ACCEPT } from '../src/kube/table.js';

const execFileP = promisify(execFile);
const PODS = 10_000;
const RUNS = 5;
const CLUSTER = 'bench-ui';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** JS and CSS of the built UI, raw and gzipped (level 9, as a server would serve them). */
async function bundleSize(): Promise<{ raw: number; gzip: number; entryGzip: number; files: number }> {
  const dir = join(packageRoot(), 'ui', 'dist');
  const assets = (await readdir(join(dir, 'assets'))).filter((f) => /\.(js|css)$/.test(f));
  const index = await readFile(join(dir, 'index.html'), 'utf8');
  let raw = 0;
  let gzip = 0;
  let entryGzip = 0;
  for (const f of assets) {
    const data = await readFile(join(dir, 'assets', f));
    const z = gzipSync(data, { level: 9 }).length;
    raw += data.length;
    gzip += z;
    // What the first page needs: the files index.html names (lazy chunks load later).
    if (index.includes(f)) entryGzip += z;
  }
  return { raw, gzip, entryGzip, files: assets.length };
}

/**
 * Opens `path` in a fresh page and returns the page's own clock (ms since navigation start) at
 * the first moment `ready` holds, observed by a MutationObserver installed before any script runs.
 */
async function timeToRender(
  context: BrowserContext,
  baseUrl: string,
  path: string,
  ready: string,
  first = ready,
): Promise<{ first: number; ready: number }> {
  const page = await context.newPage();
  try {
    await page.addInitScript(`(() => {
      const first = () => { ${first} };
      const ready = () => { ${ready} };
      const check = () => {
        if (window.__first === undefined && first()) window.__first = performance.now();
        if (window.__ready === undefined && ready()) { window.__ready = performance.now(); observer.disconnect(); }
      };
      const observer = new MutationObserver(check);
      observer.observe(document, { childList: true, subtree: true, characterData: true });
    })();`);
    await page.goto(new URL(path, baseUrl).toString());
    // Functions, not strings: the page's Content-Security-Policy forbids eval.
    await page.waitForFunction(() => (globalThis as { __ready?: number }).__ready !== undefined, undefined, {
      timeout: 120_000,
      polling: 50,
    });
    return await page.evaluate(() => {
      const g = globalThis as { __first?: number; __ready?: number };
      return { first: g.__first ?? g.__ready!, ready: g.__ready! };
    });
  } finally {
    await page.close();
  }
}

/**
 * The baselines: the same pods with fetch from a page of the same origin, as whole objects (one
 * request, or pages of 500), or as the Table rows the list view asks for (pages of 500).
 */
async function fetchPods(
  context: BrowserContext,
  baseUrl: string,
  clusterId: string,
  mode: 'whole' | 'paged' | 'table',
): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(new URL('/clusters', baseUrl).toString());
    return await page.evaluate(
      async ({ clusterId, mode, expected, accept }) => {
        const base = `/k8s/clusters/${clusterId}/api/v1/namespaces/scale/pods`;
        const t0 = performance.now();
        let count = 0;
        let cont = '';
        do {
          const q = new URLSearchParams();
          if (mode !== 'whole') q.set('limit', '500');
          if (cont) q.set('continue', cont);
          if (mode === 'table') q.set('includeObject', 'None');
          const r = await fetch(`${base}?${q}`, {
            credentials: 'same-origin',
            headers: mode === 'table' ? { accept } : {},
          });
          const list = (await r.json()) as { items?: unknown[]; rows?: unknown[]; metadata: { continue?: string } };
          count += (list.items ?? list.rows ?? []).length;
          cont = list.metadata.continue ?? '';
        } while (cont);
        if (count !== expected) throw new Error(`fetched ${count} pods`);
        return performance.now() - t0;
      },
      { clusterId, mode, expected: PODS, accept: TABLE_ACCEPT },
    );
  } finally {
    await page.close();
  }
}

/**
 * Churn: with the 10,000-pod list open and live, `changes` label patches hit the pods (straight
 * to the API server, 24 at a time); the page records the gap between animation frames meanwhile.
 */
async function churn(
  context: BrowserContext,
  baseUrl: string,
  path: string,
  kubeconfigPath: string,
  changes: number,
): Promise<{ perSecond: number; p50: number; p95: number; max: number; longTasks: number }> {
  const page = await context.newPage();
  const { upstream, close } = upstreamFor(kubeTargetFromKubeconfig(await readFile(kubeconfigPath, 'utf8')));
  try {
    // A page that is not in front gets no animation frames.
    await page.bringToFront();
    await page.goto(new URL(path, baseUrl).toString());
    await page.getByText('10,000 of 10,000').waitFor({ timeout: 120_000 });
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.evaluate(() => {
      // Runs in the page; Node's types know neither frames nor long tasks.
      const g = globalThis as unknown as {
        gaps: number[];
        long: number;
        benchDone?: boolean;
        requestAnimationFrame(cb: (t: number) => void): number;
      };
      g.gaps = [];
      g.long = 0;
      let last = performance.now();
      const tick = (t: number) => {
        g.gaps.push(t - last);
        last = t;
        if (!g.benchDone) g.requestAnimationFrame(tick);
      };
      g.requestAnimationFrame(tick);
      new PerformanceObserver((l) => (g.long += l.getEntries().length)).observe({
        type: 'longtask' as 'mark',
      });
    });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        for (let i = next++; i < changes; i = next++) {
          await upstreamJson(upstream, 'PATCH', `/api/v1/namespaces/scale/pods/${podName(i % PODS)}`, {
            body: { metadata: { labels: { churn: String(i) } } },
            headers: { 'content-type': 'application/merge-patch+json' },
            timeoutMs: 30_000,
          });
        }
      }),
    );
    const perSecond = changes / ((performance.now() - t0) / 1000);
    // Events arrive in order: once a pod created after the last change shows, every change has.
    await upstreamJson(upstream, 'POST', '/api/v1/namespaces/scale/pods', {
      body: {
        metadata: { name: 'churn-marker' },
        spec: { containers: [{ name: 'app', image: 'registry.invalid/x' }] },
      },
    });
    await page.getByText('10,001 of 10,001').waitFor({ timeout: 120_000 });
    const frames = await page.evaluate(() => {
      const g = globalThis as unknown as { gaps: number[]; long: number; benchDone?: boolean };
      g.benchDone = true;
      return { gaps: g.gaps.slice(1), long: g.long };
    });
    const gaps = frames.gaps.sort((a, b) => a - b);
    if (gaps.length < 10) throw new Error(`only ${gaps.length} animation frames ran during the churn`);
    return {
      perSecond,
      p50: gaps[Math.floor(gaps.length / 2)]!,
      p95: gaps[Math.floor(gaps.length * 0.95)]!,
      max: gaps[gaps.length - 1]!,
      longTasks: frames.long,
    };
  } finally {
    close();
    await page.close();
  }
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-ui-'));
const cp = await startControlPlane({ dir: join(root, 'cp'), name: 'bench' });
const server = await startBenchServer(join(root, 'server'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const { api } = await benchAdmin(server);
  const cluster = await api.call('POST', '/v3/clusters', {
    name: CLUSTER,
    importedConfig: { kubeConfig: await readFile(cp.kubeconfigPath, 'utf8') },
  });
  const clusterId = cluster.json.id as string;
  await waitUntil(
    async () => (await api.call('GET', `/v3/clusters/${clusterId}`)).json.state === 'active',
    'cluster active',
  );
  const kubectl = await binaryPath('kubectl');
  await execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, 'create', 'namespace', 'scale']);
  const c0 = performance.now();
  await createPods(cp.kubeconfigPath, 'scale', PODS);
  console.log(`created ${PODS} pods in ${ms(performance.now() - c0)}`);

  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  // A cookie session, as the login page would get.
  const login = await context.newPage();
  await login.goto(new URL('/login', server.url).toString());
  const status = await login.evaluate(async () => {
    const r = await fetch('/v3-public/localProviders/local?action=login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'bench-admin-password-2', responseType: 'cookie' }),
    });
    return r.status;
  });
  if (status !== 200) throw new Error(`cookie login answered ${status}`);
  await login.close();

  const clustersReady = `return [...document.querySelectorAll('tbody tr')].some((tr) => tr.textContent.includes('${CLUSTER}'));`;
  const podsReady =
    "const c = document.querySelector('.data-table-count'); return !!c && c.textContent.startsWith('10,000 of 10,000') && !!document.querySelector('tbody tr[data-index] a');";
  const podsFirst = "return !!document.querySelector('tbody tr[data-index] a');";
  const podsPath = `/c/${clusterId}/pods?ns=scale`;

  // One of each first: the browser's cache then holds the hashed assets, as for a returning user.
  const coldClusters = await timeToRender(context, server.url, '/clusters', clustersReady);
  const coldPods = await timeToRender(context, server.url, podsPath, podsReady, podsFirst);
  const rows: { what: string; times: number[] }[] = [
    { what: 'clusters page: first rows', times: [] },
    { what: `${PODS.toLocaleString('en-US')}-pod list: first rows`, times: [] },
    { what: `${PODS.toLocaleString('en-US')}-pod list: all, count ${PODS}`, times: [] },
    { what: `baseline: fetch ${PODS} pods as JSON, one request`, times: [] },
    { what: `baseline: fetch ${PODS} pods as JSON, pages of 500`, times: [] },
    { what: `baseline: fetch ${PODS} pods as Table rows, pages of 500`, times: [] },
  ];
  for (let i = 0; i < RUNS; i++) {
    rows[0]!.times.push((await timeToRender(context, server.url, '/clusters', clustersReady)).ready);
    const pods = await timeToRender(context, server.url, podsPath, podsReady, podsFirst);
    rows[1]!.times.push(pods.first);
    rows[2]!.times.push(pods.ready);
    rows[3]!.times.push(await fetchPods(context, server.url, clusterId, 'whole'));
    rows[4]!.times.push(await fetchPods(context, server.url, clusterId, 'paged'));
    rows[5]!.times.push(await fetchPods(context, server.url, clusterId, 'table'));
  }
  const size = await bundleSize();
  const churned = await churn(context, server.url, podsPath, cp.kubeconfigPath, 3000);

  console.log(`\nheadless Chromium, ${RUNS} runs each after one cold run, median (min)`);
  console.table(
    rows.map((r) => ({
      measure: r.what,
      median: ms(median(r.times)),
      min: ms(Math.min(...r.times)),
    })),
  );
  console.log(
    `cold (first visit, empty cache): clusters ${ms(coldClusters.ready)}, 10,000 pods first rows ${ms(coldPods.first)}, all ${ms(coldPods.ready)}`,
  );
  const pods = median(rows[2]!.times);
  console.log(
    `10,000-pod list (all) vs plain fetch: ${(pods / median(rows[3]!.times)).toFixed(2)}x one request, ` +
      `${(pods / median(rows[4]!.times)).toFixed(2)}x the same pages of 500; ` +
      `${(pods / median(rows[5]!.times)).toFixed(2)}x the rows it fetches (pages of 500 as Table)`,
  );
  console.log(
    `churn on the open 10,000-pod list: ${churned.perSecond.toFixed(0)} pod changes/s; frame gap ` +
      `p50 ${ms(churned.p50)}, p95 ${ms(churned.p95)}, max ${ms(churned.max)}; ${churned.longTasks} long tasks (> 50 ms)`,
  );
  console.log(
    `bundle: ${size.files} JS/CSS files, ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gzip / 1024).toFixed(1)} KiB gzip ` +
      `(${(size.entryGzip / 1024).toFixed(1)} KiB gzip on the first page; aim < 500 KB)`,
  );
  console.log(
    `aims: clusters page < 1 s: ${median(rows[0]!.times) < 1000 ? 'yes' : 'NO'}; ` +
      `10,000 pods first rows < 1 s: ${median(rows[1]!.times) < 1000 ? 'yes' : 'NO'}, all < 1 s: ${pods < 1000 ? 'yes' : 'NO'}; ` +
      `bundle < 500 KB: ${size.gzip < 500_000 ? 'yes' : 'NO'}`,
  );
} finally {
  await browser.close();
  await server.stop();
  await cp.stop();
  await rm(root, { recursive: true, force: true });
}
