/**
 * `/v3/projects/<projectId>/workloads` and `/pods`, Rancher's project-scoped workload API. Every
 * read and write of a workload goes to the cluster AS THE CALLER (impersonated, exactly as through
 * the /k8s proxy), so the cluster's RBAC decides and the agent needs no rights on workloads.
 * Corral checks only that the project exists, that the caller sees it, and that the namespace is
 * one of the project's.
 */
import type { IncomingMessage } from 'node:http';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import { specOf } from '../../schema/fields.js';
import type { TypeDef } from '../../schema/schema.js';
import { cluster as clusterType, pod as podType, workload as workloadType } from '../../schema/types/index.js';
import { rollbackRevision } from '../../schema/types/workload.js';
import type { ApiContext } from '../api/context.js';
import { filterRendered, parseFilters, parseLimit } from '../api/list.js';
import { subtypeAsType, validateInput } from '../api/validate.js';
import { isMember } from '../clusters/memberships.js';
import { readJsonObject } from '../http/body.js';
import { ApiError } from '../http/errors.js';
import type { Reply } from '../http/routes.js';
import { downstreamHeaders } from '../proxy/impersonation.js';
import { apiErrorFromUpstream, callerClient, connectedOr503 } from '../proxy/upstream-errors.js';
import { projectOf, type KubeNamespace } from './namespaces.js';
import {
  currentRevision,
  editVersion,
  HISTORY_KINDS,
  historyOf,
  planServices,
  REDEPLOY_ANNOTATION,
  SERVICE_OWNER_LABEL,
  servicesFor,
  toKube,
  WORKLOAD_KINDS,
  type KubeObject,
  type WorkloadInput,
  type WorkloadKind,
} from '../../schema/workload-spec.js';
import { renderPod, renderWorkload } from './workloads.js';

