import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { clusterRoleTemplateBinding } from '../../schema/types/cluster.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { ApiError } from '../http/errors.js';
import { CLUSTER_ID_LABEL, isMember, isOwner } from './memberships.js';

async function mustExist(ctx: ApiContext, type: string, id: string, field: string): Promise<StoredObject> {
  try {
    return await ctx.store.get(type, id);
  } catch {
    throw new ApiError('InvalidReference', `${field} "${id}" does not exist`, field);
  }
}

/**
 * Cluster members: who holds which role template in a cluster. Only a cluster owner (or a global
 * role allowing it) adds members; cluster-context templates only; locked templates no more.
 */
export const crtbBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const clusterId = String(fields.clusterId);
    if (!ctx.can('create', clusterRoleTemplateBinding) && !isOwner(ctx.memberships, clusterId)) {
      throw new ApiError('PermissionDenied', `only an owner of cluster ${clusterId} may add its members`);
    }
    await mustExist(ctx, 'cluster', clusterId, 'clusterId');
    const template = await mustExist(ctx, 'roleTemplate', String(fields.roleTemplateId), 'roleTemplateId');
    if (template.spec.context !== 'cluster') {
      throw new ApiError(
        'InvalidValue',
        `role template ${template.id} is for projects, not clusters`,
        'roleTemplateId',
      );
    }
    if (template.spec.locked === true) {
      throw new ApiError(
        'InvalidValue',
        `role template ${template.id} is locked and cannot be used in new bindings`,
        'roleTemplateId',
      );
    }
    const userId = fields.userId as string | undefined;
    if (!userId === !fields.groupPrincipalId) {
      throw new ApiError('MissingRequired', 'give exactly one of userId and groupPrincipalId', 'userId');
    }
    if (userId) await mustExist(ctx, 'user', userId, 'userId');
    const labels: Record<string, string> = { [CLUSTER_ID_LABEL]: clusterId };
    if (userId) labels[USER_ID_LABEL] = userId;
    return { spec: { ...fields, ...(userId ? { userPrincipalId: `local://${userId}` } : {}) }, labels };
  },
  ownerAllows: (verb, obj, ctx) => {
    const clusterId = String(obj.spec.clusterId ?? '');
    if (verb === 'create') return true; // checked against the cluster in prepareCreate
    if (verb === 'get' || verb === 'list') return isMember(ctx.memberships, clusterId);
    return verb === 'delete' && isOwner(ctx.memberships, clusterId);
  },
  ownListFilter: (ctx) => (obj) => isMember(ctx.memberships, String(obj.spec.clusterId)),
};
