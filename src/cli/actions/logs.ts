import { V3Error } from '../../client/v3-client.js';
import { UsageError } from '../usage-error.js';
import { clusterRef, resolveCluster, session, type Opts } from './common.js';

/** The query of Kubernetes' pods/log subresource for the verb's options. */
export function logQuery(opts: Opts): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.container) q.set('container', String(opts.container));
  if (opts.previous) q.set('previous', 'true');
  if (opts.follow) q.set('follow', 'true');
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.tail !== undefined) {
    const n = Number(opts.tail);
    if (!Number.isInteger(n) || n < 0) throw new UsageError('--tail takes a number of lines, e.g. 100');
    q.set('tailLines', String(n));
  }
  if (opts.follow && opts.previous)
    throw new UsageError('--follow and --previous do not go together: a terminated container writes no more');
  return q;
}

export async function logs([pod]: unknown[], opts: Opts): Promise<void> {
  const q = logQuery(opts);
  const s = await session(opts);
  const cluster = await resolveCluster(s.conn, clusterRef(s, opts));
  const ns = String(opts.namespace ?? 'default');
  // Through the server's proxy: the request runs as the user and the cluster's RBAC decides.
  const path =
    `/k8s/clusters/${encodeURIComponent(String(cluster.id))}/api/v1/namespaces/${encodeURIComponent(ns)}` +
    `/pods/${encodeURIComponent(String(pod))}/log?${q}`;
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const res = await s.conn.stream(path, abort.signal).catch((err: unknown) => {
      if (err instanceof V3Error && err.status === 403)
        throw new Error(
          `your roles in cluster ${String(cluster.name ?? cluster.id)} do not allow reading the logs of pod ${ns}/${String(pod)}: ${err.message}`,
        );
      throw err;
    });
    for await (const chunk of res) process.stdout.write(chunk as Buffer);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', stop);
  }
}
