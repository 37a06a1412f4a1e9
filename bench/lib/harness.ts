import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { V3Client, parseJson } from '../../src/client/v3-client.js';
import { join } from 'node:path';
import { binaryPath } from '../../src/kube/binaries.js';
import { kubeconfigCaPem, writeTokenKubeconfig } from '../../src/kube/kubeconfig.js';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { freePort } from '../../src/localcluster/ports.js';
import { packageRoot } from '../../src/util/package-root.js';
import { pollUntil } from '../../src/util/poll.js';

const execFileP = promisify(execFile);

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
export const ms = (x: number) => `${x.toFixed(2)} ms`;

export interface JsonClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A keep-alive HTTPS JSON client for benchmarks (CA, optional client certificate or bearer token):
 * the shared v3 client's transport, which never throws for a status, as benchmarks count them.
 */
export function jsonClient(
  baseUrl: string,
  tls: { ca?: string; cert?: string; key?: string },
  token?: string,
  maxSockets = 16,
): JsonClient {
  const client = new V3Client({
    url: baseUrl,
    ...tls,
    token,
    keepAliveSockets: maxSockets,
    noServername: true,
    timeoutMs: 0,
  });
  return {
    call: async (method, path, body) => {
      const res = await client.request(method, path, body);
      return { status: res.status, text: res.body.toString('utf8'), json: parseJson(res.body) ?? {} };
    },
  };
}

/** The same over plain http with keep-alive, for a local `kubectl proxy`. */
export function plainJsonClient(baseUrl: string, maxSockets = 16): JsonClient {
  const agent = new HttpAgent({ keepAlive: true, maxSockets });
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const req = httpRequest(new URL(path, baseUrl), {
          method,
          agent,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const b = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, text: b.toString('utf8'), json: parseJson(b) ?? {} });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
  };
}

export interface BenchServer {
  url: string;
  ca: string;
  process: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Runs the built `corral server` with a fixed bootstrap password. */
export async function startBenchServer(dataDir: string, port?: number, args: string[] = []): Promise<BenchServer> {
  const listenPort = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir> profiles the server (written when it stops).
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      join(packageRoot(), 'dist', 'src', 'cli', 'main.js'),
      'server',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${listenPort}`,
      '--log-level',
      'warn',
      ...args,
    ],
    {
      env: { ...process.env, CORRAL_BOOTSTRAP_PASSWORD: 'bench-admin-password' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('is serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url: `https://127.0.0.1:${listenPort}`,
    ca: await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8'),
    process: child,
    pid: child.pid!,
    port: listenPort,
    stop: async () => {
      // A profile is written only on a clean exit.
      child.kill(process.env.BENCH_CPU_PROF ? 'SIGTERM' : 'SIGKILL');
      await exited;
    },
  };
}

/** Logs in as the bootstrap admin, changes the password, and returns a token. */
export async function benchAdmin(server: BenchServer): Promise<{ token: string; api: JsonClient }> {
  const anon = jsonClient(server.url, { ca: server.ca });
  let login = await anon.call('POST', '/v3-public/localProviders/local?action=login', {
    username: 'admin',
    password: 'bench-admin-password',
  });
  if (login.status !== 201) {
    login = await anon.call('POST', '/v3-public/localProviders/local?action=login', {
      username: 'admin',
      password: 'bench-admin-password-2',
    });
  }
  const token = login.json.token as string;
  const api = jsonClient(server.url, { ca: server.ca }, token);
  if (login.json.mustChangePassword) {
    await api.call('POST', '/v3/users?action=changepassword', {
      currentPassword: 'bench-admin-password',
      newPassword: 'bench-admin-password-2',
    });
  }
  return { token, api };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at state; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
// sysconf(_SC_CLK_TCK): 100 on every Linux this runs on.
const CLOCK_TICKS = 100;

export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Polls `check` until it says true (errors count as not yet), with a deadline. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  await pollUntil(
    async () => {
      if (!(await check())) throw new Error('not yet');
    },
    { what, timeoutMs, intervalMs: 100 },
  );
}

/**
 * A kubeconfig for benchmark agents: a service account with cluster-admin in the control plane
 * (one account fronts every agent), written to `<dir>/agent.kubeconfig`.
 */
export async function benchAgentKubeconfig(cp: ControlPlane, dir: string): Promise<string> {
  const kubectl = await binaryPath('kubectl');
  const k = (...a: string[]) => execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...a]);
  await k('create', 'serviceaccount', 'bench-agent', '-n', 'default');
  await k(
    'create',
    'clusterrolebinding',
    'bench-agent',
    '--clusterrole=cluster-admin',
    '--serviceaccount=default:bench-agent',
  );
  const token = (await k('create', 'token', 'bench-agent', '--duration=2h')).stdout.trim();
  const path = join(dir, 'agent.kubeconfig');
  await writeTokenKubeconfig(path, {
    name: 'bench',
    server: cp.server,
    caPem: await kubeconfigCaPem(cp.kubeconfigPath),
    token,
  });
  return path;
}

/**
 * Follows a Kubernetes watch (one JSON event per line), calling `onEvent` for each. Resolves once
 * the response has started; `close()` ends it.
 */
export async function followWatch(
  url: URL,
  tls: { ca?: string; cert?: string; key?: string },
  onEvent: (event: { type: string; object: any }) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
  token?: string,
): Promise<{ close(): void }> {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  // Plain http for a local `kubectl proxy`.
  const req =
    url.protocol === 'http:'
      ? httpRequest(url, { headers })
      : request(url, { agent: new Agent({ ...tls }), servername: '', headers });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) onEvent(JSON.parse(line));
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return { close: () => req.destroy() };
}
