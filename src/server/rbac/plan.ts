/**
 * The changes that take Corral's objects in a cluster from what they are (`actual`, listed with the label
 * selector `corral.io/managed=true`) to what they should be (`desired`). Pure; the controller applies them.
 *
 * Apply `delete` first, then `create`, then `update`: a binding whose roleRef changed appears in both
 * `delete` and `create` under the same name.
 */
import {
  CORRAL_LABELS,
  MANAGED_LABEL,
  compareObjects,
  objectKey,
  normalizeRules,
  sortUnique,
  type KubeObject,
} from './desired.js';
import { toNano } from '../../schema/quantity.js';

export interface Plan {
  create: KubeObject[];
  /** The full desired object, with the actual object's resourceVersion copied in (compare-and-swap). */
  update: KubeObject[];
  /** The actual objects. */
  delete: KubeObject[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const BINDING_KINDS = new Set(['ClusterRoleBinding', 'RoleBinding']);

export function planChanges(desired: KubeObject[], actual: KubeObject[]): Plan {
  const wanted = sortUnique(desired);
  const existing = new Map<string, KubeObject>();
  // Defence in depth: even if the controller listed without the selector, an object Corral did not make
  // (no managed label) is never updated or deleted.
  for (const o of actual) if (o.metadata.labels?.[MANAGED_LABEL] === 'true') existing.set(objectKey(o), o);

  const plan: Plan = { create: [], update: [], delete: [] };
  const matched = new Set<string>();
  for (const want of wanted) {
    const key = objectKey(want);
    const have = existing.get(key);
    if (!have) {
      plan.create.push(want);
      continue;
    }
    matched.add(key);
    if (BINDING_KINDS.has(want.kind) && !sameRoleRef(want.roleRef, have.roleRef)) {
      // Kubernetes refuses to change a binding's roleRef: the binding has to be replaced.
      plan.delete.push(have);
      plan.create.push(want);
    } else if (!sameContent(want, have)) {
      const metadata = { ...want.metadata };
      if (have.metadata.resourceVersion !== undefined) metadata.resourceVersion = have.metadata.resourceVersion;
      plan.update.push({ ...want, metadata });
    }
  }
  for (const [key, have] of existing) {
    if (!matched.has(key)) plan.delete.push(have);
  }
  plan.delete.sort(compareObjects);
  return plan;
}

export function isNoop(plan: Plan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}

function sameRoleRef(a: KubeObject['roleRef'], b: KubeObject['roleRef']): boolean {
  return a?.apiGroup === b?.apiGroup && a?.kind === b?.kind && a?.name === b?.name;
}

/** Equal in everything Corral sets: its labels, and the kind's content. Other metadata is not Corral's. */
export function sameContent(want: KubeObject, have: KubeObject): boolean {
  const wantLabels = want.metadata.labels ?? {};
  const haveLabels = have.metadata.labels ?? {};
  if (CORRAL_LABELS.some((k) => wantLabels[k] !== haveLabels[k])) return false;
  return canonicalContent(want) === canonicalContent(have);
}

function canonicalContent(o: KubeObject): string {
  const content: Record<string, unknown> = {};
  if (o.rules !== undefined) content.rules = normalizeRules(o.rules);
  if (o.roleRef !== undefined) content.roleRef = o.roleRef;
  if (o.subjects !== undefined) content.subjects = o.subjects.map(normalizeSubject);
  if (o.spec !== undefined) content.spec = normalizeSpec(o.kind, o.spec);
  if (o.kind === 'Secret') content.secret = { type: o.type ?? 'Opaque', data: o.data ?? {} };
  return JSON.stringify(canonical(content) ?? {});
}

// Kubernetes defaults a User or Group subject's empty apiGroup to RBAC's, and a ServiceAccount's to ''.
function normalizeSubject(s: NonNullable<KubeObject['subjects']>[number]): unknown {
  const apiGroup = s.apiGroup || (s.kind === 'User' || s.kind === 'Group' ? RBAC_GROUP : '');
  return { kind: s.kind, apiGroup, name: s.name, namespace: s.namespace || undefined };
}

type ResourceList = Record<string, string>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Quantities compared by amount: the API server returns "1Gi" for "1024Mi", "500m" for "0.5". */
function canonicalResourceList(list: unknown): unknown {
  if (!isRecord(list)) return list;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(list)) {
    if (typeof value !== 'string') {
      out[name] = JSON.stringify(value);
      continue;
    }
    try {
      out[name] = `${toNano(value)}n`;
    } catch {
      out[name] = value;
    }
  }
  return out;
}

const LIMIT_RANGE_LISTS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'];

/**
 * A LimitRange item as the API server stores it. For type Container, Kubernetes fills a missing default
 * limit from `max`, a missing default request from the default limit, and then from `min`; applying the
 * same defaulting to both sides keeps a desired item without `defaultRequest` from looking changed forever.
 */
function defaultLimitRangeItem(item: unknown): unknown {
  if (!isRecord(item)) return item;
  const out: Record<string, unknown> = { ...item };
  for (const key of LIMIT_RANGE_LISTS) {
    if (out[key] !== undefined) out[key] = canonicalResourceList(out[key]);
  }
  if (out.type === 'Container') {
    const list = (key: string): ResourceList => (isRecord(out[key]) ? { ...(out[key] as ResourceList) } : {});
    const max = list('max');
    const min = list('min');
    const dflt = list('default');
    const request = list('defaultRequest');
    for (const [k, v] of Object.entries(max)) if (!(k in dflt)) dflt[k] = v;
    for (const [k, v] of Object.entries(dflt)) if (!(k in request)) request[k] = v;
    for (const [k, v] of Object.entries(min)) if (!(k in request)) request[k] = v;
    out.default = dflt;
    out.defaultRequest = request;
  }
  return out;
}

function normalizeSpec(kind: string, spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  if (kind === 'ResourceQuota') return { ...spec, hard: canonicalResourceList(spec.hard) };
  if (kind === 'LimitRange' && Array.isArray(spec.limits))
    return { ...spec, limits: spec.limits.map(defaultLimitRangeItem) };
  return spec;
}

/**
 * A JSON-comparable form: object keys sorted; undefined, null, empty lists and empty objects dropped (the
 * API server omits empty fields, so `rules: []` and no rules mean the same). List order is kept.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical).map((v) => (v === undefined ? null : v));
    return items.length === 0 ? undefined : items;
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical(value[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}
