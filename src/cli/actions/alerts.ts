import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { TYPES } from '../../schema/types/index.js';
import { clusterAlertRule, notifier, projectAlertRule } from '../../schema/types/alerting.js';
import { readStdin } from '../prompt.js';
import { UsageError } from '../usage-error.js';
import { pollUntil } from '../../util/poll.js';
import {
  clusterRef,
  columnsOf,
  listOut,
  objectOut,
  resolveCluster,
  resolveProject,
  say,
  session,
  type Opts,
  type Row,
} from './common.js';

async function readBodyFile(file: string): Promise<Row> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  const body: unknown = parseYaml(text);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new UsageError(`${file} must hold one object (YAML or JSON)`);
  return body as Row;
}

export async function createFromFile([typeId]: unknown[], opts: Opts): Promise<void> {
  const type = TYPES.find((t) => t.id === typeId)!;
  const s = await session(opts);
  const body = await readBodyFile(String(opts.file));
  objectOut(await s.conn.create<Row>(type, body), columnsOf(type.columns), opts);
}

export async function notifierSend([id]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  await s.conn.action(notifier, String(id), 'send', { message: opts.message });
  say(`Sent a test message through ${String(id)}.`);
}

const ALERT_COLUMNS = columnsOf(['id', 'name', 'type', 'severity', 'state', 'firingSince', 'lastSent', 'message']);

export async function alertsLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const rows = [...(await s.conn.list<Row>(clusterAlertRule)), ...(await s.conn.list<Row>(projectAlertRule))];
  listOut(rows, ALERT_COLUMNS, opts);
}

/** Project rules are `p-xxxxx:r-…`; cluster rules `<clusterId>:r-…`. */
export async function ruleAction([verb, id]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const type = String(id).startsWith('p-') ? projectAlertRule : clusterAlertRule;
  await s.conn.action(type, String(id), String(verb));
  const r = await s.conn.get<Row>(type, String(id));
  say(`Rule ${String(id)} is ${String(r.state)}.`);
}

async function clusterOf(s: Awaited<ReturnType<typeof session>>, opts: Opts, arg: unknown): Promise<Row> {
  return resolveCluster(s.conn, clusterRef(s, opts, arg));
}

const STATUS_COLUMNS = columnsOf(['cluster', 'enabled', 'running']);

export async function monitoringStatus([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await clusterOf(s, opts, ref);
  const st = await s.conn.call<Row>('GET', `/v3/clusters/${String(c.id)}/monitoring`);
  objectOut({ cluster: c.name, ...st }, STATUS_COLUMNS, opts);
}

export async function monitoringSet([on, ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await clusterOf(s, opts, ref);
  const id = String(c.id);
  await s.conn.call('PUT', `/v3/clusters/${id}`, { ...c, enableClusterMonitoring: on === true });
  if (on !== true || opts.wait === false) {
    say(`Monitoring of ${String(c.name)} is ${on ? 'on' : 'off'}.`);
    return;
  }
  say(`Waiting for Prometheus of ${String(c.name)} to start…`);
  await pollUntil(
    async () => {
      const st = await s.conn.call<Row>('GET', `/v3/clusters/${id}/monitoring`);
      if (st.running !== true) throw new Error('Prometheus is not running yet');
    },
    { what: `monitoring of ${String(c.name)} to run`, timeoutMs: 120_000, intervalMs: 1000 },
  );
  say(`Monitoring of ${String(c.name)} is running.`);
}

const SERIES_COLUMNS = columnsOf(['series', 'value', 'at']);

export async function monitoringQuery([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await clusterOf(s, opts, ref);
  const q = new URLSearchParams({ range: String(opts.range ?? 3600) });
  for (const k of ['graph', 'expr', 'node', 'namespace', 'workload', 'pod'])
    if (typeof opts[k] === 'string') q.set(k, opts[k] as string);
  if (!q.has('graph') && !q.has('expr')) throw new UsageError('give --graph or --expr');
  const base = opts.project
    ? `/v3/projects/${String((await resolveProject(s.conn, String(c.id), String(opts.project))).id)}`
    : `/v3/clusters/${String(c.id)}`;
  const r = await s.conn.call<{ expression: string; series: { labels: Row; values: [number, number][] }[] }>(
    'GET',
    `${base}/monitoring/query?${q}`,
  );
  say(`PromQL: ${r.expression}`);
  const rows = r.series.map((x) => {
    const last = x.values.at(-1);
    return {
      series:
        Object.entries(x.labels)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',') || '(total)',
      value: last?.[1],
      at: last ? new Date(last[0] * 1000).toISOString() : undefined,
      values: x.values,
    };
  });
  listOut(rows, SERIES_COLUMNS, opts);
}
