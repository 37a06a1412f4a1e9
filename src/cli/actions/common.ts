import { cluster as clusterType } from '../../schema/types/cluster.js';
import { project as projectType, projectRoleTemplateBinding as prtbType } from '../../schema/types/project.js';
import { token as tokenType } from '../../schema/types/token.js';
import { user as userType } from '../../schema/types/user.js';
import type { V3Client } from '../../client/v3-client.js';
import { clientOf } from '../client.js';
import { currentServer, loadConfig, type CliConfig, type ServerEntry } from '../config.js';
import { printListing, renderTable, yaml, type Column, type OutputFormat } from '../output.js';
import { UsageError } from '../usage-error.js';

/** What the management verbs share: rendering, the saved server, and finding objects by name or id. */

export type Row = Record<string, unknown>;
export type Opts = Record<string, unknown>;

export const say = (m: string) => process.stderr.write(`${m}\n`);

// ---------- rendering ----------

export function age(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function cell(v: unknown): string | number | undefined {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Table columns from a type's schema `columns`; `created` shows as an age, as kubectl does. */
export function columnsOf(names: string[]): Column<Row>[] {
  return names.map((n) =>
    n === 'created'
      ? { header: 'age', value: (r: Row) => age(r.created) }
      : { header: n, value: (r: Row) => cell(r[n]) },
  );
}

export const CLUSTER_COLUMNS = columnsOf(clusterType.columns);
export const PROJECT_COLUMNS = columnsOf(projectType.columns);
export const PRTB_COLUMNS = columnsOf(prtbType.columns);
export const USER_COLUMNS = columnsOf(userType.columns);
export const TOKEN_COLUMNS = columnsOf(tokenType.columns);
/** Namespaces are served by a handler of their own, without a schema; Rancher's columns. */
export const NAMESPACE_COLUMNS = columnsOf(['name', 'projectId', 'state', 'created']);

export function clean(obj: Row): Row {
  const { links: _l, actions: _a, ...rest } = obj;
  return rest;
}

export function listOut(rows: Row[], columns: Column<Row>[], opts: Opts) {
  printListing(rows.map(clean), columns, { output: opts.output as OutputFormat, quiet: Boolean(opts.quiet) });
}

export function objectOut(obj: Row, columns: Column<Row>[], opts: Opts) {
  const format = (opts.output as OutputFormat | undefined) ?? 'table';
  if (format === 'json') process.stdout.write(JSON.stringify(clean(obj), null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(yaml().stringify(clean(obj)));
  else process.stdout.write(renderTable([obj], columns));
}

// ---------- session and lookups ----------

export interface Session {
  config: CliConfig;
  server: ServerEntry;
  conn: V3Client;
}

export async function session(opts: Opts): Promise<Session> {
  const config = await loadConfig();
  const server = currentServer(config, opts.server as string | undefined);
  return { config, server, conn: clientOf(server) };
}

export async function resolveCluster(conn: V3Client, ref: string): Promise<Row> {
  if (/^c-[a-z0-9]+$/.test(ref) || ref === 'local') {
    const byId = await conn.find<Row>('clusters', ref);
    if (byId) return byId;
  }
  const byName = await conn.list<Row>(clusterType, { name: ref });
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new Error(`several clusters are named "${ref}": use the id (corral clusters ls)`);
  throw new Error(`unknown cluster "${ref}": see corral clusters ls for the clusters you can use`);
}

export function clusterRef(s: Session, opts: Opts, arg?: unknown): string {
  const ref = (arg as string | undefined) ?? (opts.cluster as string | undefined) ?? s.server.cluster;
  if (!ref) throw new UsageError('no cluster given and no current cluster: run corral context switch <cluster>');
  return ref;
}

export async function resolveProject(conn: V3Client, clusterId: string, ref: string): Promise<Row> {
  const id = /^c-[a-z0-9]+:p-[a-z0-9]+$|^local:p-[a-z0-9]+$/.test(ref)
    ? ref
    : /^p-[a-z0-9]+$/.test(ref)
      ? `${clusterId}:${ref}`
      : undefined;
  if (id) {
    const byId = await conn.find<Row>('projects', id);
    if (byId) return byId;
  }
  const byName = (await conn.list<Row>(projectType, { clusterId })).filter((p) => p.name === ref);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new Error(`several projects are named "${ref}": use the id (corral projects ls)`);
  throw new Error(`unknown project "${ref}" in cluster ${clusterId}: see corral projects ls`);
}

export async function projectFor(s: Session, opts: Opts): Promise<Row> {
  const clusterId = String((await resolveCluster(s.conn, clusterRef(s, opts))).id);
  const ref = (opts.project as string | undefined) ?? (clusterId === s.server.cluster ? s.server.project : undefined);
  if (!ref)
    throw new UsageError('no project given and no current project: run corral context switch <cluster>/<project>');
  return resolveProject(s.conn, clusterId, ref);
}

export async function resolveUserId(conn: V3Client, ref: string): Promise<string> {
  if (/^u-[a-z0-9]+$/.test(ref) || ref === 'user-admin') return ref;
  const found = await conn.list<Row>(userType, { username: ref });
  if (!found.length) throw new Error(`unknown user "${ref}": see corral users ls (or give the user id u-xxxxx)`);
  return String(found[0]!.id);
}
