import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { PROJECT_CREATE_OMIT } from '../projects.js';
import { project as projectType, projectRoleTemplateBinding as prtbType } from '../../schema/types/project.js';
import { saveConfig } from '../config.js';
import { UsageError } from '../usage-error.js';
import {
  PRTB_COLUMNS,
  PROJECT_COLUMNS,
  clusterRef,
  listOut,
  objectOut,
  projectFor,
  resolveCluster,
  resolveProject,
  resolveUserId,
  say,
  session,
  type Opts,
  type Row,
} from './common.js';

export async function projectsLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  listOut(await s.conn.list<Row>(projectType, { clusterId: String(c.id) }), PROJECT_COLUMNS, opts);
}

export async function projectsCreate([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const body: Row = { name, clusterId: c.id, ...bodyFromFlags(createFlags(projectType, PROJECT_CREATE_OMIT), opts) };
  objectOut(await s.conn.create<Row>(projectType, body), PROJECT_COLUMNS, opts);
}

export async function projectsRm([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const p = await resolveProject(s.conn, String(c.id), String(ref));
  await s.conn.remove(projectType, String(p.id));
  if (s.server.project === p.id) {
    s.config.servers.find((x) => x.name === s.server.name)!.project = undefined;
    await saveConfig(s.config);
  }
  say(`Deleted project ${p.name} (${p.id}).`);
}

/** `pods=10,requestsCpu=2` → { pods: '10', requestsCpu: '2' }; the server checks names and quantities. */
function parsePairs(flag: string, text: unknown): Row | undefined {
  if (text === undefined) return undefined;
  const out: Row = {};
  for (const pair of String(text).split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} takes field=quantity pairs separated by commas, not "${pair}"`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

export async function quotaSet(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const limit = parsePairs('--limit', opts.limit);
  const nsDefault = parsePairs('--namespace-default', opts.namespaceDefault);
  const container = parsePairs('--container-default', opts.containerDefault);
  const body: Row = {};
  if (opts.clear)
    Object.assign(body, {
      resourceQuota: null,
      namespaceDefaultResourceQuota: null,
      containerDefaultResourceLimit: null,
    });
  if (limit) body.resourceQuota = { limit };
  if (nsDefault) body.namespaceDefaultResourceQuota = { limit: nsDefault };
  if (container) body.containerDefaultResourceLimit = container;
  if (Object.keys(body).length === 0)
    throw new UsageError('give --limit, --namespace-default, --container-default or --clear');
  const updated = await s.conn.update<Row>(projectType, String(p.id), body);
  objectOut(updated, PROJECT_COLUMNS, opts);
}

export async function membersLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const rows = await s.conn.list<Row>(prtbType, { projectId: String(p.id) });
  listOut(rows, PRTB_COLUMNS, opts);
}

export async function membersAdd([user]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const userId = await resolveUserId(s.conn, String(user));
  const b = await s.conn.create<Row>(prtbType, {
    projectId: p.id,
    userId,
    roleTemplateId: opts.role,
  });
  objectOut(b, PRTB_COLUMNS, opts);
}

export async function membersRm([user]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const userId = await resolveUserId(s.conn, String(user));
  const rows = (await s.conn.list<Row>(prtbType, { projectId: String(p.id) })).filter(
    (b) => b.userId === userId && (!opts.role || b.roleTemplateId === opts.role),
  );
  if (!rows.length) throw new Error(`${user} has no${opts.role ? ` ${opts.role}` : ''} role in project ${p.name}`);
  for (const b of rows) await s.conn.remove(prtbType, String(b.id));
  say(`Removed ${rows.map((b) => b.roleTemplateId).join(', ')} of ${user} in project ${p.name}.`);
}
