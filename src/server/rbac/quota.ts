/**
 * Project quotas and container defaults, with Rancher's field names and namespace annotations, and what
 * they become downstream: a ResourceQuota `default-quota` and a LimitRange `default-limitrange` in each
 * namespace of a project. Pure; the controller applies the difference with `planChanges` (plan.ts).
 *
 * Sums and comparisons are exact (BigInt nano-units, see quantity.ts), never floating point.
 */
import { corralLabels, sortUnique, type KubeObject } from './desired.js';
import { formatNano, toNano, type QuantityUnit } from '../../schema/quantity.js';
import { containerResourceLimit, resourceQuotaLimit } from '../../schema/types/project.js';

/** Rancher's quota field names, as the project type declares them. */
export type RancherQuotaField = keyof typeof resourceQuotaLimit.fields;

// Null as well as absent: the API validator stores an emptied optional field as null.
export type RancherQuotaLimit = Partial<Record<RancherQuotaField, string | null>>;

/** JSON `{"limit": {...}}` on a namespace; overrides the project's namespace default, field by field. */
export const QUOTA_ANNOTATION = 'field.cattle.io/resourceQuota';
/** JSON `{"limitsCpu": ..., ...}` on a namespace; overrides the project's container default, key by key. */
export const LIMIT_ANNOTATION = 'field.cattle.io/containerDefaultResourceLimit';

export const RESOURCE_QUOTA_NAME = 'default-quota';
export const LIMIT_RANGE_NAME = 'default-limitrange';

/** Rancher's field → the Kubernetes resource name in a ResourceQuota's `hard` (each field's description). */
export const QUOTA_FIELDS = Object.fromEntries(
  Object.entries(resourceQuotaLimit.fields).map(([field, def]) => [field, def.description]),
) as Readonly<Record<RancherQuotaField, string>>;
const FIELD_NAMES = Object.keys(QUOTA_FIELDS) as RancherQuotaField[];

function unitOf(field: string): QuantityUnit {
  if (field === 'requestsCpu' || field === 'limitsCpu') return 'cpu';
  if (field === 'requestsMemory' || field === 'limitsMemory' || field === 'requestsStorage') return 'bytes';
  return 'count';
}

/** Present values only: Rancher omits empty fields, so '' means "not set". */
function entries<K extends string>(limit: Partial<Record<K, string | null>>, keys: readonly K[]): [K, string][] {
  return keys.flatMap((k) => {
    const v = limit[k];
    return typeof v === 'string' && v !== '' ? [[k, v] as [K, string]] : [];
  });
}

export function toKubernetesHard(limit: RancherQuotaLimit): Record<string, string> {
  const hard: Record<string, string> = {};
  for (const [field, value] of entries(limit, FIELD_NAMES)) hard[QUOTA_FIELDS[field]] = value;
  return hard;
}

function nonNegativeNano(value: string, where: string): bigint {
  let nano: bigint;
  try {
    nano = toNano(value);
  } catch {
    throw new Error(`${where}: "${value}" is not a Kubernetes quantity`);
  }
  if (nano < 0n) throw new Error(`${where}: "${value}" must not be negative`);
  return nano;
}

function parseJsonObject(value: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function parseLimitObject<K extends string>(
  raw: Record<string, unknown>,
  known: readonly K[],
  where: string,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new Error(`${where}: unknown field "${key}" (known: ${known.join(', ')})`);
    }
    if (value === null || value === undefined || value === '') continue;
    if (typeof value !== 'string') throw new Error(`${where}.${key} must be a string quantity, like "500m" or "1Gi"`);
    nonNegativeNano(value, `${where}.${key}`);
    out[key as K] = value;
  }
  return out;
}

/**
 * Parses and validates a QUOTA_ANNOTATION value, for API validation: throws an Error saying what is wrong
 * (not JSON, no `limit` object, an unknown field, a value that is not a non-negative quantity).
 */
