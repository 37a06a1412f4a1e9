import { workload } from '../../schema/types/workload.js';
import { UsageError } from '../usage-error.js';
import { columnsOf, listOut, objectOut, projectFor, say, session, type Opts, type Row } from './common.js';

const COLUMNS = columnsOf(workload.columns);
const REVISION_COLUMNS = columnsOf(['revision', 'replicaSetId', 'current', 'replicas', 'created']);

async function base(opts: Opts) {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  return { s, url: `/v3/projects/${String(p.id)}/workloads` };
}

const idPath = (id: unknown) => encodeURIComponent(String(id)).replace(/%3A/gi, ':');

export async function workloadsLs(_a: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  listOut(await s.conn.listPath<Row>(url), COLUMNS, opts);
}

export async function workloadsGet([id]: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  objectOut(await s.conn.call<Row>('GET', `${url}/${idPath(id)}`), COLUMNS, opts);
}

export async function workloadsRm([id]: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  await s.conn.call('DELETE', `${url}/${idPath(id)}`);
  say(`Deleting workload ${String(id)}.`);
}

export async function workloadsAction([verb, id]: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  objectOut(await s.conn.call<Row>('POST', `${url}/${idPath(id)}?action=${String(verb)}`, {}), COLUMNS, opts);
}

export async function workloadsRevisions([id]: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  const r = await s.conn.call<{ data: Row[] }>('GET', `${url}/${idPath(id)}/revisions`);
  listOut(r.data, REVISION_COLUMNS, opts);
}

export async function workloadsRollback([id]: unknown[], opts: Opts): Promise<void> {
  const { s, url } = await base(opts);
  const body: Row = {};
  if (opts.revision !== undefined) {
    const n = Number(opts.revision);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--revision takes a revision number, e.g. 2');
    body.revision = n;
  }
  if (opts.replicaSet !== undefined) body.replicaSetId = String(opts.replicaSet);
  objectOut(await s.conn.call<Row>('POST', `${url}/${idPath(id)}?action=rollback`, body), COLUMNS, opts);
}
