import type { IncomingMessage } from 'node:http';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import { listAll } from '../../store/list-all.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext } from '../api/context.js';
import { cluster as clusterType, namespace as namespaceType } from '../../schema/types/index.js';
import { namespaceMoveInput } from '../../schema/types/namespace.js';
import { filterRendered, parseFilters, parseLimit } from '../api/list.js';
import { subtypeAsType, validateInput } from '../api/validate.js';
import type { Reply } from '../http/routes.js';
import type { ClusterConnection } from '../clusters/connections.js';
import { isMember, isOwner } from '../clusters/memberships.js';
import { readJsonObject } from '../http/body.js';
import { ApiError } from '../http/errors.js';
import {
  namespaceQuota,
  parseQuotaAnnotation,
  QUOTA_ANNOTATION,
  quotaFits,
  type RancherQuotaLimit,
} from '../rbac/quota.js';
import { canManageProject } from './access.js';
import { closure, loadTemplates } from './templates.js';

export const PROJECT_ANNOTATION = 'field.cattle.io/projectId';
export const PROJECT_LABEL_KEY = 'field.cattle.io/projectId';

export interface KubeNamespace {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    uid?: string;
    resourceVersion?: string;
  };
  status?: { phase?: string };
}

/** The project a namespace belongs to (c-xxxxx:p-xxxxx), by Rancher's annotation. */
export const projectOf = (ns: KubeNamespace) => ns.metadata.annotations?.[PROJECT_ANNOTATION] || undefined;

