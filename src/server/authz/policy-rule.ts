/**
 * Kubernetes PolicyRule semantics, kept identical to Kubernetes' RBAC authorizer (rule matching) and to
 * its escalation check (`validation.Covers`), so that a rule means the same thing in Corral's own API
 * as it does in the downstream clusters the same role templates are written to.
 */

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ResourceAttributes {
  apiGroup: string;
  resource: string;
  verb: string;
  name?: string;
  subresource?: string;
}

export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

const ALL = '*';

export function isNonResourceRequest(attrs: RequestAttributes): attrs is NonResourceAttributes {
  return 'path' in attrs;
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (r) =>
      r === ALL ||
      r === combined ||
      // `*/status` means "the status subresource of anything", never a top-level resource.
      (subresource !== '' && r === `*/${subresource}`),
  );
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  // A request without a name (list, create, deletecollection) is not one of the named objects, so a
  // rule limited to names never allows it; Kubernetes does the same.
  return names.length === 0 || names.includes(name);
}

function nonResourceURLCovers(pattern: string, path: string): boolean {
  return pattern === path || (pattern.endsWith(ALL) && path.startsWith(pattern.replace(/\*+$/, '')));
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => nonResourceURLCovers(u, path));
}

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!verbMatches(rule, attrs.verb)) return false;
  if (isNonResourceRequest(attrs)) return nonResourceURLMatches(rule, attrs.path);
  const subresource = attrs.subresource ?? '';
  const combined = subresource === '' ? attrs.resource : `${attrs.resource}/${subresource}`;
  return (
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, combined, subresource) &&
    resourceNameMatches(rule, attrs.name ?? '')
  );
}

export function rulesAllow(rules: readonly PolicyRule[], attrs: RequestAttributes): boolean {
  return rules.some((rule) => ruleAllows(rule, attrs));
}

/** Splits a rule into rules of one apiGroup × resource × verb × resourceName, or one URL × verb. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const atoms: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (names.length === 0) {
          atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        } else {
          for (const name of names) {
            atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
          }
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) atoms.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return atoms;
}

function hasAll(set: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((w) => set.includes(w));
}

function resourcesCoverAll(owner: readonly string[], wanted: readonly string[]): boolean {
  if (owner.includes(ALL)) return true;
  return wanted.every((path) => {
    if (owner.includes(path)) return true;
    const slash = path.indexOf('/');
    return slash >= 0 && owner.includes(`*/${path.slice(slash + 1)}`);
  });
}

// Comparison is literal, not by meaning: a requested `*` is covered only by an owner `*`, because the
// requested rule will also match resources and verbs that do not exist yet.
function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const ownerNames = owner.resourceNames ?? [];
  const atomNames = atom.resourceNames ?? [];
  const namesMatch =
    atomNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, atomNames);
  const ownerGroups = owner.apiGroups ?? [];
  return (
    (owner.verbs.includes(ALL) || hasAll(owner.verbs, atom.verbs)) &&
    (ownerGroups.includes(ALL) || hasAll(ownerGroups, atom.apiGroups ?? [])) &&
    resourcesCoverAll(owner.resources ?? [], atom.resources ?? []) &&
    namesMatch &&
    (atom.nonResourceURLs ?? []).every((url) =>
      (owner.nonResourceURLs ?? []).some((pattern) => nonResourceURLCovers(pattern, url)),
    )
  );
}

/**
 * Whether `owner` holds every permission in `requested`, as Kubernetes decides it when someone writes a
 * role or binding: `uncovered` lists the atomic rules (see breakdownRule) that no owner rule covers.
 */
export function coveringRules(
  owner: readonly PolicyRule[],
  requested: readonly PolicyRule[],
): { covered: boolean; uncovered: PolicyRule[] } {
  const uncovered = requested.flatMap(breakdownRule).filter((atom) => !owner.some((rule) => ruleCovers(rule, atom)));
  return { covered: uncovered.length === 0, uncovered };
}
