/**
 * Rancher's `?action=importYaml` on a cluster: YAML applied AS THE CALLER (server-side apply
 * through the impersonating connection), in one of three scopes. Every document is checked
 * before anything is written — its shape, its scope, and a server-side dry run — so a refused
 * import changes nothing.
 */
import { parseAllDocuments } from 'yaml';
import { upstreamJson } from '../../kube/upstream-client.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import { callerClient, connectedOr503 } from '../proxy/upstream-errors.js';
import { canSeeProject } from '../projects/access.js';
import { PROJECT_ANNOTATION, PROJECT_LABEL_KEY, projectOf, type KubeNamespace } from '../projects/namespaces.js';

interface Doc {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: {
    name?: unknown;
    namespace?: unknown;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
}

interface Resource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const APPLY = { 'content-type': 'application/apply-patch+yaml' };

export async function importYaml(
  cluster: StoredObject,
  input: Record<string, unknown>,
  ctx: ApiContext,
): Promise<Record<string, unknown>> {
  const clusterName = String(cluster.spec.name);
  const scopeNs = (input.namespace as string | null | undefined) || undefined;
  const projectId = (input.projectId as string | null | undefined) || undefined;
  const defaultNs = (input.defaultNamespace as string | null | undefined) || scopeNs || undefined;
  if (scopeNs && projectId)
    throw new ApiError(
      'InvalidValue',
      'give namespace (namespace scope) or projectId (project scope), not both',
      'namespace',
    );
  if (projectId) {
    if (!projectId.startsWith(`${cluster.id}:`) || !canSeeProject(ctx, projectId))
      throw new ApiError(
        'InvalidReference',
        `project "${projectId}" is not a project of cluster ${clusterName}`,
        'projectId',
      );
    await ctx.store.get('project', projectId).catch(() => {
      throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
    });
  }
  const conn = connectedOr503(ctx.services.connections, cluster.id, clusterName);
  const asCaller = callerClient(conn, ctx.auth, clusterName);

  // ---- parse and check every document before touching the cluster -------------------------------
  const parsed = parseAllDocuments(String(input.yaml));
  const docs: Doc[] = [];
  for (const [i, d] of (Array.isArray(parsed) ? parsed : [parsed]).entries()) {
    const err = 'errors' in d ? d.errors[0] : undefined;
    if (err)
      throw new ApiError('InvalidFormat', `document ${i + 1} is not valid YAML: ${err.message.split('\n')[0]}`, 'yaml');
    const value = d.toJS() as unknown;
    if (value === null || value === undefined) continue; // an empty document between ---
    if (typeof value !== 'object' || Array.isArray(value))
      throw new ApiError('InvalidFormat', `document ${i + 1} is not a Kubernetes object`, 'yaml');
    const doc = value as Doc;
    if (doc.kind === 'List' && Array.isArray(doc.items)) docs.push(...(doc.items as Doc[]));
    else docs.push(doc);
  }
  if (!docs.length) throw new ApiError('MissingRequired', 'the YAML holds no objects', 'yaml');

  const discovery = new Map<string, Resource[]>();
  const resourceOf = async (doc: Doc, n: number): Promise<Resource> => {
    const apiVersion = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
    const kind = typeof doc.kind === 'string' ? doc.kind : '';
    if (!apiVersion || !kind || typeof doc.metadata?.name !== 'string' || !doc.metadata.name)
      throw new ApiError('InvalidFormat', `object ${n} needs apiVersion, kind and metadata.name`, 'yaml');
    let list = discovery.get(apiVersion);
    if (!list) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      list = (await asCaller<{ resources: Resource[] }>('GET', path).catch(() => ({ resources: [] }))).resources;
      discovery.set(apiVersion, list);
    }
    const r = list.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!r)
      throw new ApiError(
        'InvalidValue',
        `object ${n} (${kind} ${doc.metadata.name}): cluster ${clusterName} has no ${kind} in ${apiVersion}`,
        'yaml',
      );
    return r;
  };

  const namespaces = (await upstreamJson<{ items: KubeNamespace[] }>(conn.upstream, 'GET', '/api/v1/namespaces')).items;
  const existingNs = new Map(namespaces.map((ns) => [ns.metadata.name, ns]));
  const plan: { doc: Doc; r: Resource; ns?: string; label: string }[] = [];
  for (const [i, doc] of docs.entries()) {
    const n = i + 1;
    const r = await resourceOf(doc, n);
    const name = String(doc.metadata!.name);
    const label = `${String(doc.kind)} ${name}`;
    let ns: string | undefined;
    if (r.namespaced) {
      const named =
        typeof doc.metadata!.namespace === 'string' && doc.metadata!.namespace ? doc.metadata!.namespace : undefined;
      if (scopeNs && named && named !== scopeNs)
        throw new ApiError(
          'InvalidValue',
          `object ${n} (${label}) names namespace "${named}", but this import is limited to namespace "${scopeNs}"; nothing was applied`,
          'yaml',
        );
      ns = named ?? defaultNs;
      if (!ns)
        throw new ApiError(
          'MissingRequired',
          `object ${n} (${label}) names no namespace: give a default namespace`,
          'defaultNamespace',
        );
      doc.metadata!.namespace = ns;
    } else if (scopeNs) {
      throw new ApiError(
        'InvalidValue',
        `object ${n} (${label}) is cluster-wide, and this import is limited to namespace "${scopeNs}"; nothing was applied`,
        'yaml',
      );
    }
    if (r.kind === 'Namespace' && r.name === 'namespaces' && projectId) {
      const have = existingNs.get(name);
      if (have && projectOf(have) !== projectId)
        throw new ApiError(
          'InvalidValue',
          `object ${n}: namespace "${name}" exists and is not in this project; nothing was applied`,
          'yaml',
        );
      // Rancher's project scope: the namespaces it creates join the project.
      doc.metadata!.annotations = { ...(doc.metadata!.annotations ?? {}), [PROJECT_ANNOTATION]: projectId };
      doc.metadata!.labels = { ...(doc.metadata!.labels ?? {}), [PROJECT_LABEL_KEY]: projectId.split(':')[1]! };
    }
    plan.push({ doc, r, ...(ns ? { ns } : {}), label });
  }
  if (projectId) {
    const created = new Set(plan.filter((p) => p.r.kind === 'Namespace').map((p) => String(p.doc.metadata!.name)));
    for (const p of plan) {
      if (!p.ns || created.has(p.ns)) continue;
      const have = existingNs.get(p.ns);
      if (!have || projectOf(have) !== projectId)
        throw new ApiError(
          'InvalidValue',
          `${p.label} goes to namespace "${p.ns}", which is not in this project; nothing was applied`,
          'yaml',
        );
    }
  }
  // Namespaces first, so what goes into them finds them.
  plan.sort((a, b) => Number(b.r.kind === 'Namespace') - Number(a.r.kind === 'Namespace'));

  const pathOf = (p: (typeof plan)[number]) => {
    const v = String(p.doc.apiVersion);
    const prefix = v.includes('/') ? `/apis/${v}` : `/api/${v}`;
    const ns = p.ns ? `/namespaces/${encodeURIComponent(p.ns)}` : '';
    return `${prefix}${ns}/${p.r.name}/${encodeURIComponent(String(p.doc.metadata!.name))}?fieldManager=corral-import&force=true`;
  };
  const newNamespaces = new Set(plan.filter((p) => p.r.kind === 'Namespace').map((p) => String(p.doc.metadata!.name)));
  // A dry run of everything the cluster can already judge (not what goes into a namespace this
  // import creates: that namespace does not exist until the import runs).
  for (const p of plan) {
    if (p.ns && newNamespaces.has(p.ns) && !existingNs.has(p.ns)) continue;
    await asCaller('PATCH', `${pathOf(p)}&dryRun=All`, p.doc, APPLY).catch((err: unknown) => {
      const e = err as ApiError;
      throw new ApiError(e.code, `${p.label}: ${e.message}; nothing was applied`, 'yaml');
    });
  }
  const applied: string[] = [];
  for (const p of plan) {
    await asCaller('PATCH', pathOf(p), p.doc, APPLY).catch((err: unknown) => {
      const e = err as ApiError;
      throw new ApiError(
        e.code,
        `${p.label}: ${e.message} (applied before it: ${applied.join(', ') || 'nothing'})`,
        'yaml',
      );
    });
    applied.push(p.ns ? `${p.label} in ${p.ns}` : p.label);
  }
  return { type: 'importYamlOutput', message: `applied ${applied.length} object(s)`, applied };
}
