import type { IncomingMessage } from 'node:http';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { ApiContext } from '../api/context.js';
import { filterRendered, parseFilters, parseLimit } from '../api/list.js';
import { cluster as clusterType, pod as podType, workload as workloadType } from '../../schema/types/index.js';
import type { TypeDef } from '../../schema/schema.js';
import { isMember } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import type { Reply } from '../http/routes.js';
import { downstreamHeaders } from '../proxy/impersonation.js';
import { projectOf, type KubeNamespace } from './namespaces.js';

interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface Container {
  name: string;
  image?: string;
}

/** The workload kinds Rancher lists, with their Rancher type names and where they are listed. */
const KINDS = [
  { type: 'deployment', api: '/apis/apps/v1', resource: 'deployments' },
  { type: 'statefulSet', api: '/apis/apps/v1', resource: 'statefulsets' },
  { type: 'daemonSet', api: '/apis/apps/v1', resource: 'daemonsets' },
  { type: 'job', api: '/apis/batch/v1', resource: 'jobs' },
  { type: 'cronJob', api: '/apis/batch/v1', resource: 'cronjobs' },
] as const;

type WorkloadKind = (typeof KINDS)[number]['type'];

function podTemplateSpec(type: WorkloadKind, spec: Record<string, unknown>): Record<string, unknown> {
  const path = type === 'cronJob' ? ['jobTemplate', 'spec', 'template', 'spec'] : ['template', 'spec'];
  let at: unknown = spec;
  for (const key of path) at = (at as Record<string, unknown> | undefined)?.[key];
  return (at as Record<string, unknown> | undefined) ?? {};
}

const containersOf = (podSpec: Record<string, unknown>) =>
  ((podSpec.containers as Container[] | undefined) ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));

/** Rancher's state of a workload: active once what it asked for is available, else updating. */
function workloadState(type: WorkloadKind, obj: KubeObject): string {
  if (obj.metadata.deletionTimestamp) return 'removing';
  const s = obj.status ?? {};
  const n = (k: string) => Number(s[k] ?? 0);
  if (type === 'deployment' || type === 'statefulSet') {
    const want = Number(obj.spec?.replicas ?? 1);
    return n(type === 'deployment' ? 'availableReplicas' : 'readyReplicas') >= want ? 'active' : 'updating';
  }
  if (type === 'daemonSet') return n('numberReady') >= n('desiredNumberScheduled') ? 'active' : 'updating';
  if (type === 'job') return n('succeeded') > 0 ? 'succeeded' : n('failed') > 0 ? 'failed' : 'active';
  return obj.spec?.suspend === true ? 'suspended' : 'active';
}

/** A Kubernetes workload as Rancher's v3 workload (id `<type>:<namespace>:<name>`, lower-case type). */
export function renderWorkload(
  baseUrl: string,
  projectId: string,
  type: WorkloadKind,
  obj: KubeObject,
): Record<string, unknown> {
  const ns = obj.metadata.namespace ?? '';
  const id = `${type.toLowerCase()}:${ns}:${obj.metadata.name}`;
  const spec = obj.spec ?? {};
  const scaled = type === 'deployment' || type === 'statefulSet';
  return {
    ...common(baseUrl, projectId, 'workloads', id, obj),
    type: type.toLowerCase(),
    baseType: 'workload',
    workloadType: type,
    state: workloadState(type, obj),
    scale: scaled ? Number(spec.replicas ?? 1) : null,
    paused: spec.paused === true,
    containers: containersOf(podTemplateSpec(type, spec)),
    workloadLabels: obj.metadata.labels ?? {},
  };
}

/** The workload that controls a pod, in Rancher's id form (a ReplicaSet stands for its Deployment). */
export function podWorkloadId(pod: KubeObject): string | null {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return null;
  const ns = pod.metadata.namespace ?? '';
  if (owner.kind === 'ReplicaSet') {
    // A Deployment's ReplicaSets are named <deployment>-<pod-template-hash>.
    const cut = owner.name.lastIndexOf('-');
    return `deployment:${ns}:${cut > 0 ? owner.name.slice(0, cut) : owner.name}`;
  }
  return `${owner.kind.toLowerCase()}:${ns}:${owner.name}`;
}

export function renderPod(baseUrl: string, projectId: string, obj: KubeObject): Record<string, unknown> {
  const ns = obj.metadata.namespace ?? '';
  const phase = String(obj.status?.phase ?? 'Pending');
  return {
    ...common(baseUrl, projectId, 'pods', `${ns}:${obj.metadata.name}`, obj),
    type: 'pod',
    baseType: 'pod',
    state: obj.metadata.deletionTimestamp ? 'removing' : phase.toLowerCase(),
    nodeId: obj.spec?.nodeName ?? null,
    workloadId: podWorkloadId(obj),
    containers: containersOf(obj.spec ?? {}),
  };
}

