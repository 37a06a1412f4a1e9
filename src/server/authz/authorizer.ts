import { coveringRules, rulesAllow, type PolicyRule, type RequestAttributes } from './policy-rule.js';
import type { GlobalRole } from './roles.js';

/** Who is asking, as far as global permissions go. */
export interface Subject {
  userId: string;
  globalRoleIds: string[];
}

/**
 * The rules of a subject's global roles. A binding to a role that no longer exists grants nothing,
 * as in Kubernetes, rather than failing every request of that user.
 */
export function globalRoleRules(subject: Subject, lookupRole: (id: string) => GlobalRole | undefined): PolicyRule[] {
  return subject.globalRoleIds.flatMap((id) => lookupRole(id)?.rules ?? []);
}

/** Decides requests to the server's own API from the global rules a user holds. */
export class GlobalAuthorizer {
  constructor(private readonly lookupRules: (userId: string) => readonly PolicyRule[]) {}

  can(userId: string, attrs: RequestAttributes): boolean {
    return rulesAllow(this.lookupRules(userId), attrs);
  }
}

const SHOWN_RULES = 5;

function formatRule(rule: PolicyRule): string {
  const parts = [`verbs=[${rule.verbs.join(',')}]`];
  const add = (key: string, values: string[] | undefined) => {
    if (values && values.length > 0) parts.push(`${key}=[${values.join(',')}]`);
  };
  // The core API group is the empty string; show it as "" so that it is not mistaken for no group.
  add(
    'apiGroups',
    rule.apiGroups?.map((g) => g || '""'),
  );
  add('resources', rule.resources);
  add('resourceNames', rule.resourceNames);
  add('nonResourceURLs', rule.nonResourceURLs);
  return parts.join(' ');
}

/** Someone tried to grant (in a role, template or binding) permissions they do not hold themselves. */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';

  constructor(readonly uncovered: readonly PolicyRule[]) {
    const shown = uncovered.slice(0, SHOWN_RULES).map(formatRule).join('; ');
    const more = uncovered.length > SHOWN_RULES ? ` (and ${uncovered.length - SHOWN_RULES} more)` : '';
    super(`cannot grant rules you do not hold: ${shown}${more}`);
  }
}

/** Throws an EscalationError unless `actorRules` cover every rule in `requestedRules`. */
export function escalationCheck(actorRules: readonly PolicyRule[], requestedRules: readonly PolicyRule[]): void {
  const { covered, uncovered } = coveringRules(actorRules, requestedRules);
  if (!covered) throw new EscalationError(uncovered);
}
