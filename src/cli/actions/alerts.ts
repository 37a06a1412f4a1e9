import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { TYPES } from '../../schema/types/index.js';
import { clusterAlertRule, notifier, projectAlertRule } from '../../schema/types/alerting.js';
import { UsageError } from '../usage-error.js';
import { columnsOf, listOut, objectOut, say, session, type Opts, type Row } from './common.js';

async function readBodyFile(file: string): Promise<Row> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  const body: unknown = parseYaml(text);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new UsageError(`${file} must hold one object (YAML or JSON)`);
  return body as Row;
}

async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += String(chunk);
  return s;
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