function common(baseUrl: string, projectId: string, plural: string, id: string, obj: KubeObject) {
  return {
    id,
    name: obj.metadata.name,
    namespaceId: obj.metadata.namespace ?? '',
    projectId,
    created: obj.metadata.creationTimestamp ?? null,
    uuid: obj.metadata.uid ?? '',
    labels: obj.metadata.labels ?? {},
    annotations: obj.metadata.annotations ?? {},
    transitioning: 'no',
    transitioningMessage: '',
    links: { self: `${baseUrl}/v3/projects/${projectId}/${plural}/${id}` },
    actions: {},
  };
}

/**
 * `/v3/projects/<projectId>/workloads` and `/pods`: read from the project's cluster, for the
 * namespaces of the project. Read-only; a workload is changed with kubectl.
 */
export function projectResourcesApi() {
  return async function handle(
    req: IncomingMessage,
    url: URL,
    ctx: ApiContext,
    projectId: string,
    plural: string,
    id: string | undefined,
  ): Promise<Reply> {
    const schema: TypeDef | undefined = [workloadType, podType].find(
      (t) => t.plural.toLowerCase() === plural.toLowerCase(),
    );
    if (!schema) throw new ApiError('NotFound', `projects have no collection "${plural}"`);
    if ((req.method ?? 'GET') !== 'GET') throw new ApiError('MethodNotAllowed', `${schema.plural} are read-only here`);
    const clusterId = projectId.split(':')[0]!;
    const project = await ctx.store.get('project', projectId).catch(() => undefined);
    const sees =
      ctx.can('get', clusterType, clusterId) ||
      isMember(ctx.memberships, clusterId) ||
      ctx.projectMemberships.has(projectId);
    if (!project || !sees) throw new ApiError('NotFound', `project "${projectId}" not found`);
    const conn = ctx.services.connections.get(clusterId);
    if (!conn)
      throw new ApiError(
        'ServiceUnavailable',
        `cluster ${clusterId} is unavailable: it is not connected to this server`,
      );
    const get = <T>(path: string) => upstreamJson<{ items: T[] }>(conn.upstream, 'GET', path).then((r) => r.items);
    // Workloads and pods are read as the caller (impersonated, as through the proxy): they see
    // what their roles in the cluster let them, and the agent needs no rights on workloads.
    const asCaller = (path: string) =>
      upstreamJson<{ items: KubeObject[] }>(conn.upstream, 'GET', path, { headers: downstreamHeaders({}, ctx.auth) })
        .then((r) => r.items)
        .catch((err: unknown) => {
          if (err instanceof UpstreamError && err.status === 403) return [];
          throw err;
        });

    const namespaces = (await get<KubeNamespace>('/api/v1/namespaces'))
      .filter((ns) => projectOf(ns) === projectId)
      .map((ns) => encodeURIComponent(ns.metadata.name));
    let items: Record<string, unknown>[];
    if (schema === workloadType) {
      const lists = await Promise.all(
        KINDS.flatMap((k) =>
          namespaces.map(async (ns) => ({
            type: k.type,
            items: await asCaller(`${k.api}/namespaces/${ns}/${k.resource}`),
          })),
        ),
      );
      items = lists.flatMap((l) => l.items.map((o) => renderWorkload(ctx.baseUrl, projectId, l.type, o)));
    } else {
      const lists = await Promise.all(namespaces.map((ns) => asCaller(`/api/v1/namespaces/${ns}/pods`)));
      items = lists.flat().map((o) => renderPod(ctx.baseUrl, projectId, o));
    }
    if (id !== undefined) {
      const found = items.find((i) => i.id === id);
      if (!found) throw new ApiError('NotFound', `${schema.id} "${id}" not found`);
      return { status: 200, body: found };
    }
    const filters = parseFilters(Object.keys(schema.fields), url.searchParams);
    const limit = parseLimit(url.searchParams);
    const data = filterRendered(items, filters)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)))
      .slice(0, limit);
    return {
      status: 200,
      body: {
        type: 'collection',
        resourceType: schema.id,
        links: { self: `${ctx.baseUrl}${url.pathname}${url.search}` },
        pagination: { limit },
        filters: Object.fromEntries(filters.map((f) => [f.field, [{ modifier: f.op, value: f.value }]])),
        data,
      },
    };
  };
}
