import { UsageError } from '../usage-error.js';
import {
  NAMESPACE_COLUMNS,
  clusterRef,
  listOut,
  objectOut,
  resolveCluster,
  resolveProject,
  say,
  session,
  type Opts,
  type Row,
} from './common.js';

export async function namespacesLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  let rows = await s.conn.listPath<Row>(`/v3/cluster/${c.id}/namespaces`);
  const pRef = (opts.project as string | undefined) ?? (c.id === s.server.cluster ? s.server.project : undefined);
  if (!opts.all && pRef) {
    const p = await resolveProject(s.conn, String(c.id), pRef);
    rows = rows.filter((n) => n.projectId === p.id);
  }
  listOut(rows, NAMESPACE_COLUMNS, opts);
}

export async function namespacesCreate([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  let projectId: unknown = null;
  if (opts.project !== false) {
    const pRef = (opts.project as string | undefined) ?? (c.id === s.server.cluster ? s.server.project : undefined);
    if (!pRef)
      throw new UsageError('no project given and no current project: use --project <project>, or --no-project');
    projectId = (await resolveProject(s.conn, String(c.id), pRef)).id;
  }
  const ns = await s.conn.call<Row>('POST', `/v3/cluster/${c.id}/namespaces`, { name, projectId });
  objectOut(ns, NAMESPACE_COLUMNS, opts);
}

export async function namespacesMove([name, to]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const projectId = to === 'none' ? null : (await resolveProject(s.conn, String(c.id), String(to))).id;
  const ns = await s.conn.call<Row>('POST', `/v3/cluster/${c.id}/namespaces/${name}?action=move`, { projectId });
  objectOut(ns, NAMESPACE_COLUMNS, opts);
}

export async function namespacesRm([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  await s.conn.call('DELETE', `/v3/cluster/${c.id}/namespaces/${name}`);
  say(`Deleting namespace ${name}.`);
}
