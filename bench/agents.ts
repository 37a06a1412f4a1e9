// COUNT imported clusters, each with its agent, on one real `corral server`; the clusters front N
// real control planes round-robin (several Corral clusters share one API server). Measures the
// server's RSS per connected cluster, time until all are connected and all active, time until all
// are back after a server restart (SIGKILL), CPU while idle, `GET /v3/clusters` latency, and the
// requests each API server received in the first minute (its own apiserver_request_total).
// Usage: npm run bench:agents -- <count> [--control-planes N] [--fleets N] [--timeout s] [--cpu-prof dir]
// Agents run in --fleets child processes (default one per 500 agents), not in the bench's loop.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startControlPlane, type ControlPlane } from '../src/localcluster/control-plane.js';
import {
  activeClusters,
  apiserverRequests,
  connectedTunnels,
  cpuSeconds,
  diffCounts,
  loadavg,
  startFleet,
  type Fleet,
  type RequestCounts,
} from './lib/agents-world.js';
import {
  benchAgentKubeconfig,
  benchAdmin,
  pct,
  rssKiB,
  startBenchServer,
  type BenchServer,
  type JsonClient,
} from './lib/harness.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const COUNT = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 200);
const CONTROL_PLANES = Number(flag('control-planes', '4'));
const FLEETS = Number(flag('fleets', String(Math.max(1, Math.ceil(COUNT / 500)))));
const TIMEOUT_MS = Number(flag('timeout', '180')) * 1000;
const CPU_PROF = flag('cpu-prof');
const IDLE_WINDOW_MS = 30_000;
const LIST_REQUESTS = 200;
/** The list requests stop early after this long (an overloaded server answers in seconds). */
const LIST_BUDGET_MS = 60_000;
/** Every poll lists all clusters: poll less often at large counts, to weigh less on the server. */
const POLL_MS = COUNT > 500 ? 2000 : 1000;

