/**
 * What Corral writes into a downstream cluster's RBAC for role templates, cluster bindings and project
 * bindings. Pure: the controller lists the store and the cluster, calls `desiredRbac`, and applies the
 * difference computed by `planChanges` (plan.ts).
 *
 * Compared with Rancher (one RoleBinding per namespace × role × subject), subjects are merged: one
 * RoleBinding per namespace × role template, listing every subject that holds it, so the object count
 * does not grow with the number of members. Templates are bound one by one, as Rancher does (a template
 * and each template it inherits get their own binding); rules are never flattened into a new role.
 */
import type { PolicyRule } from '../authz/policy-rule.js';

export interface TemplateInfo {
  id: string;
  context: 'cluster' | 'project';
  external: boolean;
  rules: PolicyRule[];
  roleTemplateIds: string[];
}

/** User name = Corral user id (u-xxxxx); Group name = group principal id. */
export interface Subject {
  kind: 'User' | 'Group';
  name: string;
}

/** From a clusterRoleTemplateBinding. */
export interface ClusterBinding {
  roleTemplateId: string;
  subject: Subject;
}

/** From a projectRoleTemplateBinding; `projectId` is p-xxxxx, without the cluster prefix. */
export interface ProjectBinding {
  projectId: string;
  roleTemplateId: string;
  subject: Subject;
}

/** `projectId` is p-xxxxx, or undefined when the namespace is in no project. */
export interface NamespaceInfo {
  name: string;
  projectId?: string;
}

export interface RbacInputs {
  clusterId: string;
  templates: Map<string, TemplateInfo>;
  clusterBindings: ClusterBinding[];
  projectBindings: ProjectBinding[];
  namespaces: NamespaceInfo[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
  };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: 'ClusterRole'; name: string };
  subjects?: { kind: string; name: string; apiGroup?: string; namespace?: string }[];
  spec?: unknown;
  /** Secrets: their type and base64 data. */
  type?: string;
  data?: Record<string, string>;
}

/** Value 'true' on everything Corral creates downstream; the controller lists with this selector. */
export const MANAGED_LABEL = 'corral.io/managed';
export const CLUSTER_LABEL = 'corral.io/cluster';
export const PROJECT_LABEL = 'corral.io/project';
/** The labels Corral sets (and so compares); any other label on a downstream object is someone else's. */
export const CORRAL_LABELS: readonly string[] = [MANAGED_LABEL, CLUSTER_LABEL, PROJECT_LABEL];

export const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

// A DNS-1123 subdomain: what Kubernetes requires of most object names (RBAC names are laxer; Corral
// holds itself to the stricter rule so every name it writes is also a valid label value source).
const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// A label value: 63 characters at most, alphanumeric at both ends.
const LABEL_VALUE_RE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function assertValidName(name: string, what: string): void {
  if (name.length > 253 || !NAME_RE.test(name)) {
    throw new Error(`${what} "${name}" is not a valid Kubernetes object name (lower-case DNS subdomain)`);
  }
}

function assertValidLabelValue(value: string, what: string): void {
  if (value.length > 63 || !LABEL_VALUE_RE.test(value)) {
    throw new Error(`${what} "${value}" cannot be a Kubernetes label value`);
  }
}

/** The labels on every object Corral writes for `clusterId` (and `projectId` when it belongs to one). */
export function corralLabels(clusterId: string, projectId?: string): Record<string, string> {
  assertValidLabelValue(clusterId, 'cluster id');
  const labels: Record<string, string> = { [MANAGED_LABEL]: 'true', [CLUSTER_LABEL]: clusterId };
  if (projectId !== undefined) {
    assertValidLabelValue(projectId, 'project id');
    labels[PROJECT_LABEL] = projectId;
  }
  return labels;
}

// Plain code-unit comparison: locale-independent, so the order is the same on every replica.
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function objectKey(o: KubeObject): string {
  return `${o.kind}\u0000${o.metadata.namespace ?? ''}\u0000${o.metadata.name}`;
}

/** Orders objects by kind, then namespace (cluster-scoped first), then name. */
export function compareObjects(a: KubeObject, b: KubeObject): number {
  return (
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareStrings(a.metadata.name, b.metadata.name)
  );
}

/** Sorts a copy, and refuses two objects with the same kind, namespace and name (one would silently win). */
export function sortUnique(objects: KubeObject[]): KubeObject[] {
  const sorted = [...objects].sort(compareObjects);
  for (let i = 1; i < sorted.length; i++) {
    if (compareObjects(sorted[i - 1]!, sorted[i]!) === 0) {
      const o = sorted[i]!;
      const where = o.metadata.namespace ? ` in namespace ${o.metadata.namespace}` : '';
      throw new Error(`two desired objects are both ${o.kind} ${o.metadata.name}${where}`);
    }
  }
  return sorted;
}

