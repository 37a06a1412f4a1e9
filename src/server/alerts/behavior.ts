import {
  clusterAlertGroup,
  clusterAlertRule,
  projectAlertGroup,
  projectAlertRule,
} from '../../schema/types/alerting.js';
import type { TypeDef } from '../../schema/schema.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import { clusterOfProject } from '../projects/memberships.js';
import { CLUSTER_SCOPE, PROJECT_SCOPE, checkScope, scopedAccess, scopedId, type AlertScope } from './access.js';

const clusterOf = (scope: AlertScope, scopeId: string) =>
  scope === CLUSTER_SCOPE ? scopeId : clusterOfProject(scopeId);

/** Recipients must name notifiers of the group's own cluster. */
async function checkRecipients(scope: AlertScope, scopeId: string, recipients: unknown, ctx: ApiContext) {
  const list = (recipients as { notifierId: string }[] | undefined) ?? [];
  for (const [i, r] of list.entries()) {
    const n = await ctx.store.get('notifier', r.notifierId).catch(() => undefined);
    if (!n || String(n.spec.clusterId) !== clusterOf(scope, scopeId))
      throw new ApiError(
        'InvalidReference',
        `notifier "${r.notifierId}" does not exist in cluster ${clusterOf(scope, scopeId)}`,
        `recipients[${i}].notifierId`,
      );
  }
}

function groupBehavior(schema: TypeDef, scope: AlertScope, ruleType: string): TypeBehavior {
  return {
    async prepareCreate(fields, ctx) {
      const scopeId = await checkScope(scope, fields, ctx, ctx.can('create', schema));
      await checkRecipients(scope, scopeId, fields.recipients, ctx);
      return { id: scopedId(scope, scopeId, 'g-'), spec: fields };
    },
    async prepareUpdate(existing, fields, ctx) {
      const spec = { ...existing.spec, ...fields };
      await checkRecipients(scope, String(spec[scope.field]), spec.recipients, ctx);
      return spec;
    },
    async beforeDelete(existing, ctx) {
      const rules = (await ctx.store.list(ruleType)).items.filter((r) => r.spec.groupId === existing.id);
      if (rules.length)
        throw new ApiError(
          'Conflict',
          `alert group ${existing.id} still has rules ${rules.map((r) => r.id).join(', ')}: delete them first`,
        );
    },
    ...scopedAccess(scope),
  };
}

const RULE_KINDS: Record<string, string[]> = {
  clusterAlertRule: ['nodeRule', 'eventRule', 'systemServiceRule', 'metricRule'],
  projectAlertRule: ['podRule', 'workloadRule', 'metricRule'],
};

/** Exactly one condition, of a kind Corral evaluates; the group is of the same cluster or project. */
async function checkRule(schema: TypeDef, scope: AlertScope, spec: Record<string, unknown>, ctx: ApiContext) {
  const kinds = RULE_KINDS[schema.id]!;
  const set = kinds.filter((k) => spec[k]);
  if (set.length !== 1)
    throw new ApiError(
      set.length ? 'InvalidFormat' : 'MissingRequired',
      `give exactly one of ${kinds.join(', ')}${set.length ? ` (got ${set.join(', ')})` : ''}`,
    );
  const kind = set[0]!;
  // A project's expression would read every namespace's series: project metric rules wait for a
  // PromQL parser that can confine them (the project graphs are confined by construction).
  if (kind === 'metricRule' && schema.id === 'projectAlertRule')
    throw new ApiError(
      'InvalidOption',
      'project metric rules are not supported yet (an expression could read other projects’ metrics): use podRule or workloadRule, or a cluster metricRule',
      kind,
    );
  const groupType = schema.id === 'clusterAlertRule' ? 'clusterAlertGroup' : 'projectAlertGroup';
  const group = await ctx.store.get(groupType, String(spec.groupId)).catch(() => undefined);
  if (!group || group.spec[scope.field] !== spec[scope.field])
    throw new ApiError(
      'InvalidReference',
      `${groupType} "${String(spec.groupId)}" does not exist in ${scope.field === 'clusterId' ? 'cluster' : 'project'} ${String(spec[scope.field])}`,
      'groupId',
    );
}

function setState(state: string) {
  return async (obj: StoredObject, _input: Record<string, unknown>, ctx: ApiContext) => {
    for (;;) {
      const fresh = await ctx.store.get(obj.type, obj.id);
      const current = String(fresh.status.state ?? 'active');
      // alerting counts as active: activate on a firing rule changes nothing.
      const next = state === 'active' && current === 'alerting' ? current : state;
      if (next === current) return fresh;
      try {
        return await ctx.store.update({ ...fresh, status: { ...fresh.status, state: next } });
      } catch (err) {
        if ((err as { code?: string }).code !== 'Conflict') throw err;
      }
    }
  };
}

/** Which states each action may start from (Rancher's: unmute only a muted rule, …). */
function guarded(from: string[], state: string, action: string) {
  const set = setState(state);
  return async (obj: StoredObject, input: Record<string, unknown>, ctx: ApiContext) => {
    const current = String(obj.status.state ?? 'active');
    if (!from.includes(current)) throw new ApiError('InvalidAction', `cannot ${action} a rule that is ${current}`);
    return set(obj, input, ctx);
  };
}

function ruleBehavior(schema: TypeDef, scope: AlertScope): TypeBehavior {
  return {
    async prepareCreate(fields, ctx) {
      const scopeId = await checkScope(scope, fields, ctx, ctx.can('create', schema));
      await checkRule(schema, scope, fields, ctx);
      return { id: scopedId(scope, scopeId, 'r-'), spec: fields, status: { state: 'active' } };
    },
    async prepareUpdate(existing, fields, ctx) {
      const spec = { ...existing.spec, ...fields };
      const named = RULE_KINDS[schema.id]!.filter((k) => fields[k]);
      if (named.length) for (const k of RULE_KINDS[schema.id]!) if (!named.includes(k)) delete spec[k];
      await checkRule(schema, scope, spec, ctx);
      return spec;
    },
    ...scopedAccess(scope),
    resourceActions: {
      activate: guarded(['inactive'], 'active', 'activate'),
      deactivate: guarded(['active', 'alerting', 'muted'], 'inactive', 'deactivate'),
      mute: guarded(['active', 'alerting'], 'muted', 'mute'),
      unmute: guarded(['muted'], 'active', 'unmute'),
    },
  };
}

export const clusterAlertGroupBehavior = groupBehavior(clusterAlertGroup, CLUSTER_SCOPE, 'clusterAlertRule');
export const projectAlertGroupBehavior = groupBehavior(projectAlertGroup, PROJECT_SCOPE, 'projectAlertRule');
export const clusterAlertRuleBehavior = ruleBehavior(clusterAlertRule, CLUSTER_SCOPE);
export const projectAlertRuleBehavior = ruleBehavior(projectAlertRule, PROJECT_SCOPE);