const started = Date.now();
const log = (msg: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
const sleep = (msv: number) => new Promise((r) => setTimeout(r, msv));

/** Time from `from` until every controller's work queue is empty (corral_controller_queue_depth at /metrics). */
async function waitQueuesEmpty(api: JsonClient, from: number): Promise<number | undefined> {
  const deadline = Date.now() + TIMEOUT_MS;
  let quiet = 0;
  while (Date.now() < deadline) {
    const text = (await api.call('GET', '/metrics')).text;
    const depth = text
      .split('\n')
      .filter((l) => l.startsWith('corral_controller_queue_depth{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    // Twice in a row: a queue can be empty for a moment between a reconcile and the next key.
    quiet = depth === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return performance.now() - from;
    await sleep(POLL_MS);
  }
  log('controller queues never emptied before the timeout');
  return undefined;
}

/** Polls tunnels and active clusters every POLL_MS until both reach COUNT or the deadline passes. */
async function waitAll(server: BenchServer, api: JsonClient, from: number, what: string) {
  let connectedMs: number | undefined;
  let activeMs: number | undefined;
  let tunnels = 0;
  let active = 0;
  let lastLog = 0;
  while (performance.now() - from < TIMEOUT_MS) {
    try {
      tunnels = await connectedTunnels(server, api);
      if (connectedMs === undefined && tunnels >= COUNT) connectedMs = performance.now() - from;
      active = await activeClusters(api);
      if (activeMs === undefined && active >= COUNT) activeMs = performance.now() - from;
    } catch {
      // the server is not answering yet
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`${what}: ${tunnels} tunnels, ${active} active (load ${await loadavg()})`);
    }
    if (connectedMs !== undefined && activeMs !== undefined) break;
    await sleep(POLL_MS);
  }
  log(`${what}: done, ${tunnels} tunnels, ${active} active`);
  return { connectedMs, activeMs, tunnels, active };
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-agents-'));
const cps: ControlPlane[] = [];
const fleets: Fleet[] = [];
let server: BenchServer | undefined;
try {
  log(`starting ${CONTROL_PLANES} control planes in ${root} (load ${await loadavg()})`);
  const settled = await Promise.allSettled(
    Array.from({ length: CONTROL_PLANES }, (_, i) =>
      startControlPlane({ dir: join(root, `cp-${i}`), name: `agents-${i}` }),
    ),
  );
  for (const s of settled) if (s.status === 'fulfilled') cps.push(s.value);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  const kubeconfigs = await Promise.all(cps.map((cp, i) => benchAgentKubeconfig(cp, join(root, `cp-${i}`))));

  if (CPU_PROF) process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${resolve(CPU_PROF)}`;
  server = await startBenchServer(join(root, 'server'));
  delete process.env.NODE_OPTIONS;
  const { api } = await benchAdmin(server);
  const checksum = (await api.call('GET', '/v3/settings/cacerts')).json.checksum as string;
  await sleep(2000);
  const idleRss = await rssKiB(server.pid);

  log(`creating ${COUNT} clusters`);
  const clusters: { clusterId: string; token: string; kubeconfig: string }[] = new Array(COUNT);
  let next = 0;
  const createStart = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const c = await api.call('POST', '/v3/clusters', { name: `agent-${i}` });
        if (c.status !== 201) throw new Error(`create cluster: ${c.status} ${c.text}`);
        const reg = (await api.call('GET', `/v3/clusterRegistrationTokens?clusterId=${c.json.id}`)).json.data[0];
        clusters[i] = { clusterId: c.json.id, token: reg.token, kubeconfig: kubeconfigs[i % cps.length]! };
      }
    }),
  );
  const createMs = performance.now() - createStart;
  await sleep(2000);
  const withClustersRss = await rssKiB(server.pid);

  const before = await Promise.all(cps.map((cp) => apiserverRequests(cp)));
  log(`starting ${COUNT} agents in ${FLEETS} processes (load ${await loadavg()})`);
  const t0 = performance.now();
  const firstMinute: Promise<RequestCounts[]> = sleep(60_000).then(() =>
    Promise.all(cps.map((cp, i) => apiserverRequests(cp).then((after) => diffCounts(before[i]!, after)))),
  );
  const per = Math.ceil(COUNT / FLEETS);
  fleets.push(
    ...(await Promise.all(
      Array.from({ length: FLEETS }, (_, f) =>
        startFleet(root, f, {
          serverUrl: server!.url,
          caChecksum: checksum,
          agents: clusters.slice(f * per, (f + 1) * per),
        }),
      ),
    )),
  );
  const first = await waitAll(server, api, t0, 'first connection');
  const loadFirst = await loadavg();
  // Active is the cluster's health; RBAC, quotas and secrets follow in the projects controller.
  // Idle is measured once every controller's queue is empty, or it would count that catch-up.
  const settledMs = await waitQueuesEmpty(api, t0);
  const minute = await firstMinute;

  await sleep(5000);
  const connectedRss = await rssKiB(server.pid);
  log(`idle window of ${IDLE_WINDOW_MS / 1000} s`);
  const apiPids = cps.map((cp) => cp.components.find((c) => c.name === 'kube-apiserver')!.pid);
  const idleBefore = await Promise.all([server.pid, ...fleets.map((f) => f.pid), ...apiPids].map(cpuSeconds));
  const idleReqBefore = await Promise.all(cps.map((cp) => apiserverRequests(cp)));
  await sleep(IDLE_WINDOW_MS);
  const idleAfter = await Promise.all([server.pid, ...fleets.map((f) => f.pid), ...apiPids].map(cpuSeconds));
  const idleReqAfter = await Promise.all(cps.map((cp) => apiserverRequests(cp)));
  const loadIdle = await loadavg();
  const cpuShare = (from: number, to: number) =>
    idleAfter.slice(from, to).reduce((s, v, i) => s + v - idleBefore[from + i]!, 0) / (IDLE_WINDOW_MS / 1000);
  const serverCpu = cpuShare(0, 1);
  const fleetCpu = cpuShare(1, 1 + fleets.length);
  const apiserverCpu = cpuShare(1 + fleets.length, idleAfter.length);
  const idleRequests = idleReqAfter.reduce((s, a, i) => s + a.total - idleReqBefore[i]!.total, 0);
  // What the idle requests are, summed over the API servers: the steady cost per cluster.
  const idleByKind = new Map<string, number>();
  idleReqAfter.forEach((a, i) => {
    for (const [k, n] of diffCounts(idleReqBefore[i]!, a).byVerbResource)
      idleByKind.set(k, (idleByKind.get(k) ?? 0) + n);
  });

  log(`${LIST_REQUESTS} x GET /v3/clusters?limit=5000 (at most ${LIST_BUDGET_MS / 1000} s)`);
  const lat: number[] = [];
  let listBytes = 0;
  const listStart = performance.now();
  for (let i = 0; i < LIST_REQUESTS && performance.now() - listStart < LIST_BUDGET_MS; i++) {
    const s = performance.now();
    const r = await api.call('GET', '/v3/clusters?limit=5000');
    lat.push(performance.now() - s);
    listBytes = r.text.length;
  }
  const loadList = await loadavg();

  log('restarting the server (SIGKILL, or SIGTERM when profiling)');
  const port = server.port;
  if (CPU_PROF) {
    const exited = new Promise((r) => server!.process.once('exit', r));
    server.process.kill('SIGTERM');
    await exited;
  } else {
    await server.stop();
  }
  const restartAt = performance.now();
  server = await startBenchServer(join(root, 'server'), port);
  const serving = performance.now() - restartAt;
  const again = await benchAdmin(server);
  const back = await waitAll(server, again.api, restartAt, 'after restart');
  const loadRestart = await loadavg();

  const s = (x: number | undefined) => (x === undefined ? 'not within timeout' : `${(x / 1000).toFixed(1)} s`);
  const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  const row = (name: string, value: string, aim = '', load = '') =>
    console.log(`${name.padEnd(44)}${value.padEnd(34)}${aim.padEnd(24)}${load}`);
  console.log(
    `\n${COUNT} clusters with agents (${FLEETS} agent processes), one corral server, ${cps.length} control planes (${Math.ceil(COUNT / cps.length)} Corral clusters per API server); ${TIMEOUT_MS / 1000} s timeout per wait`,
  );
  row('', 'figure', 'aim', 'load average');
  row('create clusters via v3 (8 parallel)', `${s(createMs)} (${(createMs / COUNT).toFixed(1)} ms each)`);
  row('server RSS, no clusters', mib(idleRss));
  row(`server RSS, ${COUNT} clusters, no agents`, mib(withClustersRss));
  row(
    'controllers settled (all queues empty)',
    settledMs === undefined ? `not within ${TIMEOUT_MS / 1000} s` : s(settledMs),
  );
  row(`server RSS, ${first.tunnels} connected`, mib(connectedRss), 'under 1024 MiB');
  row(
    'RSS per connected cluster',
    `${((connectedRss - idleRss) / Math.max(1, first.tunnels)).toFixed(0)} KiB (tunnel etc. ${((connectedRss - withClustersRss) / Math.max(1, first.tunnels)).toFixed(0)} KiB)`,
  );
  row('all connected (from agent start)', s(first.connectedMs), '', loadFirst);
  row('all active (from agent start)', `${s(first.activeMs)} (${first.active}/${COUNT})`, 'within 60 s', loadFirst);
  row('after restart: serving', s(serving));
  row('after restart: all connected', `${s(back.connectedMs)} (${back.tunnels}/${COUNT})`, 'within 60 s', loadRestart);
  row('after restart: all active', `${s(back.activeMs)} (${back.active}/${COUNT})`, '', loadRestart);
  row(
    `idle CPU over ${IDLE_WINDOW_MS / 1000} s: server`,
    `${(serverCpu * 100).toFixed(1)}% of a core`,
    'under 5%',
    loadIdle,
  );
  row('idle CPU: agent processes (sum)', `${(fleetCpu * 100).toFixed(1)}% of a core`);
  row('idle CPU: kube-apiservers (sum)', `${(apiserverCpu * 100).toFixed(1)}% of a core`);
  row('idle: requests to API servers (sum)', `${(idleRequests / (IDLE_WINDOW_MS / 1000)).toFixed(1)}/s`);
  row(
    `GET /v3/clusters (${(listBytes / 1024).toFixed(0)} KiB), ${lat.length} sequential`,
    `p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`,
    'p99 under 100 ms',
    loadList,
  );
  const idleTop = [...idleByKind]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, n]) => `${k} ${(((n / (IDLE_WINDOW_MS / 1000)) * 60) / COUNT).toFixed(2)}`);
  console.log(`\nidle requests per Corral cluster per minute, by kind: ${idleTop.join(', ')}`);
  console.log('\nrequests to each API server in the first minute after the agents started (apiserver_request_total)');
  minute.forEach((m, i) => {
    const codes = [...m.byCode].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}:${n}`);
    const top = [...m.byVerbResource]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, n]) => `${k} ${n}`);
    console.log(
      `  api server ${i}: ${m.total} requests (${(m.total / Math.ceil(COUNT / cps.length)).toFixed(1)} per Corral cluster); codes ${codes.join(' ')}`,
    );
    console.log(`    top: ${top.join(', ')}`);
  });
} finally {
  await Promise.all(fleets.map((f) => f.stop()));
  await server?.stop();
  await Promise.all(cps.map((cp) => cp.stop()));
  await rm(root, { recursive: true, force: true });
}
