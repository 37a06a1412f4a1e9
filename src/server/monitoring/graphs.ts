import type { IncomingMessage } from 'node:http';
import { cluster as clusterType } from '../../schema/types/index.js';
import { upstreamJson } from '../../kube/upstream-client.js';
import type { ApiContext } from '../api/context.js';
import { isMember } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { reply, type Reply } from '../http/routes.js';
import { canSeeProject } from '../projects/access.js';
import { clusterOfProject, shortProjectId } from '../projects/memberships.js';
import type { MonitoringController } from './controller.js';
import { PromError } from './prometheus.js';

/**
 * The graphs: CPU, memory, network and disk of containers (cAdvisor through the kubelet), summed
 * at the level asked for, and the API server's request rate. `SEL` is replaced by label matchers
 * the server builds; the client never sends PromQL in a project, so a project member reads only
 * the project's namespaces.
 */
export const GRAPHS: Record<string, { title: string; unit: string; expr: string; clusterOnly?: boolean }> = {
  cpu: { title: 'CPU', unit: 'cores', expr: 'sum(rate(container_cpu_usage_seconds_total{container!="",SEL}[5m]))' },
  memory: { title: 'Memory', unit: 'bytes', expr: 'sum(container_memory_working_set_bytes{container!="",SEL})' },
  network: {
    title: 'Network (received + sent)',
    unit: 'bytes/s',
    expr: 'sum(rate(container_network_receive_bytes_total{SEL}[5m])) + sum(rate(container_network_transmit_bytes_total{SEL}[5m]))',
  },
  disk: {
    title: 'Disk (read + written)',
    unit: 'bytes/s',
    expr: 'sum(rate(container_fs_reads_bytes_total{SEL}[5m])) + sum(rate(container_fs_writes_bytes_total{SEL}[5m]))',
  },
  apiserver: {
    title: 'API server requests',
    unit: 'requests/s',
    expr: 'sum by (code) (rate(apiserver_request_total[5m]))',
    clusterOnly: true,
  },
};

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A PromQL string literal's content: its backslashes (a regex's escapes) and quotes escaped once more. */
const promString = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function param(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!NAME.test(v) || v.length > 253)
    throw new ApiError(
      'InvalidFormat',
      `${name} must be a Kubernetes name (lower-case letters, digits, - and .)`,
      name,
    );
  return v;
}

/** Label matchers for the level asked: a node, a namespace, a workload's pods, a pod; and the project's namespaces. */
export function selector(url: URL, projectNamespaces?: string[]): string {
  const m: string[] = [];
  const node = param(url, 'node');
  const namespace = param(url, 'namespace');
  const pod = param(url, 'pod');
  const workload = param(url, 'workload');
  if (node) m.push(`node="${node}"`);
  if (projectNamespaces) {
    if (namespace && !projectNamespaces.includes(namespace))
      throw new ApiError('NotFound', `namespace ${namespace} is not in this project`, 'namespace');
    m.push(`namespace=~"${promString(projectNamespaces.map(escapeRegex).join('|'))}"`);
  }
  if (namespace) m.push(`namespace="${namespace}"`);
  if ((pod || workload) && !namespace)
    throw new ApiError('MissingRequired', 'pod and workload need a namespace', 'namespace');
  if (pod) m.push(`pod="${pod}"`);
  // A workload's pods are named after it (Deployment: <name>-<hash>-<id>; StatefulSet: <name>-<n>).
  else if (workload) m.push(`pod=~"${promString(escapeRegex(workload))}-.+"`);
  return m.join(',');
}

export function graphExpression(graph: string, sel: string): string {
  const g = GRAPHS[graph]!;
  return g.expr.replace(/,SEL\}/g, sel ? `,${sel}}` : '}').replace(/\{SEL\}/g, sel ? `{${sel}}` : '');
}

function rangeOf(url: URL): { start: number; end: number; step: number } {
  const range = Number(url.searchParams.get('range') ?? 3600);
  if (!Number.isInteger(range) || range < 60 || range > 30 * 86400)
    throw new ApiError('InvalidValue', 'range must be seconds between 60 and 2592000 (30 days)', 'range');
  const end = Math.floor(Date.now() / 1000);
  // About 120 points per graph, never finer than 15 s.
  return { start: end - range, end, step: Math.max(15, Math.floor(range / 120)) };
}