/**
 * A rule as Kubernetes stores and returns it: empty lists dropped (the API omits them), lists copied so
 * the output never aliases the templates. A rule without verbs grants nothing and Kubernetes refuses it,
 * so it is dropped (undefined).
 */
export function normalizeRule(rule: PolicyRule): PolicyRule | undefined {
  if (!rule.verbs || rule.verbs.length === 0) return undefined;
  const present = (list: string[] | undefined): list is string[] => list !== undefined && list.length > 0;
  // Key order as Kubernetes serializes a PolicyRule, so a printed object reads like `kubectl get -o yaml`.
  return {
    verbs: [...rule.verbs],
    ...(present(rule.apiGroups) ? { apiGroups: [...rule.apiGroups] } : {}),
    ...(present(rule.resources) ? { resources: [...rule.resources] } : {}),
    ...(present(rule.resourceNames) ? { resourceNames: [...rule.resourceNames] } : {}),
    ...(present(rule.nonResourceURLs) ? { nonResourceURLs: [...rule.nonResourceURLs] } : {}),
  };
}

export function normalizeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.map(normalizeRule).filter((r): r is PolicyRule => r !== undefined);
}

/**
 * A template and everything it inherits through roleTemplateIds, recursively, each once, in depth-first
 * order. Unknown ids (the root included) are skipped; a cycle ends where it meets a template already seen.
 */
export function templateClosure(templates: ReadonlyMap<string, TemplateInfo>, id: string): TemplateInfo[] {
  const seen = new Set<string>();
  const out: TemplateInfo[] = [];
  const stack = [id];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const t = templates.get(next);
    if (!t) continue;
    out.push(t);
    // Pushed in reverse so that inherited templates are visited in their listed order.
    for (let i = t.roleTemplateIds.length - 1; i >= 0; i--) stack.push(t.roleTemplateIds[i]!);
  }
  return out;
}

/**
 * Whether Corral can bind this template: Kubernetes' own ClusterRole (external), or a template that has
 * rules and so gets a ClusterRole of its own. A template with no rules of its own only contributes what
 * it inherits; binding its empty (non-existent) role would grant nothing.
 */
function bindable(t: TemplateInfo): boolean {
  return t.external || normalizeRules(t.rules).length > 0;
}

/** The template's closure, refusing a template id that cannot name a ClusterRole. */
function boundClosure(templates: ReadonlyMap<string, TemplateInfo>, id: string): TemplateInfo[] {
  const closure = templateClosure(templates, id);
  for (const t of closure) assertValidName(t.id, 'role template id');
  return closure;
}

function subjectKey(s: Subject): string {
  return `${s.kind}\u0000${s.name}`;
}

/** Subjects (already unique, see addSubject) sorted by kind, then name, in RBAC's form. */
function rbacSubjects(subjects: Iterable<Subject>): NonNullable<KubeObject['subjects']> {
  return [...subjects]
    .sort((a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.name, b.name))
    .map((s) => ({ kind: s.kind, apiGroup: RBAC_GROUP, name: s.name }));
}

function addSubject(map: Map<string, Map<string, Subject>>, templateId: string, subject: Subject): void {
  let subjects = map.get(templateId);
  if (!subjects) map.set(templateId, (subjects = new Map()));
  subjects.set(subjectKey(subject), subject);
}

function clusterRole(name: string, labels: Record<string, string>, rules: PolicyRule[]): KubeObject {
  assertValidName(name, 'ClusterRole name');
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: { name, labels: { ...labels } }, rules };
}

function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  roleName: string,
  subjects: Iterable<Subject>,
): KubeObject {
  assertValidName(name, `${kind} name`);
  return {
    apiVersion: RBAC_API_VERSION,
    kind,
    metadata: namespace === undefined ? { name, labels: { ...labels } } : { name, namespace, labels: { ...labels } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: roleName },
    subjects: rbacSubjects(subjects),
  };
}

const CORE_GROUP = '';
const ALL = '*';

/**
 * The part of `rule` that is about core `namespaces` (a cluster-scoped resource), limited to the named
 * namespaces; undefined when the rule is not about namespaces or names none of them. Only `namespaces`
 * (and any `namespaces/<sub>` the rule lists) is kept: keeping the rule's other resources would grant them
 * cluster-wide to any object that happens to share a namespace's name.
 */
export function restrictNamespaceRule(rule: PolicyRule, namespaceNames: readonly string[]): PolicyRule | undefined {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  if (!rule.verbs || rule.verbs.length === 0) return undefined;
  if (!groups.includes(CORE_GROUP) && !groups.includes(ALL)) return undefined;
  if (!resources.includes('namespaces') && !resources.includes(ALL)) return undefined;
  const ruleNames = rule.resourceNames ?? [];
  const names = ruleNames.length === 0 ? [...namespaceNames] : namespaceNames.filter((n) => ruleNames.includes(n));
  if (names.length === 0) return undefined;
  const subresources = resources.filter((r) => r.startsWith('namespaces/'));
  return {
    verbs: [...rule.verbs],
    apiGroups: [CORE_GROUP],
    resources: ['namespaces', ...subresources],
    resourceNames: names,
  };
}