export function parseQuotaAnnotation(value: string): RancherQuotaLimit {
  const raw = parseJsonObject(value, QUOTA_ANNOTATION);
  for (const key of Object.keys(raw)) {
    if (key !== 'limit') throw new Error(`${QUOTA_ANNOTATION}: unknown field "${key}" (expected {"limit": {...}})`);
  }
  const limit = raw.limit;
  if (typeof limit !== 'object' || limit === null || Array.isArray(limit)) {
    throw new Error(`${QUOTA_ANNOTATION} must be {"limit": {...}} with a "limit" object`);
  }
  return parseLimitObject(limit as Record<string, unknown>, FIELD_NAMES, `${QUOTA_ANNOTATION} limit`);
}

function isEmpty(o: object): boolean {
  return Object.keys(o).length === 0;
}

/**
 * The quota of one namespace: the project's namespace default, with each field the namespace's
 * annotation sets taking its value (the annotation wins). A field the annotation leaves out keeps the
 * project default, so a namespace cannot escape a project-wide limit by omitting it. A missing or invalid
 * annotation means the project default. Undefined when neither sets anything.
 *
 * Differs from Rancher in one case: Rancher ignores the annotation entirely when the project has no
 * quota, and drops annotation fields the project default lacks.
 */
export function namespaceQuota(
  namespaceAnnotations: Record<string, string> | undefined,
  projectDefault: RancherQuotaLimit | undefined,
): RancherQuotaLimit | undefined {
  const merged: RancherQuotaLimit = Object.fromEntries(entries(projectDefault ?? {}, FIELD_NAMES));
  const raw = namespaceAnnotations?.[QUOTA_ANNOTATION];
  if (raw !== undefined && raw !== '') {
    try {
      Object.assign(merged, parseQuotaAnnotation(raw));
    } catch {
      // invalid: the project default applies (API validation reports it through parseQuotaAnnotation)
    }
  }
  return isEmpty(merged) ? undefined : merged;
}

export interface QuotaExceeded {
  /** Rancher's field name, e.g. requestsCpu. */
  field: string;
  /** The project's limit, as given. */
  limit: string;
  /** The namespaces' sum. */
  total: string;
  /** How much the sum is over the limit. */
  over: string;
}

/**
 * Whether the namespaces' limits, summed, fit in the project's limit. Only fields the project limits are
 * checked (as Rancher). Amounts are in the field's units ("2" pods, "500m" CPU, "1Gi" memory). Throws when
 * a value is not a non-negative quantity.
 */
export function quotaFits(
  projectLimit: RancherQuotaLimit,
  namespaceLimits: RancherQuotaLimit[],
): { ok: true } | { ok: false; exceeded: QuotaExceeded[] } {
  const totals = sumLimits(namespaceLimits);
  const exceeded: QuotaExceeded[] = [];
  for (const [field, limit] of entries(projectLimit, FIELD_NAMES)) {
    const max = nonNegativeNano(limit, `project limit ${field}`);
    const total = totals.get(field) ?? 0n;
    if (total > max) {
      const unit = unitOf(field);
      exceeded.push({ field, limit, total: formatNano(total, unit), over: formatNano(total - max, unit) });
    }
  }
  return exceeded.length === 0 ? { ok: true } : { ok: false, exceeded };
}

function sumLimits(limits: RancherQuotaLimit[]): Map<RancherQuotaField, bigint> {
  const totals = new Map<RancherQuotaField, bigint>();
  limits.forEach((limit, i) => {
    for (const [field, value] of entries(limit, FIELD_NAMES)) {
      totals.set(field, (totals.get(field) ?? 0n) + nonNegativeNano(value, `namespace limit ${i} ${field}`));
    }
  });
  return totals;
}

/** The namespaces' limits summed field by field: the project's resourceQuota.usedLimit. */
export function usedLimit(namespaceLimits: RancherQuotaLimit[]): RancherQuotaLimit {
  const out: RancherQuotaLimit = {};
  for (const [field, total] of sumLimits(namespaceLimits)) out[field] = formatNano(total, unitOf(field));
  return out;
}

export interface ContainerDefaultLimit {
  requestsCpu?: string;
  requestsMemory?: string;
  limitsCpu?: string;
  limitsMemory?: string;
}
const CONTAINER_FIELDS = Object.keys(containerResourceLimit.fields) as (keyof ContainerDefaultLimit)[];

