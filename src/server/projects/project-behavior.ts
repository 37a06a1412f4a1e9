import { listAll } from '../../store/list-all.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { randomSuffix } from '../auth/token-secret.js';
import { assertUniqueName } from '../api/unique-name.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { CLUSTER_ID_LABEL } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { specOf, type SpecOf } from '../../schema/fields.js';
import { project } from '../../schema/types/project.js';
import { quotaFits } from '../rbac/quota.js';
import { canCreateProjectIn, canManageProject, canSeeProject } from './access.js';
import { PROJECT_ID_LABEL } from './memberships.js';

export const SYSTEM_PROJECTS = ['Default', 'System'];

export async function bindProjectRole(
  ctx: Pick<ApiContext, 'store'>,
  projectId: string,
  clusterId: string,
  userId: string,
  roleTemplateId: string,
) {
  return ctx.store.create({
    type: 'projectRoleTemplateBinding',
    metadata: {
      generateName: 'prtb-',
      labels: {
        [PROJECT_ID_LABEL]: projectId.replace(':', '.'),
        [CLUSTER_ID_LABEL]: clusterId,
        [USER_ID_LABEL]: userId,
      },
      annotations: { 'field.cattle.io/creatorId': userId },
    },
    spec: { projectId, roleTemplateId, userId, userPrincipalId: `local://${userId}` },
  });
}

/** The project's namespace default quota must fit inside its own limit. */
function checkQuotas(spec: SpecOf<typeof project>): void {
  const limit = spec.resourceQuota?.limit;
  const nsDefault = spec.namespaceDefaultResourceQuota?.limit;
  if (limit && !nsDefault) {
    throw new ApiError(
      'MissingRequired',
      'a project with a resourceQuota needs a namespaceDefaultResourceQuota',
      'namespaceDefaultResourceQuota',
    );
  }
  if (limit && nsDefault) {
    const fit = quotaFits(limit, [nsDefault]);
    if (!fit.ok) {
      const e = fit.exceeded[0]!;
      throw new ApiError(
        'MaxLimitExceeded',
        `namespaceDefaultResourceQuota.limit.${e.field} (${e.total}) is over the project's resourceQuota.limit.${e.field} (${e.limit}) by ${e.over}`,
        `namespaceDefaultResourceQuota.limit.${e.field}`,
      );
    }
  }
}

export const projectBehavior: TypeBehavior = {
  async create(fields, ctx, labels) {
    const { clusterId } = specOf(project, fields);
    if (!canCreateProjectIn(ctx, clusterId))
      throw new ApiError('PermissionDenied', `you may not create projects in cluster ${clusterId}`);
    await ctx.store.get('cluster', clusterId).catch(() => {
      throw new ApiError('InvalidReference', `cluster "${clusterId}" does not exist`, 'clusterId');
    });
    checkQuotas(specOf(project, fields));
    await assertUniqueName(ctx.store, 'project', fields.name, {
      labelSelector: `${CLUSTER_ID_LABEL}=${clusterId}`,
      scope: `cluster ${clusterId}`,
    });
    const name = `p-${randomSuffix(5)}`;
    const obj = await ctx.store.create({
      type: 'project',
      id: `${clusterId}:${name}`,
      metadata: {
        name,
        namespace: clusterId,
        labels: { ...labels, [CLUSTER_ID_LABEL]: clusterId },
        annotations: { 'field.cattle.io/creatorId': ctx.auth.user.id },
      },
      spec: { ...fields },
    });
    // The creator owns the project (Rancher's projectCreatorDefault).
    await bindProjectRole(ctx, obj.id, clusterId, ctx.auth.user.id, 'project-owner');
    return obj;
  },
  ownerAllows: (verb, obj, ctx) =>
    verb === 'create' ||
    (verb === 'get' || verb === 'list' ? canSeeProject(ctx, obj.id) : canManageProject(ctx, obj.id)),
  ownListFilter: (ctx) => (obj) => canSeeProject(ctx, obj.id),
  renderExtra: (obj) => {
    const rq = specOf(project, obj.spec).resourceQuota;
    return rq ? { resourceQuota: { ...rq, usedLimit: obj.status.usedLimit ?? {} } } : {};
  },
  async prepareUpdate(existing, fields, ctx) {
    const before = specOf(project, existing.spec);
    const spec = specOf(project, { ...existing.spec, ...fields });
    if (SYSTEM_PROJECTS.includes(before.name) && fields.name !== undefined && spec.name !== before.name) {
      throw new ApiError('NotUpdatable', `the ${before.name} project cannot be renamed`, 'name');
    }
    checkQuotas(spec);
    if (fields.name !== undefined && spec.name !== before.name)
      await assertUniqueName(ctx.store, 'project', spec.name, {
        labelSelector: `${CLUSTER_ID_LABEL}=${spec.clusterId}`,
        scope: `cluster ${spec.clusterId}`,
        exceptId: existing.id,
      });
    return spec;
  },
  async beforeDelete(existing: StoredObject) {
    if (existing.status.system === true) {
      throw new ApiError('InvalidAction', `the ${String(existing.spec.name)} project of a cluster cannot be deleted`);
    }
  },
  async afterDelete(existing, ctx) {
    const bindings = await listAll(
      ctx.store,
      'projectRoleTemplateBinding',
      `${PROJECT_ID_LABEL}=${existing.id.replace(':', '.')}`,
    );
    await Promise.all(bindings.map((b) => ctx.store.delete(b.type, b.id).catch(() => undefined)));
  },
};
