// The authentication proxy side by side with its baselines, in one run: the same requests straight
// to kube-apiserver, through `kubectl proxy` (a Go proxy: TLS and credentials upstream, no
// authentication of its own, plain HTTP to the client), through a Go proxy doing Corral's work
// (`tools/bench-proxy`: TLS on both sides, a bearer token, Impersonate-User; built here with the
// machine's Go), through Corral to a directly registered cluster, and through Corral and an agent's
// tunnel. GET one object, LIST 1,000 ConfigMaps, 1,000 watch events; and the CPU
// each proxy process spends per GET (from /proc, over the 4,000 GETs).
// Usage: npm run bench:proxy
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAgent } from '../src/agent/agent.js';
import { binaryPath } from '../src/kube/binaries.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { createCA, issueCertificate, writeCertificate } from '../src/pki/index.js';
import { packageRoot } from '../src/util/package-root.js';
import {
  followWatch,
  benchAgentKubeconfig,
  benchAdmin,
  cpuMs,
  jsonClient,
  plainJsonClient,
  ms,
  pct,
  startBenchServer,
  type JsonClient,
  waitUntil,
} from './lib/harness.js';

const execFileP = promisify(execFile);
const GETS = 2000;
const CONCURRENCY = 8;
const CONFIGMAPS = 1000;

interface PathResult {
  name: string;
  getLatencies: number[];
  getPerSecond: number;
  listMs: number[];
  watchMs: number;
  /** CPU ms of the proxy process per GET; undefined for the API server alone. */
  cpuPerGet?: number;
}

async function measure(
  name: string,
  client: JsonClient,
  watchStream: (path: string) => Promise<(count: number) => Promise<number>>,
  writer: JsonClient,
  proxyPid?: number,
): Promise<PathResult> {
  for (let i = 0; i < 100; i++) await client.call('GET', '/api/v1/namespaces/bench/configmaps/cm-0');
  const cpu0 = proxyPid === undefined ? 0 : await cpuMs(proxyPid);
  const getLatencies: number[] = [];
  for (let i = 0; i < GETS; i++) {
    const s = performance.now();
    const r = await client.call('GET', '/api/v1/namespaces/bench/configmaps/cm-0');
    getLatencies.push(performance.now() - s);
    if (r.status !== 200) throw new Error(`${name}: GET answered ${r.status} ${r.text}`);
  }
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (done < GETS) {
        done++;
        await client.call('GET', '/api/v1/namespaces/bench/configmaps/cm-1');
      }
    }),
  );
  const getPerSecond = GETS / ((performance.now() - t0) / 1000);
  const cpuPerGet = proxyPid === undefined ? undefined : ((await cpuMs(proxyPid)) - cpu0) / (2 * GETS);
  const listMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    const r = await client.call('GET', '/api/v1/namespaces/bench/configmaps');
    listMs.push(performance.now() - s);
    if (r.json.items.length < CONFIGMAPS) throw new Error(`${name}: LIST gave ${r.json.items.length}`);
  }
  // Watch: open it, then make 1,000 changes; time until the watcher has seen every one.
  const rv = (await client.call('GET', '/api/v1/namespaces/bench/configmaps?limit=1')).json.metadata
    .resourceVersion as string;
  const waitFor = await watchStream(`/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${rv}`);
  const w0 = performance.now();
  const writes = Array.from({ length: CONFIGMAPS }, (_, i) => i);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = writes.shift(); i !== undefined; i = writes.shift()) {
        await writer.call('PATCH', `/api/v1/namespaces/bench/configmaps/cm-${i}`, undefined);
      }
    }),
  );
  const watchMs = (await waitFor(CONFIGMAPS)) - w0;
  return { name, getLatencies, getPerSecond, listMs, watchMs, cpuPerGet };
}

