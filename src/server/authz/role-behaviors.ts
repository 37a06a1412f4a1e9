import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { randomSuffix } from '../auth/token-secret.js';
import { ApiError } from '../http/errors.js';
import { escalationCheck, EscalationError } from './authorizer.js';
import { BUILTIN_GLOBAL_ROLES, BUILTIN_ROLE_TEMPLATES } from './builtin-roles.js';
import type { PolicyRule } from './policy-rule.js';
import {
  effectiveRoleTemplateRules,
  RoleTemplateInheritanceError,
  validateRoleTemplateInheritance,
  type RoleTemplate,
} from './roles.js';
import { listAll } from '../../store/list-all.js';
import { GLOBAL_ROLE_LABEL, USER_ID_LABEL } from './user-rules.js';

/** Turns "you would grant more than you hold" into the API's 403 with the uncovered rules. */
function refuseEscalation(actor: PolicyRule[], requested: PolicyRule[]): void {
  try {
    escalationCheck(actor, requested);
  } catch (err) {
    if (err instanceof EscalationError) throw new ApiError('PermissionDenied', err.message);
    throw err;
  }
}

async function getOr404(store: Store, type: string, id: string, field: string): Promise<StoredObject> {
  try {
    return await store.get(type, id);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound') {
      throw new ApiError('InvalidReference', `${field} "${id}" does not exist`, field);
    }
    throw err;
  }
}

export const globalRoleBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    refuseEscalation(ctx.rules, (fields.rules as PolicyRule[]) ?? []);
    return { spec: { ...fields, builtin: false } };
  },
  async prepareUpdate(existing, fields, ctx) {
    if (
      existing.spec.builtin &&
      fields.rules !== undefined &&
      JSON.stringify(fields.rules) !== JSON.stringify(existing.spec.rules)
    ) {
      throw new ApiError('NotUpdatable', `the rules of built-in global role ${existing.id} cannot be changed`, 'rules');
    }
    if (fields.rules !== undefined) refuseEscalation(ctx.rules, fields.rules as PolicyRule[]);
    return { ...existing.spec, ...fields };
  },
  async beforeDelete(existing) {
    if (existing.spec.builtin)
      throw new ApiError('InvalidAction', `built-in global role ${existing.id} cannot be deleted`);
  },
  async afterDelete(existing, ctx) {
    const bindings = await listAll(ctx.store, 'globalRoleBinding', `${GLOBAL_ROLE_LABEL}=${existing.id}`);
    await Promise.all(bindings.map((b) => ctx.store.delete(b.type, b.id).catch(() => undefined)));
  },
};

export const globalRoleBindingBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const userId = fields.userId as string | undefined;
    const group = fields.groupPrincipalId as string | undefined;
    if (!userId === !group) {
      throw new ApiError(
        'MissingRequired',
        'give exactly one of userId and groupPrincipalId',
        userId ? 'groupPrincipalId' : 'userId',
      );
    }
    const role = await getOr404(ctx.store, 'globalRole', String(fields.globalRoleId), 'globalRoleId');
    if (userId) await getOr404(ctx.store, 'user', userId, 'userId');
    // Binding a role grants its rules: only to be done by someone who holds them all.
    refuseEscalation(ctx.rules, (role.spec.rules as PolicyRule[]) ?? []);
    const labels: Record<string, string> = { [GLOBAL_ROLE_LABEL]: role.id };
    if (userId) labels[USER_ID_LABEL] = userId;
    return { spec: { ...fields }, labels };
  },
};

function asRoleTemplate(id: string, spec: Record<string, unknown>): RoleTemplate {
  return {
    id,
    name: id,
    displayName: String(spec.name ?? id),
    context: spec.context as RoleTemplate['context'],
    builtin: spec.builtin === true,
    external: spec.external === true,
    externalRules: spec.externalRules as PolicyRule[] | undefined,
    roleTemplateIds: (spec.roleTemplateIds as string[]) ?? [],
    rules: (spec.rules as PolicyRule[]) ?? [],
  };
}

async function templateLookup(store: Store): Promise<(id: string) => RoleTemplate | undefined> {
  const all = await listAll(store, 'roleTemplate');
  const byId = new Map(all.map((o) => [o.id, asRoleTemplate(o.id, o.spec)]));
  return (id) => byId.get(id);
}