/**
 * Parses and validates a LIMIT_ANNOTATION value, for API validation: a JSON object of the four fields,
 * each a non-negative quantity, and no default request above its default limit (Kubernetes refuses such
 * a LimitRange).
 */
export function parseContainerLimitAnnotation(value: string): ContainerDefaultLimit {
  const raw = parseJsonObject(value, LIMIT_ANNOTATION);
  const limit = parseLimitObject(raw, CONTAINER_FIELDS, LIMIT_ANNOTATION);
  assertRequestsWithinLimits(limit, LIMIT_ANNOTATION);
  return limit;
}

/** Throws when a default request is above the default limit for the same resource. */
export function assertRequestsWithinLimits(limit: ContainerDefaultLimit, where: string): void {
  for (const [request, max] of [
    ['requestsCpu', 'limitsCpu'],
    ['requestsMemory', 'limitsMemory'],
  ] as const) {
    const r = limit[request];
    const l = limit[max];
    if (r && l && nonNegativeNano(r, `${where}.${request}`) > nonNegativeNano(l, `${where}.${max}`)) {
      throw new Error(`${where}: ${request} (${r}) must not be more than ${max} (${l})`);
    }
  }
}

/**
 * The container defaults of one namespace: its annotation's keys over the project's (as Rancher's
 * completeLimit), or the project's when the annotation is missing or invalid. Undefined when none.
 */
export function namespaceContainerDefault(
  namespaceAnnotations: Record<string, string> | undefined,
  projectDefault: ContainerDefaultLimit | undefined,
): ContainerDefaultLimit | undefined {
  const merged: ContainerDefaultLimit = Object.fromEntries(entries(projectDefault ?? {}, CONTAINER_FIELDS));
  const raw = namespaceAnnotations?.[LIMIT_ANNOTATION];
  if (raw !== undefined && raw !== '') {
    try {
      Object.assign(merged, parseContainerLimitAnnotation(raw));
    } catch {
      // invalid: the project default applies
    }
  }
  return isEmpty(merged) ? undefined : merged;
}

export interface QuotaInputs {
  clusterId: string;
  namespaces: { name: string; projectId?: string; annotations?: Record<string, string> }[];
  projects: Map<string, { namespaceDefaultLimit?: RancherQuotaLimit; containerDefaultLimit?: ContainerDefaultLimit }>;
}

function limitRangeItem(limit: ContainerDefaultLimit): Record<string, unknown> {
  const dflt: Record<string, string> = {};
  const request: Record<string, string> = {};
  if (limit.limitsCpu) dflt.cpu = limit.limitsCpu;
  if (limit.limitsMemory) dflt.memory = limit.limitsMemory;
  if (limit.requestsCpu) request.cpu = limit.requestsCpu;
  if (limit.requestsMemory) request.memory = limit.requestsMemory;
  return {
    type: 'Container',
    ...(isEmpty(dflt) ? {} : { default: dflt }),
    ...(isEmpty(request) ? {} : { defaultRequest: request }),
  };
}

/**
 * For each namespace in a project: a ResourceQuota `default-quota` when it has a quota (its annotation
 * or the project's namespace default), and a LimitRange `default-limitrange` when it has container
 * defaults (the project's, or its annotation). Namespaces in no project get nothing.
 */
export function desiredQuotaObjects(input: QuotaInputs): KubeObject[] {
  const out: KubeObject[] = [];
  for (const ns of input.namespaces) {
    if (ns.projectId === undefined) continue;
    const project = input.projects.get(ns.projectId);
    const labels = corralLabels(input.clusterId, ns.projectId);
    const quota = namespaceQuota(ns.annotations, project?.namespaceDefaultLimit);
    const hard = quota ? toKubernetesHard(quota) : {};
    if (!isEmpty(hard)) {
      out.push({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: RESOURCE_QUOTA_NAME, namespace: ns.name, labels: { ...labels } },
        spec: { hard },
      });
    }
    const containerDefault = namespaceContainerDefault(ns.annotations, project?.containerDefaultLimit);
    if (containerDefault) {
      out.push({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: LIMIT_RANGE_NAME, namespace: ns.name, labels: { ...labels } },
        spec: { limits: [limitRangeItem(containerDefault)] },
      });
    }
  }
  return sortUnique(out);
}
