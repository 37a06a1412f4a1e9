import { listAll } from '../../store/list-all.js';
import type { StoredObject } from '../../store/types.js';
import { ApiError } from '../http/errors.js';
import { DEFAULT_PAGE, MAX_PAGE, render } from './collection.js';
import type { ApiContext, TypeBehavior } from './context.js';
import type { TypeDef } from '../../schema/schema.js';

const RESERVED = new Set(['limit', 'marker', 'sort', 'order', 'action']);

export interface Filter {
  field: string;
  op: 'eq' | 'ne' | 'prefix';
  value: string;
}

/**
 * Query filters on the fields a collection has (plus `id` and `state`). Filters on anything else
 * are ignored, as Rancher's API does: its CLI sends `removed_null=1`, `system=false`, `all=true`
 * to every list, and refusing them would break it. Writes stay strict (unknown fields are 422).
 */
export function parseFilters(fields: Iterable<string>, query: URLSearchParams): Filter[] {
  const known = new Set([...fields, 'id', 'state']);
  const filters: Filter[] = [];
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue;
    const m = /^(.+?)(_ne|_prefix)?$/.exec(key)!;
    const field = m[1]!;
    if (!known.has(field)) continue;
    filters.push({ field, op: m[2] === '_ne' ? 'ne' : m[2] === '_prefix' ? 'prefix' : 'eq', value });
  }
  return filters;
}

export function fieldValue(obj: StoredObject, field: string): unknown {
  if (field === 'id') return obj.id;
  if (field === 'state') return obj.metadata.deletionTimestamp ? 'removing' : (obj.status.state ?? 'active');
  return field in obj.spec ? obj.spec[field] : obj.status[field];
}

/** Whether a value passes a filter; absent and null compare as the empty string. */
export function valueMatches(v: unknown, f: Filter): boolean {
  const s = v === undefined || v === null ? '' : String(v);
  if (f.op === 'eq') return s === f.value;
  if (f.op === 'ne') return s !== f.value;
  return s.startsWith(f.value);
}

/** Filters rendered (flat) resources, for collections computed from a cluster rather than the store. */
export function filterRendered<T extends Record<string, unknown>>(items: T[], filters: Filter[]): T[] {
  return items.filter((item) => filters.every((f) => valueMatches(item[f.field], f)));
}

/** `limit`: 1 to MAX_PAGE, or -1 (Rancher's "as many as the server allows", which its CLI sends). */
export function parseLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return DEFAULT_PAGE;
  const n = Number(raw);
  if (n === -1) return MAX_PAGE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new ApiError('InvalidFormat', `limit must be a whole number from 1 to ${MAX_PAGE}, or -1`, 'limit');
  }
  return n;
}

const encodeOffset = (n: number) => Buffer.from(`o:${n}`).toString('base64url');
function decodeOffset(marker: string): number {
  const m = /^o:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString());
  if (!m) throw new ApiError('InvalidFormat', 'marker is not one this server gave out', 'marker');
  return Number(m[1]);
}

/**
 * GET /v3/<type>. Without filters or sort the store pages (limit/continue, one index range per
 * page); with them, the matching set is read, filtered and sorted in memory, then sliced.
 */
export async function listResources(schema: TypeDef, behavior: TypeBehavior, ctx: ApiContext, url: URL) {
  const query = url.searchParams;
  const limit = parseLimit(query);
  const filters = parseFilters(Object.keys(schema.fields), query);
  const sortField = query.get('sort') ?? undefined;
  if (sortField && !(sortField in schema.fields) && sortField !== 'id' && sortField !== 'created') {
    throw new ApiError('UnknownField', `cannot sort ${schema.plural} by unknown field "${sortField}"`, 'sort');
  }
  const reverse = query.get('order') === 'desc';
  const marker = query.get('marker') ?? undefined;

  const full = ctx.can('list', schema);
  const ownFilter = full ? undefined : behavior.ownListFilter?.(ctx);
  if (!full && !ownFilter) throw new ApiError('PermissionDenied', `you may not list ${schema.plural}`);

  let page: StoredObject[];
  let next: string | undefined;
  // The store revision the page reflects: a watch from it (/v3/subscribe) misses no later change.
  let revision: string;
  if (behavior.list || filters.length || sortField || reverse || ownFilter) {
    // Read before the objects: a change in between is then replayed by the watch, never lost.
    revision = await ctx.store.currentRevision();
    let all = behavior.list
      ? await behavior.list(ctx)
      : await listAll(ctx.store, schema.id, ownFilter ? behavior.ownListSelector?.(ctx) : undefined);
    if (ownFilter) all = all.filter(ownFilter);
    // Fields a behaviour computes at render time (a setting's name) are filtered on as shown.
    const valueOf = (o: StoredObject, field: string) => fieldValue(o, field) ?? behavior.renderExtra?.(o, ctx)[field];
    all = all.filter((o) => filters.every((f) => valueMatches(valueOf(o, f.field), f)));
    if (sortField) {
      const key = (o: StoredObject) =>
        sortField === 'created' ? o.metadata.creationTimestamp : String(fieldValue(o, sortField) ?? '');
      all.sort((a, b) => key(a).localeCompare(key(b)) || a.id.localeCompare(b.id));
    }
    if (reverse) all.reverse();
    const offset = marker ? decodeOffset(marker) : 0;
    page = all.slice(offset, offset + limit);
    if (offset + limit < all.length) next = encodeOffset(offset + limit);
  } else {
    const result = await ctx.store.list(schema.id, { limit, continue: marker });
    page = result.items;
    next = result.continue;
    revision = result.resourceVersion;
  }

  const self = `${ctx.baseUrl}${url.pathname}${url.search}`;
  const nextUrl = next ? withParam(url, ctx.baseUrl, 'marker', next) : undefined;
  const createTypes: Record<string, string> = {};
  if (schema.collectionMethods.includes('POST') && ctx.can('create', schema)) {
    createTypes[schema.id] = `${ctx.baseUrl}/v3/${schema.plural}`;
  }
  const actions: Record<string, string> = {};
  for (const name of Object.keys(schema.collectionActions ?? {})) {
    actions[name] = `${ctx.baseUrl}/v3/${schema.plural}?action=${name}`;
  }
  return {
    type: 'collection',
    resourceType: schema.id,
    revision,
    links: { self },
    createTypes,
    actions,
    pagination: { limit, ...(marker ? { marker } : {}), ...(nextUrl ? { next: nextUrl, partial: true } : {}) },
    sort: { order: reverse ? 'desc' : 'asc', ...(sortField ? { name: sortField } : {}) },
    filters: Object.fromEntries(filters.map((f) => [f.field, [{ modifier: f.op, value: f.value }]])),
    data: page.map((o) => render(schema, behavior, o, ctx)),
  };
}

function withParam(url: URL, baseUrl: string, key: string, value: string): string {
  const u = new URL(url.pathname + url.search, baseUrl);
  u.searchParams.set(key, value);
  return u.toString();
}
