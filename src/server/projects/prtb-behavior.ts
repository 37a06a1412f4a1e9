import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { projectRoleTemplateBinding } from '../../schema/types/index.js';
import { coveringRules } from '../authz/policy-rule.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { CLUSTER_ID_LABEL, isOwner } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { canManageProject, canSeeProject } from './access.js';
import { clusterOfProject, PROJECT_ID_LABEL } from './memberships.js';
import { closure, heldClosure, loadTemplates, ownRules } from './templates.js';

/**
 * Nobody grants what they do not hold: global managers and the cluster's owners hold everything
 * in the project; a project owner holds the closure of their own templates there. Every template
 * the new binding brings (with what it inherits) must be held, by rules for Corral's own
 * templates and by name for Kubernetes' external ones (whose rules live downstream).
 */
async function checkEscalation(ctx: ApiContext, projectId: string, roleTemplateId: string): Promise<void> {
  if (coveringRules(ctx.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]).covered) return;
  if (isOwner(ctx.memberships, clusterOfProject(projectId))) return;
  const templates = await loadTemplates(ctx.store);
  const held = heldClosure(ctx.projectMemberships.get(projectId) ?? [], templates);
  const wanted = closure([roleTemplateId], templates);
  const externalMissing = [...wanted].filter((id) => templates.get(id)!.external && !held.has(id));
  const { covered, uncovered } = coveringRules(ownRules(held, templates), ownRules(wanted, templates));
  if (externalMissing.length || !covered) {
    const what = externalMissing.length
      ? `the Kubernetes role(s) ${externalMissing.join(', ')}`
      : `${uncovered.length} rule(s), e.g. verbs=[${uncovered[0]!.verbs.join(',')}] resources=[${(uncovered[0]!.resources ?? []).join(',')}]`;
    throw new ApiError(
      'PermissionDenied',
      `cannot grant ${roleTemplateId} in ${projectId}: it includes ${what} that you do not hold there`,
    );
  }
}

export const prtbBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const projectId = String(fields.projectId);
    let project: StoredObject;
    try {
      project = await ctx.store.get('project', projectId);
    } catch {
      throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
    }
    if (!ctx.can('create', projectRoleTemplateBinding) && !canManageProject(ctx, projectId)) {
      throw new ApiError('PermissionDenied', `only an owner of project ${projectId} may add its members`);
    }
    const templateId = String(fields.roleTemplateId);
    const template = await ctx.store.get('roleTemplate', templateId).catch(() => {
      throw new ApiError('InvalidReference', `roleTemplateId "${templateId}" does not exist`, 'roleTemplateId');
    });
    if (template.spec.context !== 'project') {
      throw new ApiError('InvalidValue', `role template ${templateId} is for clusters, not projects`, 'roleTemplateId');
    }
    if (template.spec.locked === true) {
      throw new ApiError(
        'InvalidValue',
        `role template ${templateId} is locked and cannot be used in new bindings`,
        'roleTemplateId',
      );
    }
    const userId = fields.userId as string | undefined;
    if (!userId === !fields.groupPrincipalId) {
      throw new ApiError('MissingRequired', 'give exactly one of userId and groupPrincipalId', 'userId');
    }
    if (userId) {
      await ctx.store.get('user', userId).catch(() => {
        throw new ApiError('InvalidReference', `userId "${userId}" does not exist`, 'userId');
      });
    }
    await checkEscalation(ctx, projectId, templateId);
    const clusterId = String(project.spec.clusterId);
    const labels: Record<string, string> = {
      [PROJECT_ID_LABEL]: projectId.replace(':', '.'),
      [CLUSTER_ID_LABEL]: clusterId,
    };
    if (userId) labels[USER_ID_LABEL] = userId;
    return { spec: { ...fields, ...(userId ? { userPrincipalId: `local://${userId}` } : {}) }, labels };
  },
  ownerAllows: (verb, obj, ctx) => {
    const projectId = String(obj.spec.projectId ?? '');
    if (verb === 'create') return true; // checked against the project in prepareCreate
    if (verb === 'get' || verb === 'list') return canSeeProject(ctx, projectId);
    return verb === 'delete' && canManageProject(ctx, projectId);
  },
  ownListFilter: (ctx) => (obj) => canSeeProject(ctx, String(obj.spec.projectId)),
};