/** Listing and changing a cluster's namespaces, with their projects: `/v3/cluster/<clusterId>/namespaces`. */
export function namespacesApi(onChange: (clusterId: string) => void) {
  const namespaceMoveType = subtypeAsType(namespaceMoveInput.id);

  function connection(ctx: ApiContext, clusterId: string): ClusterConnection {
    const conn = ctx.services.connections.get(clusterId);
    if (!conn)
      throw new ApiError(
        'ServiceUnavailable',
        `cluster ${clusterId} is unavailable: its agent is not connected to this server`,
      );
    return conn;
  }

  function seesAll(ctx: ApiContext, clusterId: string): boolean {
    return ctx.can('get', clusterType, clusterId) || isMember(ctx.memberships, clusterId);
  }

  function render(ctx: ApiContext, clusterId: string, ns: KubeNamespace, canMove: boolean) {
    const self = `${ctx.baseUrl}/v3/cluster/${clusterId}/namespaces/${ns.metadata.name}`;
    const quota = ns.metadata.annotations?.[QUOTA_ANNOTATION];
    return {
      id: ns.metadata.name,
      type: 'namespace',
      name: ns.metadata.name,
      clusterId,
      projectId: projectOf(ns) ?? null,
      state: (ns.status?.phase ?? 'Active').toLowerCase(),
      created: ns.metadata.creationTimestamp,
      uuid: ns.metadata.uid,
      labels: ns.metadata.labels ?? {},
      annotations: ns.metadata.annotations ?? {},
      resourceQuota: quota ? safeQuota(quota) : null,
      links: canMove ? { self, remove: self } : { self },
      actions: canMove ? { move: `${self}?action=move` } : {},
    };
  }

  function safeQuota(json: string) {
    try {
      return parseQuotaAnnotation(json);
    } catch {
      return null;
    }
  }

  async function projectQuotaCheck(
    ctx: ApiContext,
    clusterId: string,
    projectId: string,
    nsName: string,
    annotations: Record<string, string>,
    all: KubeNamespace[],
  ) {
    const project = await ctx.store.get('project', projectId);
    const limit = (project.spec.resourceQuota as { limit?: RancherQuotaLimit } | null)?.limit;
    if (!limit) return;
    const nsDefault = (project.spec.namespaceDefaultResourceQuota as { limit?: RancherQuotaLimit } | null)?.limit;
    const others = all
      .filter((n) => projectOf(n) === projectId && n.metadata.name !== nsName)
      .map((n) => namespaceQuota(n.metadata.annotations, nsDefault) ?? {});
    const mine = namespaceQuota(annotations, nsDefault) ?? {};
    const fit = quotaFits(limit, [...others, mine]);
    if (!fit.ok) {
      const e = fit.exceeded[0]!;
      throw new ApiError(
        'MaxLimitExceeded',
        `namespace ${nsName} would take project ${projectId} over its ${e.field} limit of ${e.limit} by ${e.over} (the project's namespaces would total ${e.total})`,
        'resourceQuota',
      );
    }
    void clusterId;
  }

  /** May the caller put namespaces into (or take them out of) this project? */
  async function canPlace(ctx: ApiContext, projectId: string | undefined, clusterId: string): Promise<boolean> {
    if (isOwner(ctx.memberships, clusterId) || ctx.can('update', clusterType, clusterId)) return true;
    if (!projectId) return false;
    if (canManageProject(ctx, projectId)) return true;
    const held = ctx.projectMemberships.get(projectId);
    return held ? closure(held, await loadTemplates(ctx.store)).has('create-ns') : false;
  }

  async function validProject(ctx: ApiContext, clusterId: string, projectId: unknown): Promise<string | undefined> {
    if (projectId === null || projectId === undefined || projectId === '') return undefined;
    if (typeof projectId !== 'string' || !projectId.startsWith(`${clusterId}:`)) {
      throw new ApiError(
        'InvalidReference',
        `projectId must be a project of cluster ${clusterId} (${clusterId}:p-xxxxx)`,
        'projectId',
      );
    }
    await ctx.store.get('project', projectId).catch(() => {
      throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
    });
    return projectId;
  }

  /**
   * Creates a namespace, in a project or not, after the same checks as POST (rights to place it,
   * the project's quota); apps use it for a target namespace that does not exist yet.
   */
  async function createNamespace(
    ctx: ApiContext,
    clusterId: string,
    body: Record<string, unknown>,
  ): Promise<KubeNamespace> {
    const conn = connection(ctx, clusterId);
    const list = async () =>
      (await upstreamJson<{ items: KubeNamespace[] }>(conn.upstream, 'GET', '/api/v1/namespaces')).items;
    const nsName = String(body.name);
    const projectId = await validProject(ctx, clusterId, body.projectId);
    if (!(await canPlace(ctx, projectId, clusterId))) {
      throw new ApiError(
        'PermissionDenied',
        projectId
          ? `you may not create namespaces in project ${projectId}`
          : 'only cluster owners create namespaces outside projects',
      );
    }
    const annotations: Record<string, string> = {};
    if (projectId) annotations[PROJECT_ANNOTATION] = projectId;
    if (body.resourceQuota !== undefined && body.resourceQuota !== null) {
      const json = JSON.stringify(body.resourceQuota);
      try {
        parseQuotaAnnotation(json);
      } catch (err) {
        throw new ApiError('InvalidFormat', `resourceQuota: ${(err as Error).message}`, 'resourceQuota');
      }
      annotations[QUOTA_ANNOTATION] = json;
    }
    const all = await list();
    if (all.some((n) => n.metadata.name === nsName))
      throw new ApiError('Conflict', `namespace ${nsName} already exists in cluster ${clusterId}`);
    if (projectId) await projectQuotaCheck(ctx, clusterId, projectId, nsName, annotations, all);
    const created = await upstreamJson<KubeNamespace>(conn.upstream, 'POST', '/api/v1/namespaces', {
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: nsName,
          annotations,
          labels: projectId ? { [PROJECT_LABEL_KEY]: projectId.split(':')[1] } : {},
        },
      },
    }).catch(mapUpstream);
    onChange(clusterId);
    return created;
  }

  return Object.assign(handle, { createNamespace });

  async function handle(
    req: IncomingMessage,
    url: URL,
    ctx: ApiContext,
    clusterId: string,
    name: string | undefined,
  ): Promise<Reply> {
    const method = req.method ?? 'GET';
    const cluster: StoredObject = await ctx.store.get('cluster', clusterId).catch(() => {
      throw new ApiError('NotFound', `cluster "${clusterId}" not found`);
    });
    const visible = (ns: KubeNamespace) =>
      seesAll(ctx, clusterId) || (projectOf(ns) !== undefined && ctx.projectMemberships.has(projectOf(ns)!));
    if (!seesAll(ctx, clusterId) && ![...ctx.projectMemberships.keys()].some((p) => p.startsWith(`${cluster.id}:`))) {
      throw new ApiError('NotFound', `cluster "${clusterId}" not found`);
    }
    const conn = connection(ctx, clusterId);
    const list = async () =>
      (await upstreamJson<{ items: KubeNamespace[] }>(conn.upstream, 'GET', '/api/v1/namespaces')).items;

    if (!name && method === 'GET') {
      const items = (await list()).filter(visible);
      const rendered = await Promise.all(
        items.map(async (ns) => render(ctx, clusterId, ns, await canPlace(ctx, projectOf(ns), clusterId))),
      );
      // The same query filters as stored collections (Rancher's CLI lists by projectId and name).
      const filters = parseFilters(Object.keys(namespaceType.fields), url.searchParams);
      const data = filterRendered(rendered, filters).slice(0, parseLimit(url.searchParams));
      return { status: 200, body: { type: 'collection', resourceType: 'namespace', data } };
    }
    if (!name && method === 'POST') {
      const body = validateInput(namespaceType, await readJsonObject(req), 'create').fields;
      return { status: 201, body: render(ctx, clusterId, await createNamespace(ctx, clusterId, body), true) };
    }
    if (!name) throw new ApiError('MethodNotAllowed', `${method} is not allowed on namespaces`);

    const ns = await upstreamJson<KubeNamespace>(conn.upstream, 'GET', `/api/v1/namespaces/${name}`).catch(
      (err: unknown) => {
        if (err instanceof UpstreamError && err.status === 404)
          throw new ApiError('NotFound', `namespace ${name} not found in cluster ${clusterId}`);
        throw err;
      },
    );
    if (!visible(ns)) throw new ApiError('NotFound', `namespace ${name} not found in cluster ${clusterId}`);
    const from = projectOf(ns);
    if (method === 'GET')
      return { status: 200, body: render(ctx, clusterId, ns, await canPlace(ctx, from, clusterId)) };
    if (method === 'POST' && url.searchParams.get('action') === 'move') {
      const body = validateInput(namespaceMoveType, await readJsonObject(req), 'create').fields;
      const to = await validProject(ctx, clusterId, body.projectId);
      // Moving takes a namespace out of one project and into another: rights on both are needed.
      for (const p of [from, to]) {
        if (!(await canPlace(ctx, p, clusterId))) {
          throw new ApiError(
            'PermissionDenied',
            `moving ${name} needs rights on ${p ? `project ${p}` : 'the cluster (it is in no project)'}`,
          );
        }
      }
      if (to) await projectQuotaCheck(ctx, clusterId, to, name, ns.metadata.annotations ?? {}, await list());
      const patched = await upstreamJson<KubeNamespace>(conn.upstream, 'PATCH', `/api/v1/namespaces/${name}`, {
        headers: { 'content-type': 'application/merge-patch+json' },
        body: {
          metadata: {
            annotations: { [PROJECT_ANNOTATION]: to ?? null },
            labels: { [PROJECT_LABEL_KEY]: to ? to.split(':')[1] : null },
          },
        },
      }).catch(mapUpstream);
      onChange(clusterId);
      return { status: 200, body: render(ctx, clusterId, patched, true) };
    }
    if (method === 'DELETE') {
      if (
        !(await canPlace(ctx, from, clusterId)) ||
        (from && !canManageProject(ctx, from) && !isOwner(ctx.memberships, clusterId))
      ) {
        throw new ApiError('PermissionDenied', `you may not delete namespace ${name}`);
      }
      await upstreamJson(conn.upstream, 'DELETE', `/api/v1/namespaces/${name}`).catch(mapUpstream);
      onChange(clusterId);
      return { status: 200, body: render(ctx, clusterId, { ...ns, status: { phase: 'Terminating' } }, true) };
    }
    throw new ApiError('MethodNotAllowed', `${method} is not allowed on a namespace`);
  }
}

function mapUpstream(err: unknown): never {
  if (err instanceof UpstreamError && err.status === 409) throw new ApiError('Conflict', err.message);
  if (err instanceof UpstreamError && err.status && err.status < 500)
    throw new ApiError('InvalidValue', `the cluster refused: ${err.message}`);
  throw new ApiError('ServiceUnavailable', `the cluster did not answer: ${(err as Error).message}`);
}

export async function listProjectsOfCluster(ctx: Pick<ApiContext, 'store'>, clusterId: string) {
  return (await listAll(ctx.store, 'project')).filter((p) => p.spec.clusterId === clusterId);
}
