import type { ApiContext } from '../api/context.js';
import { project } from '../../schema/types/index.js';
import { isMember, isOwner } from '../clusters/memberships.js';
import { clusterOfProject } from './memberships.js';
import { closure, loadTemplates } from './templates.js';

/** Who can see a project: its members, the members of its cluster, and global readers. */
export function canSeeProject(ctx: ApiContext, projectId: string): boolean {
  return (
    ctx.can('get', project, projectId) ||
    ctx.projectMemberships.has(projectId) ||
    isMember(ctx.memberships, clusterOfProject(projectId))
  );
}

/** Who can manage a project (its settings, members, namespaces): its owners, its cluster's owners, global managers. */
export function canManageProject(ctx: ApiContext, projectId: string): boolean {
  return (
    ctx.can('update', project, projectId) ||
    (ctx.projectMemberships.get(projectId)?.has('project-owner') ?? false) ||
    isOwner(ctx.memberships, clusterOfProject(projectId))
  );
}

/** Cluster owners and members may create projects (Rancher's projects-create comes with cluster-member). */
export function canCreateProjectIn(ctx: ApiContext, clusterId: string): boolean {
  const held = ctx.memberships.get(clusterId);
  return (
    ctx.can('create', project) ||
    isOwner(ctx.memberships, clusterId) ||
    (held?.has('cluster-member') ?? false) ||
    (held?.has('projects-create') ?? false)
  );
}

/**
 * Project members who may edit workloads may also manage the project's secrets and apps, as in
 * Rancher.
 */
export async function mayEditInProject(ctx: ApiContext, projectId: string): Promise<boolean> {
  if (canManageProject(ctx, projectId)) return true;
  const held = ctx.projectMemberships.get(projectId);
  if (!held) return false;
  const all = closure(held, await loadTemplates(ctx.store));
  return ['edit', 'secrets-manage', 'project-member'].some((t) => all.has(t));
}
