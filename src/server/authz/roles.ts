import type { PolicyRule } from './policy-rule.js';

/** Permissions outside any cluster: what someone may do with the server's own API. */
export interface GlobalRole {
  id: string;
  displayName: string;
  description: string;
  builtin: boolean;
  /** Bound to every user the first time they log in. */
  newUserDefault: boolean;
  rules: PolicyRule[];
}

export type RoleTemplateContext = 'cluster' | 'project';

/**
 * Permissions inside one cluster or project. `id` and `name` are the object's name, which is also the
 * name of the ClusterRole written downstream; the v3 API shows `displayName` to people.
 */
export interface RoleTemplate {
  id: string;
  name: string;
  displayName: string;
  context: RoleTemplateContext;
  builtin: boolean;
  /** Its rules are those of the downstream ClusterRole of the same name, which Corral does not write. */
  external: boolean;
  /** What Corral assumes an external template grants when it checks escalation; empty when unknown. */
  externalRules?: PolicyRule[];
  hidden?: boolean;
  /** May no longer be used in new bindings. */
  locked?: boolean;
  /** Lets its holders manage the cluster's members and role bindings. */
  administrative?: boolean;
  clusterCreatorDefault?: boolean;
  projectCreatorDefault?: boolean;
  /** Templates whose rules this one inherits. */
  roleTemplateIds: string[];
  rules: PolicyRule[];
}

export type RoleTemplateLookup = (id: string) => RoleTemplate | undefined;

export class RoleTemplateInheritanceError extends Error {
  override readonly name = 'RoleTemplateInheritanceError';
}

/**
 * The rules of a template and of everything it inherits, each template counted once. External
 * templates add nothing: their rules live in the downstream cluster.
 */
export function effectiveRoleTemplateRules(id: string, lookup: RoleTemplateLookup): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const done = new Set<string>();
  const visit = (current: string, path: readonly string[]): void => {
    const seenAt = path.indexOf(current);
    if (seenAt >= 0) {
      const cycle = [...path.slice(seenAt), current].join(' -> ');
      throw new RoleTemplateInheritanceError(`role template inheritance cycle: ${cycle}`);
    }
    // Diamonds (two parents sharing an ancestor) are fine; only a path back to itself is a cycle.
    if (done.has(current)) return;
    const template = lookup(current);
    if (!template) {
      const by = path.at(-1);
      throw new RoleTemplateInheritanceError(
        by === undefined
          ? `role template "${current}" does not exist`
          : `role template "${current}" (inherited by "${by}") does not exist`,
      );
    }
    rules.push(...template.rules);
    for (const parent of template.roleTemplateIds) visit(parent, [...path, current]);
    done.add(current);
  };
  visit(id, []);
  return rules;
}

/**
 * Throws a RoleTemplateInheritanceError if saving `candidate` (new or changed) would leave it
 * inheriting a template that does not exist, or inheriting itself through any chain.
 */
export function validateRoleTemplateInheritance(candidate: RoleTemplate, lookup: RoleTemplateLookup): void {
  effectiveRoleTemplateRules(candidate.id, (id) => (id === candidate.id ? candidate : lookup(id)));
}