async function checkTemplate(candidate: RoleTemplate, ctx: ApiContext): Promise<void> {
  const stored = await templateLookup(ctx.store);
  const lookup = (id: string) => (id === candidate.id ? candidate : stored(id));
  try {
    validateRoleTemplateInheritance(candidate, lookup);
    refuseEscalation(ctx.rules, effectiveRoleTemplateRules(candidate.id, lookup));
  } catch (err) {
    if (err instanceof RoleTemplateInheritanceError)
      throw new ApiError('InvalidReference', err.message, 'roleTemplateIds');
    throw err;
  }
}

const BUILTIN_TEMPLATE_TOGGLES = new Set(['locked', 'hidden', 'clusterCreatorDefault', 'projectCreatorDefault']);

export const roleTemplateBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const id = `rt-${randomSuffix(5)}`;
    const spec = { ...fields, builtin: false };
    await checkTemplate(asRoleTemplate(id, spec), ctx);
    return { id, spec };
  },
  async prepareUpdate(existing, fields, ctx) {
    if (existing.spec.builtin) {
      const changed = Object.keys(fields).filter(
        (k) => !BUILTIN_TEMPLATE_TOGGLES.has(k) && JSON.stringify(fields[k]) !== JSON.stringify(existing.spec[k]),
      );
      if (changed.length) {
        throw new ApiError(
          'NotUpdatable',
          `built-in role template ${existing.id} allows changing only ${[...BUILTIN_TEMPLATE_TOGGLES].join(', ')}`,
          changed[0],
        );
      }
      return { ...existing.spec, ...fields };
    }
    const spec = { ...existing.spec, ...fields };
    await checkTemplate(asRoleTemplate(existing.id, spec), ctx);
    return spec;
  },
  async beforeDelete(existing) {
    if (existing.spec.builtin)
      throw new ApiError('InvalidAction', `built-in role template ${existing.id} cannot be deleted`);
  },
};

/**
 * Writes the built-in global roles and role templates into the store: missing ones are created,
 * changed ones (a new Corral version) updated; flags an admin toggled on a template are kept.
 */
export async function seedBuiltinRoles(store: Store): Promise<void> {
  const wanted: { type: string; id: string; spec: Record<string, unknown> }[] = [
    ...BUILTIN_GLOBAL_ROLES.map((r) => ({
      type: 'globalRole',
      id: r.id,
      spec: {
        name: r.displayName,
        description: r.description,
        rules: r.rules,
        newUserDefault: r.newUserDefault,
        builtin: true,
      },
    })),
    ...BUILTIN_ROLE_TEMPLATES.map((t) => ({
      type: 'roleTemplate',
      id: t.id,
      spec: {
        name: t.displayName,
        description: '',
        context: t.context,
        rules: t.rules,
        roleTemplateIds: t.roleTemplateIds,
        builtin: true,
        external: t.external,
        ...(t.externalRules ? { externalRules: t.externalRules } : {}),
        hidden: t.hidden ?? false,
        locked: t.locked ?? false,
        administrative: t.administrative ?? false,
        clusterCreatorDefault: t.clusterCreatorDefault ?? false,
        projectCreatorDefault: t.projectCreatorDefault ?? false,
      },
    })),
  ];
  await Promise.all(
    wanted.map(async (w) => {
      const spec = JSON.parse(JSON.stringify(w.spec)) as Record<string, unknown>;
      try {
        const existing = await store.get(w.type, w.id);
        const kept = Object.fromEntries(
          Object.entries(existing.spec).filter(([k]) => BUILTIN_TEMPLATE_TOGGLES.has(k) || k === 'newUserDefault'),
        );
        const next = { ...spec, ...kept };
        if (JSON.stringify(next) !== JSON.stringify(existing.spec)) await store.update({ ...existing, spec: next });
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
        await store.create({ type: w.type, id: w.id, metadata: { name: w.id }, spec }).catch((e: unknown) => {
          if (!(e instanceof StoreError && e.code === 'AlreadyExists')) throw e;
        });
      }
    }),
  );
}
