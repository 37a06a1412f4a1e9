import type { StoredObject } from '../../store/types.js';
import type { TypeDef } from '../../schema/schema.js';

export const CREATOR_ANNOTATION = 'field.cattle.io/creatorId';

export interface RenderContext {
  /** https://host:port, without a trailing slash. */
  baseUrl: string;
  /** Whether the caller may use a method or action on this object: links and actions show only what is allowed. */
  allowed(verb: string, obj: StoredObject): boolean;
}

export function resourceUrl(ctx: RenderContext, schema: TypeDef, id: string): string {
  // Project ids (c-xxxxx:p-xxxxx) keep their colon, as in Rancher's URLs.
  return `${ctx.baseUrl}/v3/${schema.plural}/${encodeURIComponent(id).replace(/%3A/g, ':')}`;
}

/** A stored object in Rancher's flat v3 JSON shape. */
export function renderResource(schema: TypeDef, obj: StoredObject, ctx: RenderContext): Record<string, unknown> {
  const self = resourceUrl(ctx, schema, obj.id);
  const links: Record<string, string> = { self };
  if (schema.resourceMethods.includes('PUT') && ctx.allowed('update', obj)) links.update = self;
  if (schema.resourceMethods.includes('DELETE') && ctx.allowed('delete', obj)) links.remove = self;
  const actions: Record<string, string> = {};
  for (const [name, action] of Object.entries(schema.resourceActions ?? {})) {
    if (ctx.allowed(action.verb ?? 'update', obj)) actions[name] = `${self}?action=${name}`;
  }
  const m = obj.metadata;
  const out: Record<string, unknown> = {
    id: obj.id,
    type: schema.id,
    baseType: schema.id,
    links,
    actions,
    created: m.creationTimestamp,
    createdTS: Date.parse(m.creationTimestamp),
    creatorId: m.annotations[CREATOR_ANNOTATION] ?? null,
    uuid: m.uid,
    labels: m.labels,
    annotations: m.annotations,
    resourceVersion: m.resourceVersion,
    state: m.deletionTimestamp ? 'removing' : ((obj.status.state as string | undefined) ?? 'active'),
    transitioning: m.deletionTimestamp ? 'yes' : 'no',
    transitioningMessage: '',
  };
  if (m.deletionTimestamp) out.removed = m.deletionTimestamp;
  for (const [key, field] of Object.entries(schema.fields)) {
    if (field.writeOnly) continue;
    const value = key in obj.spec ? obj.spec[key] : obj.status[key];
    out[key] = value === undefined ? (field.default ?? null) : value;
  }
  return out;
}
