import { listAll } from '../../store/list-all.js';
import { StoreError, type StoredObject } from '../../store/types.js';
import type { TypeDef } from '../../schema/schema.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { isMember, isOwner } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { canManageProject, canSeeProject } from '../projects/access.js';
import { shortProjectId } from '../projects/memberships.js';
import { REFRESH_ANNOTATION } from './sync.js';
import { catalog, clusterCatalog } from '../../schema/types/catalog.js';

/** The password goes into the store sealed; `password` itself is never stored or rendered. */
function sealPassword(fields: Record<string, unknown>, ctx: ApiContext, previous?: unknown): Record<string, unknown> {
  const { password, ...rest } = fields;
  if (typeof password === 'string' && password !== '')
    return { ...rest, passwordEncrypted: ctx.services.secretBox.encrypt(password) };
  return previous ? { ...rest, passwordEncrypted: previous } : rest;
}

async function requestRefresh(obj: StoredObject, ctx: ApiContext): Promise<StoredObject> {
  const fresh = await ctx.store.get(obj.type, obj.id);
  return ctx.store.update({
    ...fresh,
    metadata: {
      ...fresh.metadata,
      annotations: { ...fresh.metadata.annotations, [REFRESH_ANNOTATION]: new Date().toISOString() },
    },
  });
}

interface ScopeRules {
  /** The id to store: the name, or `<scope>:<name>`. */
  idOf(fields: Record<string, unknown>): string;
  check?(fields: Record<string, unknown>, ctx: ApiContext): Promise<void>;
  sees?(obj: StoredObject, ctx: ApiContext): boolean;
  manages?(obj: StoredObject, ctx: ApiContext): boolean;
}

/**
 * A URL's password would be stored and shown in the clear: credentials go in username/password.
 * `file://` and `ssh://` read the server's own disk and keys, so only global catalog managers
 * (who could add a global catalog anyway) may use them.
 */
function checkUrl(url: unknown, ctx: ApiContext) {
  if (typeof url !== 'string') return;
  if (/^[a-z]+:\/\/[^/]*@/i.test(url))
    throw new ApiError('InvalidFormat', 'url must not carry credentials: give username and password', 'url');
  if (/^(file|ssh):/i.test(url) && !ctx.can('create', catalog))
    throw new ApiError(
      'PermissionDenied',
      "only catalog managers may use file:// or ssh:// URLs (they read the server's own files and keys)",
    );
}

function catalogBehaviorFor(scope: ScopeRules): TypeBehavior {
  return {
    async prepareCreate(fields, ctx) {
      checkUrl(fields.url, ctx);
      await scope.check?.(fields, ctx);
      return { id: scope.idOf(fields), spec: sealPassword(fields, ctx) };
    },
    async prepareUpdate(existing, fields, ctx) {
      checkUrl(fields.url, ctx);
      return sealPassword({ ...existing.spec, ...fields }, ctx, existing.spec.passwordEncrypted);
    },
    ...(scope.sees
      ? {
          ownerAllows: (verb: string, obj: StoredObject, ctx: ApiContext) =>
            verb === 'create' ||
            ((verb === 'get' || verb === 'list') && scope.sees!(obj, ctx)) ||
            scope.manages!(obj, ctx),
          ownListFilter: (ctx: ApiContext) => (obj: StoredObject) => scope.sees!(obj, ctx),
        }
      : {}),
    resourceActions: { refresh: (obj, _input, ctx) => requestRefresh(obj, ctx) },
    collectionActions: {
      async refresh(_input, ctx) {
        const all = (await ctx.store.list('catalog')).items;
        await Promise.all(all.map((c) => requestRefresh(c, ctx)));
        return { catalogs: all.map((c) => c.id) };
      },
    },
  };
}

export const catalogBehavior = catalogBehaviorFor({
  idOf: (f) => String(f.name),
  // Template ids are `<prefix>-<chart>`; a global name shaped like a cluster or project catalog's
  // prefix (`c-xxxxx-…`) could collide with that catalog's templates.
  async check(fields) {
    if (/^[cp]-[a-z0-9]{5}-/.test(String(fields.name)))
      throw new ApiError(
        'InvalidFormat',
        'a global catalog name may not start like a cluster or project id (c-xxxxx-, p-xxxxx-)',
        'name',
      );
  },
});

export const clusterCatalogBehavior = catalogBehaviorFor({
  idOf: (f) => `${String(f.clusterId)}:${String(f.name)}`,
  async check(fields, ctx) {
    const clusterId = String(fields.clusterId);
    await ctx.store.get('cluster', clusterId).catch(() => {
      throw new ApiError('InvalidReference', `cluster "${clusterId}" does not exist`, 'clusterId');
    });
    if (!ctx.can('create', clusterCatalog) && !isOwner(ctx.memberships, clusterId))
      throw new ApiError('PermissionDenied', `only owners of cluster ${clusterId} may add its catalogs`);
  },
  sees: (obj, ctx) => isMember(ctx.memberships, String(obj.spec.clusterId)),
  manages: (obj, ctx) => isOwner(ctx.memberships, String(obj.spec.clusterId)),
});

export const projectCatalogBehavior = catalogBehaviorFor({
  idOf: (f) => `${shortProjectId(String(f.projectId))}:${String(f.name)}`,
  async check(fields, ctx) {
    const projectId = String(fields.projectId);
    await ctx.store.get('project', projectId).catch(() => {
      throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
    });
    if (!canManageProject(ctx, projectId))
      throw new ApiError('PermissionDenied', `only owners of project ${projectId} may add its catalogs`);
  },
  sees: (obj, ctx) => canSeeProject(ctx, String(obj.spec.projectId)),
  manages: (obj, ctx) => canManageProject(ctx, String(obj.spec.projectId)),
});

/**
 * Templates of cluster and project catalogs are visible only to that cluster's or project's
 * members (and catalog managers), even though the built-in `user` role reads every template:
 * global templates are for everyone, a project's charts are the project's.
 */
export function templateBehaviorFor(schema: TypeDef): TypeBehavior {
  const visible = (obj: StoredObject, ctx: ApiContext) =>
    (!obj.spec.projectId && !obj.spec.clusterId) || ctx.can('update', schema) || seesTemplate(obj, ctx);
  return {
    async get(id, ctx) {
      const obj = await ctx.store.get(schema.id, id);
      if (!visible(obj, ctx)) throw new StoreError('NotFound', `${schema.id} ${id} not found`);
      return obj;
    },
    list: async (ctx) => (await listAll(ctx.store, schema.id)).filter((o) => visible(o, ctx)),
    ownerAllows: (verb, obj, ctx) => (verb === 'get' || verb === 'list') && seesTemplate(obj, ctx),
    ownListFilter: (ctx) => (obj) => seesTemplate(obj, ctx),
  };
}

function seesTemplate(obj: StoredObject, ctx: ApiContext): boolean {
  if (obj.spec.projectId) return canSeeProject(ctx, String(obj.spec.projectId));
  if (obj.spec.clusterId) return isMember(ctx.memberships, String(obj.spec.clusterId));
  return false;
}
