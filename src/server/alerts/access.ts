import { randomInt } from 'node:crypto';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { isMember, isOwner } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { canManageProject, canSeeProject } from '../projects/access.js';
import { shortProjectId } from '../projects/memberships.js';

/**
 * Who may see and change notifiers, alert groups and alert rules, as in Rancher: a cluster's
 * members see its notifiers and cluster alerts, its owners manage them; a project's members
 * see its alerts, its owners (and the cluster's owners) manage them. Global roles come first
 * (the collection handler checks them); these are the memberships beyond them.
 */
export interface AlertScope {
  /** `clusterId` or `projectId`. */
  field: 'clusterId' | 'projectId';
  sees(scopeId: string, ctx: ApiContext): boolean;
  manages(scopeId: string, ctx: ApiContext): boolean;
  /** The id's first part: the cluster id, or the project's short id (as projectCatalog). */
  prefix(scopeId: string): string;
}

export const CLUSTER_SCOPE: AlertScope = {
  field: 'clusterId',
  sees: (id, ctx) => isMember(ctx.memberships, id),
  manages: (id, ctx) => isOwner(ctx.memberships, id),
  prefix: (id) => id,
};

export const PROJECT_SCOPE: AlertScope = {
  field: 'projectId',
  sees: (id, ctx) => canSeeProject(ctx, id),
  manages: (id, ctx) => canManageProject(ctx, id),
  prefix: (id) => shortProjectId(id),
};

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `<scope>:<prefix><5 random [a-z0-9]>`, Rancher's shape for objects that live in a cluster or project. */
export function scopedId(scope: AlertScope, scopeId: string, prefix: string): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `${scope.prefix(scopeId)}:${prefix}${s}`;
}

/** Checks the cluster or project named exists and the caller manages it (or holds global rights). */
export async function checkScope(
  scope: AlertScope,
  fields: Record<string, unknown>,
  ctx: ApiContext,
  globalAllowed: boolean,
): Promise<string> {
  const scopeId = String(fields[scope.field]);
  const type = scope.field === 'clusterId' ? 'cluster' : 'project';
  await ctx.store.get(type, scopeId).catch(() => {
    throw new ApiError('InvalidReference', `${type} "${scopeId}" does not exist`, scope.field);
  });
  if (!globalAllowed && !scope.manages(scopeId, ctx))
    throw new ApiError('PermissionDenied', `only owners of ${type} ${scopeId} may change its alerts and notifiers`);
  return scopeId;
}

/** The ownership hooks of a scoped type: members read, owners write. */
export function scopedAccess(scope: AlertScope): Pick<TypeBehavior, 'ownerAllows' | 'ownListFilter'> {
  const of = (obj: StoredObject) => String(obj.spec[scope.field]);
  return {
    ownerAllows: (verb, obj, ctx) =>
      verb === 'create' ||
      ((verb === 'get' || verb === 'list' || verb === 'watch') && scope.sees(of(obj), ctx)) ||
      scope.manages(of(obj), ctx),
    ownListFilter: (ctx) => (obj) => scope.sees(of(obj), ctx),
  };
}