/** Namespaces of a project, read with the server's own rights (membership is Corral's). */
async function projectNamespaces(ctx: ApiContext, projectId: string): Promise<string[]> {
  const conn = ctx.services.connections.get(clusterOfProject(projectId));
  if (!conn) throw new ApiError('ServiceUnavailable', `cluster ${clusterOfProject(projectId)} is not connected`);
  const list = await upstreamJson<{ items: { metadata: { name: string } }[] }>(
    conn.upstream,
    'GET',
    `/api/v1/namespaces?labelSelector=${encodeURIComponent(`field.cattle.io/projectId=${shortProjectId(projectId)}`)}`,
  );
  return list.items.map((n) => n.metadata.name);
}

/**
 * GET /v3/clusters/<id>/monitoring: whether monitoring is on and running, and the graphs.
 * GET /v3/clusters/<id>/monitoring/query?graph=cpu&node=…&namespace=…&workload=…&pod=…&range=3600
 * (or &expr=<PromQL> for who sees the whole cluster), and the same under /v3/projects/<id>/ with
 * the project's namespaces always injected. Answers the expression with the series.
 */
export async function monitoringApi(
  m: MonitoringController | undefined,
  req: IncomingMessage,
  url: URL,
  ctx: ApiContext,
  scope: { clusterId: string } | { projectId: string },
  what: string | undefined,
): Promise<Reply> {
  if (req.method !== 'GET') throw new ApiError('MethodNotAllowed', 'monitoring is read with GET');
  const clusterId = 'clusterId' in scope ? scope.clusterId : clusterOfProject(scope.projectId);
  const sees =
    'clusterId' in scope
      ? ctx.can('get', clusterType, clusterId) || isMember(ctx.memberships, clusterId)
      : canSeeProject(ctx, scope.projectId);
  if (!sees) throw new ApiError('NotFound', `${'clusterId' in scope ? 'cluster' : 'project'} not found`);
  const cluster = await ctx.store.get('cluster', clusterId);
  const prom = m?.running(clusterId);
  const graphs = Object.entries(GRAPHS)
    .filter(([, g]) => !(g.clusterOnly && 'projectId' in scope))
    .map(([id, g]) => ({ id, title: g.title, unit: g.unit }));
  if (!what)
    return reply(200, {
      enabled: cluster.spec.enableClusterMonitoring === true,
      running: !!prom,
      graphs,
    });
  if (what !== 'query') throw new ApiError('NotFound', `no monitoring/${what}: use monitoring/query`);
  if (!prom)
    throw new ApiError(
      'ServiceUnavailable',
      cluster.spec.enableClusterMonitoring === true
        ? 'cluster monitoring is starting; try again shortly'
        : 'cluster monitoring is off: set enableClusterMonitoring on the cluster',
    );
  const raw = url.searchParams.get('expr');
  let expression: string;
  if (raw) {
    if ('projectId' in scope)
      throw new ApiError(
        'PermissionDenied',
        'a project reads its predefined graphs (graph=…), not any expression',
        'expr',
      );
    if (raw.length > 4096) throw new ApiError('MaxLengthExceeded', 'expr is longer than 4096 characters', 'expr');
    expression = raw;
  } else {
    const graph = url.searchParams.get('graph') ?? '';
    if (!graphs.some((g) => g.id === graph))
      throw new ApiError('InvalidOption', `graph must be one of ${graphs.map((g) => g.id).join(', ')}`, 'graph');
    const ns = 'projectId' in scope ? await projectNamespaces(ctx, scope.projectId) : undefined;
    expression = graphExpression(graph, selector(url, ns));
  }
  const { start, end, step } = rangeOf(url);
  try {
    const data = await prom.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
      '/api/v1/query_range',
      { query: expression, start: String(start), end: String(end), step: String(step) },
    );
    return reply(200, {
      expression,
      start,
      end,
      step,
      series: data.result.map((r) => ({ labels: r.metric, values: r.values.map(([t, v]) => [t, Number(v)]) })),
    });
  } catch (err) {
    if (err instanceof PromError && err.status === 400)
      throw new ApiError('InvalidValue', `the expression is not valid PromQL: ${err.message}`, 'expr');
    throw err;
  }
}
