import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { app, appRevision, catalog, template } from '../../schema/types/catalog.js';
import { pollUntil } from '../../util/poll.js';
import { CATALOG_CREATE_OMIT } from '../catalog.js';
import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { UsageError } from '../usage-error.js';
import {
  columnsOf,
  listOut,
  objectOut,
  projectFor,
  say,
  session,
  type Opts,
  type Row,
  type Session,
} from './common.js';

const CATALOG_COLUMNS = columnsOf(catalog.columns);
const APP_COLUMNS = columnsOf(app.columns);

/** Waits until the catalog's last sync attempt is newer than `after`, then says how it went. */
async function waitSynced(s: Session, name: string, after: string): Promise<Row> {
  const c = await pollUntil(
    async () => {
      const c = await s.conn.get<Row>(catalog, name);
      if (!c.lastAttempt || String(c.lastAttempt) <= after) throw new Error(`catalog ${name} has not synced yet`);
      return c;
    },
    { what: `catalog ${name} to sync`, timeoutMs: 300_000, intervalMs: 500 },
  );
  if (c.state === 'error') throw new Error(`catalog ${name}: ${String(c.message)}`);
  if (c.message) say(`catalog ${name}: ${String(c.message)}`);
  return c;
}

export async function catalogAdd([name, url]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const body: Row = { name, url, ...bodyFromFlags(createFlags(catalog, CATALOG_CREATE_OMIT), opts) };
  let c = await s.conn.create<Row>(catalog, body);
  if (opts.wait !== false) c = await waitSynced(s, String(name), '');
  objectOut(c, CATALOG_COLUMNS, opts);
}

export async function catalogRefresh([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const names = name ? [String(name)] : (await s.conn.list<Row>(catalog)).map((c) => String(c.id));
  const before = new Map<string, string>();
  for (const n of names) {
    before.set(n, String((await s.conn.get<Row>(catalog, n)).lastAttempt ?? ''));
    await s.conn.action(catalog, n, 'refresh');
  }
  const out: Row[] = [];
  for (const n of names)
    out.push(opts.wait === false ? await s.conn.get<Row>(catalog, n) : await waitSynced(s, n, before.get(n)!));
  listOut(out, CATALOG_COLUMNS, opts);
}

export async function catalogCharts(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const query = opts.catalog ? { catalogId: String(opts.catalog) } : {};
  let rows = await s.conn.list<Row>(template, query);
  if (opts.search) {
    const q = String(opts.search).toLowerCase();
    rows = rows.filter((t) => `${String(t.name)} ${String(t.description ?? '')}`.toLowerCase().includes(q));
  }
  listOut(rows, columnsOf(template.columns), opts);
}

/** --set, --answers and --values as the app's answers and valuesYaml. */
async function answersOf(opts: Opts): Promise<{ answers?: Record<string, string>; valuesYaml?: string }> {
  const out: { answers?: Record<string, string>; valuesYaml?: string } = {};
  if (opts.answers) {
    const doc: unknown = parseYaml(await readFile(String(opts.answers), 'utf8'));
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new UsageError(`--answers ${String(opts.answers)} must hold a mapping of answers (key: value)`);
    out.answers = Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, String(v)]));
  }
  for (const pair of (opts.set as string[] | undefined) ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--set takes key=value, not "${pair}"`);
    out.answers = { ...out.answers, [pair.slice(0, i)]: pair.slice(i + 1) };
  }
  if (opts.values) out.valuesYaml = await readFile(String(opts.values), 'utf8');
  return out;
}

async function externalIdFor(s: Session, templateId: string, version: unknown): Promise<string> {
  const t = await s.conn.get<Row>(template, templateId);
  const versions = (t.versions as { version: string; externalId: string }[]) ?? [];
  const want = version ? String(version) : String(t.defaultVersion);
  const v = versions.find((x) => x.version === want);
  if (!v)
    throw new UsageError(`${templateId} has no version ${want}; it has ${versions.map((x) => x.version).join(', ')}`);
  return v.externalId;
}

async function appId(s: Session, opts: Opts, ref: string): Promise<string> {
  if (ref.includes(':')) return ref;
  const p = await projectFor(s, opts);
  return `${String(p.id).split(':')[1]}:${ref}`;
}

/** Follows helm through the app's log until the app leaves its transitional state. */
async function follow(s: Session, id: string, opts: Opts): Promise<Row> {
  let shown = 0;
  const a = await pollUntil(
    async () => {
      const a = await s.conn.get<Row>(app, id);
      const log = String(a.log ?? '');
      if (log.length > shown) {
        process.stderr.write(log.slice(shown));
        shown = log.length;
      }
      if (['installing', 'upgrading', 'rolling-back'].includes(String(a.state)))
        throw new Error(`app ${id} is ${String(a.state)}`);
      return a;
    },
    { what: `app ${id} to be ready`, timeoutMs: 900_000, intervalMs: 500 },
  );
  if (a.state === 'failed') throw new Error(`app ${id} failed: ${String(a.message)}`);
  void opts;
  return a;
}

export async function appsLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  listOut(await s.conn.list<Row>(app, { projectId: String(p.id) }), APP_COLUMNS, opts);
}

export async function appsInstall([templateId, name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const body: Row = {
    name,
    projectId: p.id,
    externalId: await externalIdFor(s, String(templateId), opts.version),
    targetNamespace: opts.namespace ?? name,
    ...(await answersOf(opts)),
  };
  let a = await s.conn.create<Row>(app, body);
  if (opts.wait !== false) a = await follow(s, String(a.id), opts);
  objectOut(a, APP_COLUMNS, opts);
}

export async function appsUpgrade([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = await appId(s, opts, String(ref));
  const current = await s.conn.get<Row>(app, id);
  const input: Row = {
    externalId: await externalIdFor(s, String(current.templateId), opts.version),
    ...(await answersOf(opts)),
  };
  await s.conn.action(app, id, 'upgrade', input);
  objectOut(opts.wait === false ? await s.conn.get<Row>(app, id) : await follow(s, id, opts), APP_COLUMNS, opts);
}

export async function appsRollback([ref, revision]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = await appId(s, opts, String(ref));
  await s.conn.action(app, id, 'rollback', { revisionId: String(revision) });
  objectOut(opts.wait === false ? await s.conn.get<Row>(app, id) : await follow(s, id, opts), APP_COLUMNS, opts);
}

export async function appsRevisions([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = await appId(s, opts, String(ref));
  const revs = await s.conn.list<Row>(appRevision, { appId: id, sort: 'revision' });
  listOut(revs, columnsOf(appRevision.columns), opts);
}

export async function appsRm([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = await appId(s, opts, String(ref));
  await s.conn.remove(app, id);
  say(`Uninstalled app ${id}; its namespace stays.`);
}