/** Opens a watch and returns a function that resolves with the time the n-th event arrived. */
function watcher(baseUrl: string, tls: { ca?: string; cert?: string; key?: string }, token?: string) {
  return async (path: string) => {
    let events = 0;
    let resolveAt: ((t: number) => void) | undefined;
    let want = Infinity;
    const watch = await followWatch(
      new URL(path, baseUrl),
      tls,
      () => {
        events++;
        if (events >= want) resolveAt?.(performance.now());
      },
      token,
    );
    return (count: number) =>
      new Promise<number>((resolve) => {
        want = count;
        resolveAt = (t) => {
          watch.close();
          resolve(t);
        };
        if (events >= want) resolveAt(performance.now());
      });
  };
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-proxy-'));
const cp = await startControlPlane({ dir: join(root, 'cp'), name: 'bench' });
const server = await startBenchServer(join(root, 'server'));
let agent: ReturnType<typeof startAgent> | undefined;
let kubectlProxy: ReturnType<typeof spawn> | undefined;
const baselineProxies: ReturnType<typeof spawn>[] = [];

/**
 * Starts the two same-work baselines: tools/bench-proxy (Go, built here) and bench/lib/node-proxy
 * (Node's own modules); resolves with their URLs and pids, and the CA both serve from.
 */
async function startBaselineProxies(
  upstream: string,
  direct: { ca: string; cert: string; key: string },
  token: string,
  user: string,
): Promise<{ ca: string; go: { url: string; pid: number }; node: { url: string; pid: number } }> {
  const dir = join(root, 'baseline-proxies');
  const binary = join(dir, 'bench-proxy');
  await mkdir(dir, { recursive: true });
  await execFileP('go', ['build', '-o', binary, '.'], {
    cwd: join(packageRoot(), 'tools', 'bench-proxy'),
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  // The serving certificate is what Corral's would be: ECDSA P-256 from a CA of its own.
  const ca = await createCA({ commonName: 'bench-go-proxy-ca' });
  const serving = await issueCertificate(ca, { commonName: '127.0.0.1', usages: ['server'], altNames: ['127.0.0.1'] });
  await writeCertificate(serving, { cert: join(dir, 'serving.crt'), key: join(dir, 'serving.key') });
  await Promise.all([
    writeFile(join(dir, 'upstream-ca.crt'), direct.ca),
    writeFile(join(dir, 'client.crt'), direct.cert),
    writeFile(join(dir, 'client.key'), direct.key, { mode: 0o600 }),
  ]);
  const start = async (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    baselineProxies.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /serving on (https:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${out}`)));
    });
    return { url, pid: child.pid! };
  };
  const go = await start(binary, [
    `--upstream=${upstream}`,
    `--upstream-ca=${join(dir, 'upstream-ca.crt')}`,
    `--client-cert=${join(dir, 'client.crt')}`,
    `--client-key=${join(dir, 'client.key')}`,
    `--tls-cert=${join(dir, 'serving.crt')}`,
    `--tls-key=${join(dir, 'serving.key')}`,
    `--token=${token}`,
    `--user=${user}`,
  ]);
  const node = await start(process.execPath, [
    join(packageRoot(), 'dist', 'bench', 'lib', 'node-proxy.js'),
    upstream,
    dir,
    token,
    user,
  ]);
  return { ca: ca.certPem, go, node };
}

try {
  const kubectl = await binaryPath('kubectl');
  const k = (...a: string[]) =>
    execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...a], { maxBuffer: 64 << 20 });
  const { token, api } = await benchAdmin(server);
  const adminId = (await api.call('GET', '/v3/users?username=admin')).json.data[0].id as string;
  await k('create', 'clusterrolebinding', 'bench-admin', '--clusterrole=cluster-admin', `--user=${adminId}`);
  await k('create', 'namespace', 'bench');
  const adminKc = await readFile(cp.kubeconfigPath, 'utf8');
  const b64 = (key: string) => Buffer.from(adminKc.match(new RegExp(`${key}: (\\S+)`))![1]!, 'base64').toString();
  const direct = {
    ca: b64('certificate-authority-data'),
    cert: b64('client-certificate-data'),
    key: b64('client-key-data'),
  };
  const straight = jsonClient(cp.server, direct);
  for (let i = 0; i < CONFIGMAPS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        straight.call('POST', '/api/v1/namespaces/bench/configmaps', {
          metadata: { name: `cm-${i + j}` },
          data: { v: 'x'.repeat(200) },
        }),
      ),
    );
  }
  // Patches as JSON merge patches: one per write, a watch event each.
  const patcher: JsonClient = {
    call: (method, path) =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ data: { v: String(Math.random()) } });
        const req = request(
          new URL(path, cp.server),
          {
            method,
            agent: patchAgent,
            servername: '',
            headers: { 'content-type': 'application/merge-patch+json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: '', json: {} }));
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  };
  const patchAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ...direct });

  const directCluster = await api.call('POST', '/v3/clusters', {
    name: 'direct',
    importedConfig: { kubeConfig: adminKc },
  });
  const tunnelCluster = await api.call('POST', '/v3/clusters', { name: 'tunnel' });
  const reg = (await api.call('GET', `/v3/clusterRegistrationTokens?clusterId=${tunnelCluster.json.id}`)).json.data[0];
  const agentKc = await benchAgentKubeconfig(cp, root);
  const checksum = (await api.call('GET', '/v3/settings/cacerts')).json.checksum as string;
  agent = startAgent({
    serverUrl: server.url,
    token: reg.token,
    clusterId: tunnelCluster.json.id,
    caChecksum: checksum,
    kubeconfig: agentKc,
    version: 'bench',
    log: () => {},
  });
  for (const id of [directCluster.json.id, tunnelCluster.json.id]) {
    await waitUntil(
      async () => (await api.call('GET', `/v3/clusters/${id}`)).json.state === 'active',
      `cluster ${id} active`,
    );
  }

  // `kubectl proxy` with the admin kubeconfig: the cost of a Go proxy on the same machine.
  kubectlProxy = spawn(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, 'proxy', '--port=0', '--address=127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kubectlProxyUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    kubectlProxy!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Starting to serve on ([\d.]+:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    kubectlProxy!.once('exit', (code) => reject(new Error(`kubectl proxy exited ${code}: ${out}`)));
  });

  const goToken = `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const baselines = await startBaselineProxies(cp.server, direct, goToken, adminId);

  const results: PathResult[] = [];
  results.push(await measure('kube-apiserver (baseline)', straight, watcher(cp.server, direct), patcher));
  results.push(
    await measure(
      'kubectl proxy (Go baseline)',
      plainJsonClient(kubectlProxyUrl),
      watcher(kubectlProxyUrl, {}),
      patcher,
      kubectlProxy.pid,
    ),
  );
  results.push(
    await measure(
      'Go TLS proxy (same work)',
      jsonClient(baselines.go.url, { ca: baselines.ca }, goToken),
      watcher(baselines.go.url, { ca: baselines.ca }, goToken),
      patcher,
      baselines.go.pid,
    ),
  );
  results.push(
    await measure(
      'Node TLS proxy (same work)',
      jsonClient(baselines.node.url, { ca: baselines.ca }, goToken),
      watcher(baselines.node.url, { ca: baselines.ca }, goToken),
      patcher,
      baselines.node.pid,
    ),
  );
  const via = (id: string) => jsonClient(`${server.url}/k8s/clusters/${id}/`, { ca: server.ca }, token);
  const prefixed = (id: string): JsonClient => {
    const c = via(id);
    return { call: (m, p, b) => c.call(m, `/k8s/clusters/${id}${p}`, b) };
  };
  const watchVia = (id: string) => {
    const w = watcher(server.url, { ca: server.ca }, token);
    return (p: string) => w(`/k8s/clusters/${id}${p}`);
  };
  results.push(
    await measure(
      'Corral, direct',
      prefixed(directCluster.json.id),
      watchVia(directCluster.json.id),
      patcher,
      server.pid,
    ),
  );
  results.push(
    await measure(
      'Corral, agent tunnel',
      prefixed(tunnelCluster.json.id),
      watchVia(tunnelCluster.json.id),
      patcher,
      server.pid,
    ),
  );

  const base = results[0]!;
  const kubectlR = results[1]!;
  const goTls = results[2]!;
  console.log(`\nproxy paths, ${GETS} GETs, ${CONFIGMAPS} ConfigMaps (2-core machine; everything on one host)`);
  console.log(
    'path                         GET p50 / p99          GET/s (8 in flight)   LIST 1000 p50 / p99       1000 watch events   proxy CPU/GET',
  );
  for (const r of results) {
    const cpu =
      r.cpuPerGet === undefined
        ? '-'
        : `${ms(r.cpuPerGet)} (${(r.cpuPerGet / kubectlR.cpuPerGet!).toFixed(2)}x kubectl proxy, ` +
          `${(r.cpuPerGet / goTls.cpuPerGet!).toFixed(2)}x Go TLS proxy)`;
    console.log(
      r.name.padEnd(29) +
        `${ms(pct(r.getLatencies, 50))} / ${ms(pct(r.getLatencies, 99))}`.padEnd(23) +
        `${r.getPerSecond.toFixed(0)} (${((r.getPerSecond / base.getPerSecond) * 100).toFixed(0)}%)`.padEnd(22) +
        `${ms(pct(r.listMs, 50))} / ${ms(pct(r.listMs, 99))}`.padEnd(26) +
        `${ms(r.watchMs)}`.padEnd(20) +
        cpu,
    );
  }
  const nodeTls = results[3]!;
  const directR = results[4]!;
  const tunnel = results[5]!;
  const added = (r: PathResult) => ms(pct(r.getLatencies, 50) - pct(base.getLatencies, 50));
  console.log(
    `\nadded GET p50: kubectl proxy ${added(kubectlR)}, Go TLS proxy ${added(goTls)}, direct ${added(directR)}, tunnel ${added(tunnel)} (aim: under 0.5 ms)`,
  );
  console.log(
    `GET throughput / kube-apiserver alone: kubectl proxy ${((kubectlR.getPerSecond / base.getPerSecond) * 100).toFixed(0)}%, ` +
      `Go TLS proxy ${((goTls.getPerSecond / base.getPerSecond) * 100).toFixed(0)}%, ` +
      `direct ${((directR.getPerSecond / base.getPerSecond) * 100).toFixed(0)}%, ` +
      `tunnel ${((tunnel.getPerSecond / base.getPerSecond) * 100).toFixed(0)}% (aim: at least 80%)`,
  );
  console.log(
    `Corral CPU per GET / kubectl proxy's: direct ${(directR.cpuPerGet! / kubectlR.cpuPerGet!).toFixed(2)}x, ` +
      `tunnel ${(tunnel.cpuPerGet! / kubectlR.cpuPerGet!).toFixed(2)}x (aim: at most 1.2x; the tunnel figure includes ` +
      `the server's end of the tunnel only, the agent runs in this benchmark's process)`,
  );
  console.log(
    `Corral CPU per GET / the Go TLS proxy's (the same work: TLS both sides, token, impersonation): ` +
      `direct ${(directR.cpuPerGet! / goTls.cpuPerGet!).toFixed(2)}x, tunnel ${(tunnel.cpuPerGet! / goTls.cpuPerGet!).toFixed(2)}x; ` +
      `the same in Node's own modules: ${(nodeTls.cpuPerGet! / goTls.cpuPerGet!).toFixed(2)}x (Node's floor); ` +
      `Corral direct / that floor: ${(directR.cpuPerGet! / nodeTls.cpuPerGet!).toFixed(2)}x`,
  );
} finally {
  kubectlProxy?.kill();
  for (const p of baselineProxies) p.kill();
  await agent?.stop();
  await server.stop();
  await cp.stop();
  await rm(root, { recursive: true, force: true });
}
