// Helpers for bench/agents.ts: agent fleets in child processes, an API server's own request
// counter, and a process's CPU time from /proc.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaryPath } from '../../src/kube/binaries.js';
import type { ControlPlane } from '../../src/localcluster/control-plane.js';
import { packageRoot } from '../../src/util/package-root.js';
import type { FleetSpec } from './agent-fleet.js';
import type { BenchServer, JsonClient } from './harness.js';

const execFileP = promisify(execFile);

export interface Fleet {
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node dist/bench/lib/agent-fleet.js` with the given agents; resolves once all are started. */
export async function startFleet(dir: string, index: number, spec: FleetSpec): Promise<Fleet> {
  const file = join(dir, `fleet-${index}.json`);
  await writeFile(file, JSON.stringify(spec));
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'bench', 'lib', 'agent-fleet.js'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('fleet ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`agent fleet exited ${code}`)));
  });
  return {
    pid: child.pid!,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Requests the API server has served, from its own `apiserver_request_total`, by code and by verb+resource. */
export interface RequestCounts {
  total: number;
  byCode: Map<string, number>;
  byVerbResource: Map<string, number>;
}

export async function apiserverRequests(cp: ControlPlane): Promise<RequestCounts> {
  const kubectl = await binaryPath('kubectl');
  const { stdout } = await execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, 'get', '--raw', '/metrics'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const counts: RequestCounts = { total: 0, byCode: new Map(), byVerbResource: new Map() };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const label = (k: string) => new RegExp(`[{,]${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    counts.total += value;
    const code = label('code');
    counts.byCode.set(code, (counts.byCode.get(code) ?? 0) + value);
    const vr = `${label('verb')} ${label('resource')}${label('subresource') ? '/' + label('subresource') : ''}`;
    counts.byVerbResource.set(vr, (counts.byVerbResource.get(vr) ?? 0) + value);
  }
  return counts;
}

/** after − before, per key. */
export function diffCounts(before: RequestCounts, after: RequestCounts): RequestCounts {
  const sub = (a: Map<string, number>, b: Map<string, number>) =>
    new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
  return {
    total: after.total - before.total,
    byCode: sub(after.byCode, before.byCode),
    byVerbResource: sub(after.byVerbResource, before.byVerbResource),
  };
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Tunnels the server holds, from its /metrics. */
export async function connectedTunnels(server: BenchServer, api: JsonClient): Promise<number> {
  const r = await api.call('GET', '/metrics');
  void server;
  return Number(/corral_cluster_connections\{kind="tunnel"\} (\d+)/.exec(r.text)?.[1] ?? 0);
}

/** Clusters in state active, from one full GET /v3/clusters. */
export async function activeClusters(api: JsonClient): Promise<number> {
  const r = await api.call('GET', '/v3/clusters?state=active&limit=5000');
  return Array.isArray(r.json.data) ? (r.json.data as unknown[]).length : 0;
}

export const loadavg = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