/** Names of the objects desiredRbac writes, for callers and tests that need to find them. */
export const rbacNames = {
  clusterBinding: (templateId: string) => `corral-crtb-${templateId}`,
  projectBinding: (templateId: string) => `corral-prtb-${templateId}`,
  projectNamespaces: (projectId: string, templateId: string) => `corral-p-${projectId}-${templateId}`,
  projectMember: (projectId: string) => `corral-p-${projectId}-member`,
};

export function desiredRbac(inputs: RbacInputs): KubeObject[] {
  const { clusterId, templates } = inputs;
  const clusterLabels = corralLabels(clusterId);
  const out: KubeObject[] = [];
  const usedTemplates = new Map<string, TemplateInfo>();

  // Cluster bindings: template id → subjects holding it anywhere in a bound closure.
  const clusterSubjects = new Map<string, Map<string, Subject>>();
  for (const b of inputs.clusterBindings) {
    for (const t of boundClosure(templates, b.roleTemplateId)) {
      usedTemplates.set(t.id, t);
      addSubject(clusterSubjects, t.id, b.subject);
    }
  }
  for (const [templateId, subjects] of clusterSubjects) {
    const t = templates.get(templateId)!;
    if (!bindable(t)) continue;
    out.push(
      binding(
        'ClusterRoleBinding',
        rbacNames.clusterBinding(templateId),
        undefined,
        clusterLabels,
        templateId,
        subjects.values(),
      ),
    );
  }

  // Project bindings: project → template id → subjects; and project → members.
  const projectSubjects = new Map<string, Map<string, Map<string, Subject>>>();
  const projectMembers = new Map<string, Map<string, Subject>>();
  for (const b of inputs.projectBindings) {
    const closure = boundClosure(templates, b.roleTemplateId);
    // A binding to a template that no longer exists grants nothing, not even membership.
    if (closure.length === 0) continue;
    let byTemplate = projectSubjects.get(b.projectId);
    if (!byTemplate) projectSubjects.set(b.projectId, (byTemplate = new Map()));
    for (const t of closure) {
      usedTemplates.set(t.id, t);
      addSubject(byTemplate, t.id, b.subject);
    }
    let members = projectMembers.get(b.projectId);
    if (!members) projectMembers.set(b.projectId, (members = new Map()));
    members.set(subjectKey(b.subject), b.subject);
  }

  const projectNamespaces = new Map<string, string[]>();
  for (const ns of inputs.namespaces) {
    if (ns.projectId === undefined || !projectSubjects.has(ns.projectId)) continue;
    let names = projectNamespaces.get(ns.projectId);
    if (!names) projectNamespaces.set(ns.projectId, (names = []));
    if (!names.includes(ns.name)) names.push(ns.name);
  }

  for (const [projectId, names] of projectNamespaces) {
    names.sort(compareStrings);
    const labels = corralLabels(clusterId, projectId);
    const byTemplate = projectSubjects.get(projectId)!;
    for (const [templateId, subjects] of byTemplate) {
      const t = templates.get(templateId)!;
      if (bindable(t)) {
        for (const namespace of names) {
          out.push(
            binding(
              'RoleBinding',
              rbacNames.projectBinding(templateId),
              namespace,
              labels,
              templateId,
              subjects.values(),
            ),
          );
        }
      }
      // Namespaces are cluster-scoped, so a template's namespace rules are granted by a ClusterRole
      // limited to the project's own namespaces.
      const namespaceRules = t.rules
        .map((r) => restrictNamespaceRule(r, names))
        .filter((r): r is PolicyRule => r !== undefined);
      if (namespaceRules.length > 0) {
        const name = rbacNames.projectNamespaces(projectId, templateId);
        out.push(clusterRole(name, labels, namespaceRules));
        out.push(binding('ClusterRoleBinding', name, undefined, labels, name, subjects.values()));
      }
    }
    const memberName = rbacNames.projectMember(projectId);
    out.push(
      clusterRole(memberName, labels, [
        { verbs: ['get'], apiGroups: [CORE_GROUP], resources: ['namespaces'], resourceNames: [...names] },
      ]),
    );
    out.push(
      binding('ClusterRoleBinding', memberName, undefined, labels, memberName, projectMembers.get(projectId)!.values()),
    );
  }

  // One ClusterRole per non-external template that some binding uses and that has rules of its own.
  // Only templates bound in a project that has namespaces matter there, but a ClusterRole is cheap and
  // keeping it while a project is empty avoids churn when its first namespace arrives.
  for (const t of usedTemplates.values()) {
    if (t.external) continue;
    const rules = normalizeRules(t.rules);
    if (rules.length === 0) continue;
    out.push(clusterRole(t.id, clusterLabels, rules));
  }

  return sortUnique(out);
}