const TYPES = Object.keys(WORKLOAD_KINDS) as WorkloadKind[];
const typeByLower = new Map(TYPES.map((t) => [t.toLowerCase(), t]));
const MERGE = { 'content-type': 'application/merge-patch+json' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

/** `deployment:<ns>:<name>` → its parts; a malformed id is simply not found. */
function parseId(id: string): { type: WorkloadKind; namespace: string; name: string } {
  const [t = '', namespace = '', ...rest] = id.split(':');
  const type = typeByLower.get(t.toLowerCase());
  const name = rest.join(':');
  if (!type || !namespace || !name) throw new ApiError('NotFound', `workload "${id}" not found`);
  return { type, namespace, name };
}

const objectPath = (type: WorkloadKind, ns: string, name?: string) =>
  `${WORKLOAD_KINDS[type].api}/namespaces/${encodeURIComponent(ns)}/${WORKLOAD_KINDS[type].resource}` +
  (name === undefined ? '' : `/${encodeURIComponent(name)}`);

export function projectResourcesApi() {
  return async function handle(
    req: IncomingMessage,
    url: URL,
    ctx: ApiContext,
    projectId: string,
    plural: string,
    id: string | undefined,
    sub?: string,
  ): Promise<Reply> {
    const schema: TypeDef | undefined = [workloadType, podType].find(
      (t) => t.plural.toLowerCase() === plural.toLowerCase(),
    );
    if (!schema) throw new ApiError('NotFound', `projects have no collection "${plural}"`);
    const method = req.method ?? 'GET';
    const clusterId = projectId.split(':')[0]!;
    const project = await ctx.store.get('project', projectId).catch(() => undefined);
    const sees =
      ctx.can('get', clusterType, clusterId) ||
      isMember(ctx.memberships, clusterId) ||
      ctx.projectMemberships.has(projectId);
    if (!project || !sees) throw new ApiError('NotFound', `project "${projectId}" not found`);
    const clusterObj = await ctx.store.get('cluster', clusterId).catch(() => undefined);
    const clusterName = String(clusterObj?.spec.name ?? clusterId);
    const projectName = String(project.spec.name);
    const conn = connectedOr503(ctx.services.connections, clusterId, clusterName);
    const asCaller = callerClient(conn, ctx.auth, clusterName);
    const listAsCaller = (path: string) =>
      upstreamJson<{ items: KubeObject[] }>(conn.upstream, 'GET', path, {
        headers: downstreamHeaders({}, ctx.auth),
        timeoutMs: 15_000,
      })
        .then((r) => r.items)
        .catch((err: unknown) => {
          // A namespace of the project the caller may not read lists as empty, as in Rancher.
          if (err instanceof UpstreamError && err.status === 403) return [];
          throw apiErrorFromUpstream(err, clusterName);
        });
    // The project's namespaces are read with the server's own rights: membership is Corral's.
    const projectNamespaces = async () =>
      (
        await upstreamJson<{ items: KubeNamespace[] }>(conn.upstream, 'GET', '/api/v1/namespaces').catch(
          (err: unknown) => {
            throw apiErrorFromUpstream(err, clusterName);
          },
        )
      ).items
        .filter((ns) => projectOf(ns) === projectId)
        .map((ns) => ns.metadata.name);
    const inProject = async (ns: string, field?: string) => {
      if (!(await projectNamespaces()).includes(ns)) {
        if (field) throw new ApiError('InvalidReference', `namespace "${ns}" is not in project ${projectName}`, field);
        throw new ApiError('NotFound', `no namespace "${ns}" in project ${projectName}`);
      }
    };
    const render = (type: WorkloadKind, obj: KubeObject) => renderWorkload(ctx.baseUrl, projectId, type, obj);

    if (schema === podType || (method === 'GET' && id === undefined)) {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', `${schema.plural} are read-only here`);
      const namespaces = (await projectNamespaces()).map(encodeURIComponent);
      let items: Record<string, unknown>[];
      if (schema === workloadType) {
        const lists = await Promise.all(
          TYPES.flatMap((type) =>
            namespaces.map(async (ns) => ({
              type,
              items: await listAsCaller(
                `${WORKLOAD_KINDS[type].api}/namespaces/${ns}/${WORKLOAD_KINDS[type].resource}`,
              ),
            })),
          ),
        );
        items = lists.flatMap((l) => l.items.map((o) => render(l.type, o)));
      } else {
        const lists = await Promise.all(namespaces.map((ns) => listAsCaller(`/api/v1/namespaces/${ns}/pods`)));
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
          createTypes: { workload: `${ctx.baseUrl}/v3/projects/${projectId}/workloads` },
          pagination: { limit },
          filters: Object.fromEntries(filters.map((f) => [f.field, [{ modifier: f.op, value: f.value }]])),
          data,
        },
      };
    }

    // ---- create ---------------------------------------------------------------------------------
    if (id === undefined) {
      if (method !== 'POST') throw new ApiError('MethodNotAllowed', `${method} is not allowed on workloads`);
      const input = validateInput(workloadType, await readJsonObject(req), 'create');
      const fields = specOf(workloadType, input.fields);
      const type = fields.workloadType;
      checkKindFields(type, fields);
      await inProject(fields.namespaceId, 'namespaceId');
      const obj = withPodMeta(toKube(type, fields), input.labels, input.annotations);
      const created = await asCaller<KubeObject>('POST', objectPath(type, fields.namespaceId), obj);
      try {
        for (const svc of servicesFor(type, created, fields.containers))
          await asCaller('POST', `/api/v1/namespaces/${encodeURIComponent(fields.namespaceId)}/services`, svc);
      } catch (err) {
        // All or nothing: a workload whose Services could not be made is taken back.
        await asCaller('DELETE', objectPath(type, fields.namespaceId, fields.name), {
          propagationPolicy: 'Background',
        }).catch(() => undefined);
        throw err;
      }
      return { status: 201, body: render(type, created) };
    }

    const { type, namespace, name } = parseId(id);
    await inProject(namespace);
    const path = objectPath(type, namespace, name);
    const current = await asCaller<KubeObject>('GET', path);

    if (sub !== undefined) {
      if (sub !== 'revisions' || method !== 'GET') throw new ApiError('NotFound', `workloads have no "${sub}"`);
      if (!(type in HISTORY_KINDS))
        throw new ApiError('NotFound', 'only Deployments, StatefulSets and DaemonSets keep revisions');
      return {
        status: 200,
        body: { type: 'collection', resourceType: 'revision', data: await revisions(type, current) },
      };
    }

    const action = url.searchParams.get('action');
    if (action !== null) {
      if (method !== 'POST') throw new ApiError('MethodNotAllowed', 'actions are POSTed');
      const patched = await runAction(action, type, current);
      return { status: 200, body: render(type, patched) };
    }

    if (method === 'GET') return { status: 200, body: render(type, current) };

    if (method === 'PUT') {
      const rendered = render(type, current);
      const input = validateInput(workloadType, await readJsonObject(req), 'update', rendered);
      const fields = specOf(workloadType, input.fields) as WorkloadInput;
      checkKindFields(type, fields, true);
      // The cluster's controllers write status all the time; a write that loses only that race
      // is applied again on the fresh object, as long as what the client read is still there.
      let latest = current;
      for (let attempt = 1; ; attempt++) {
        if (input.resourceVersion && input.resourceVersion !== editVersion(latest))
          throw new ApiError('Conflict', `workload ${name} changed since you read it: read it again and retry`);
        const next = withPodMeta(toKube(type, fields, latest), input.labels, input.annotations);
        try {
          const updated = await asCaller<KubeObject>('PUT', path, next);
          if (fields.containers) await syncServices(type, updated, fields.containers);
          return { status: 200, body: render(type, updated) };
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 409) || attempt >= 3) throw err;
          latest = await asCaller<KubeObject>('GET', path);
        }
      }
    }

    if (method === 'DELETE') {
      await asCaller('DELETE', path, { propagationPolicy: 'Background' });
      // The Services are owned by the workload and go with it; removing them now, not at the
      // garbage collector's pace, frees their node ports at once.
      for (const svc of await ownServices(type, current))
        await asCaller(
          'DELETE',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${svc.metadata.name}`,
        ).catch((err: unknown) => {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        });
      return { status: 200, body: { ...render(type, current), state: 'removing' } };
    }
    throw new ApiError('MethodNotAllowed', `${method} is not allowed on a workload`);

    // ---- helpers over this request's cluster and caller ------------------------------------------

    async function ownServices(t: WorkloadKind, obj: KubeObject) {
      const selector = encodeURIComponent(`${SERVICE_OWNER_LABEL}=${t.toLowerCase()}.${obj.metadata.name}`);
      return (
        await asCaller<{ items: KubeObject[] }>(
          'GET',
          `/api/v1/namespaces/${encodeURIComponent(obj.metadata.namespace!)}/services?labelSelector=${selector}`,
        )
      ).items;
    }

    /** Makes the workload's Services what its ports now ask for: create, replace, remove. */
    async function syncServices(
      t: WorkloadKind,
      obj: KubeObject,
      containers: NonNullable<WorkloadInput['containers']>,
    ) {
      const ns = encodeURIComponent(obj.metadata.namespace!);
      const plan = planServices(servicesFor(t, obj, containers), await ownServices(t, obj));
      for (const svc of plan.create) await asCaller('POST', `/api/v1/namespaces/${ns}/services`, svc);
      for (const svc of plan.update)
        await asCaller('PATCH', `/api/v1/namespaces/${ns}/services/${svc.metadata.name}`, { spec: svc.spec }, MERGE);
      for (const svc of plan.remove) await asCaller('DELETE', `/api/v1/namespaces/${ns}/services/${svc.metadata.name}`);
    }

    async function historyFor(t: WorkloadKind, obj: KubeObject) {
      const plural = HISTORY_KINDS[t as keyof typeof HISTORY_KINDS];
      const list = await asCaller<{ items: KubeObject[] }>(
        'GET',
        `/apis/apps/v1/namespaces/${encodeURIComponent(obj.metadata.namespace!)}/${plural}`,
      );
      return historyOf(obj, list.items);
    }

    async function revisions(t: WorkloadKind, obj: KubeObject) {
      const history = await historyFor(t, obj);
      const current = currentRevision(obj, history);
      return history.map((h) => ({
        type: 'revision',
        id: h.name,
        // Rancher's name for a Deployment's; for a StatefulSet or DaemonSet, its ControllerRevision.
        replicaSetId: h.name,
        revision: h.revision,
        current: h.revision === current,
        created: h.created,
        replicas: h.replicas ?? null,
        template: h.template,
      }));
    }

    async function runAction(a: string, t: WorkloadKind, obj: KubeObject): Promise<KubeObject> {
      const p = objectPath(t, obj.metadata.namespace!, obj.metadata.name);
      switch (a) {
        case 'redeploy': {
          if (t === 'job')
            throw new ApiError('InvalidAction', 'a Job cannot be redeployed: its pod template cannot change');
          const stamp = { metadata: { annotations: { [REDEPLOY_ANNOTATION]: new Date().toISOString() } } };
          const body =
            t === 'cronJob' ? { spec: { jobTemplate: { spec: { template: stamp } } } } : { spec: { template: stamp } };
          return asCaller<KubeObject>('PATCH', p, body, MERGE);
        }
        case 'pause':
        case 'resume':
          if (t !== 'deployment') throw new ApiError('InvalidAction', `only a Deployment can ${a} its rollout`);
          return asCaller<KubeObject>('PATCH', p, { spec: { paused: a === 'pause' } }, MERGE);
        case 'rollback': {
          if (!(t in HISTORY_KINDS))
            throw new ApiError('InvalidAction', 'only Deployments, StatefulSets and DaemonSets can be rolled back');
          const body = validateInput(subtypeAsType(rollbackRevision.id), await readJsonObject(req), 'create').fields;
          const history = await historyFor(t, obj);
          const now = currentRevision(obj, history);
          const target =
            body.replicaSetId !== undefined && body.replicaSetId !== null
              ? history.find((h) => h.name === body.replicaSetId)
              : body.revision !== undefined && body.revision !== null
                ? history.find((h) => h.revision === body.revision)
                : history.find((h) => h.revision < now);
          if (!target) {
            const known = history.map((h) => `${h.revision} (${h.name})`).join(', ') || 'none';
            throw new ApiError(
              'InvalidValue',
              `${t} ${obj.metadata.name} has no such revision to roll back to; its revisions: ${known}`,
              body.replicaSetId ? 'replicaSetId' : 'revision',
            );
          }
          // As `kubectl rollout undo`: the old revision's template replaces the current one,
          // guarded by the version read, so a concurrent change is not overwritten.
          return asCaller<KubeObject>(
            'PATCH',
            p,
            [
              { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
              { op: 'replace', path: '/spec/template', value: target.template },
            ],
            JSON_PATCH,
          );
        }
        default:
          throw new ApiError('ActionNotAvailable', `workloads have no action "${a}"`);
      }
    }
  };
}

/** Fields that make sense only for some kinds: refused elsewhere rather than silently dropped. */
function checkKindFields(type: WorkloadKind, fields: WorkloadInput, update = false): void {
  const only: [keyof WorkloadInput, WorkloadKind[]][] = [
    ['scale', ['deployment', 'statefulSet']],
    ['deploymentConfig', ['deployment']],
    ['cronJobConfig', ['cronJob']],
    ['jobConfig', ['job', 'cronJob']],
  ];
  for (const [field, kinds] of only)
    if (fields[field] !== undefined && fields[field] !== null && !kinds.includes(type))
      throw new ApiError('InvalidValue', `${field} does not apply to a ${type}`, field);
  if (type === 'cronJob' && !update && !fields.cronJobConfig?.schedule)
    throw new ApiError(
      'MissingRequired',
      'a cronJob needs cronJobConfig.schedule, e.g. "*/5 * * * *"',
      'cronJobConfig.schedule',
    );
  if (!update && (!fields.containers || fields.containers.length === 0))
    throw new ApiError('MissingRequired', 'a workload needs at least one container', 'containers');
}

/** Rancher's `labels`/`annotations` of a workload are its pods'; the selector label stays. */
function withPodMeta(
  obj: KubeObject,
  labels: Record<string, string> | undefined,
  annotations: Record<string, string> | undefined,
): KubeObject {
  if (!labels && !annotations) return obj;
  const spec = obj.spec!;
  const holder =
    obj.kind === 'CronJob' ? ((spec.jobTemplate as Record<string, unknown>).spec as Record<string, unknown>) : spec;
  const tpl = holder.template as {
    metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
  const selector = (spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  if (labels)
    tpl.metadata.labels = {
      ...labels,
      ...selector,
      ...pick(tpl.metadata.labels, 'workload.user.cattle.io/workloadselector'),
    };
  if (annotations)
    tpl.metadata.annotations = { ...annotations, ...pick(tpl.metadata.annotations, REDEPLOY_ANNOTATION) };
  return obj;
}

const pick = (o: Record<string, string> | undefined, key: string) => (o && key in o ? { [key]: o[key]! } : {});
