import type { StoredObject } from '../../store/types.js';
import { parseId } from '../../store/objects.js';
import { StoreError } from '../../store/types.js';
import { ApiError } from '../http/errors.js';
import type { ApiContext, TypeBehavior } from './context.js';
import { CREATOR_ANNOTATION, renderResource, type RenderContext } from './render.js';
import { fieldReadOnly, type TypeDef } from '../../schema/schema.js';
import { subtypeAsType, validateInput } from './validate.js';

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 5000;

export function renderContext(schema: TypeDef, behavior: TypeBehavior, ctx: ApiContext): RenderContext {
  return {
    baseUrl: ctx.baseUrl,
    allowed: (verb, obj) => allowedOn(schema, behavior, ctx, verb, obj),
  };
}

export function allowedOn(
  schema: TypeDef,
  behavior: TypeBehavior,
  ctx: ApiContext,
  verb: string,
  obj: StoredObject,
): boolean {
  return ctx.can(verb, schema, obj.id) || (behavior.ownerAllows?.(verb, obj, ctx) ?? false);
}

export function render(schema: TypeDef, behavior: TypeBehavior, obj: StoredObject, ctx: ApiContext) {
  const out = renderResource(schema, obj, renderContext(schema, behavior, ctx));
  return behavior.renderExtra ? { ...out, ...behavior.renderExtra(obj, ctx) } : out;
}

function denied(verb: string, schema: TypeDef, id?: string): ApiError {
  const what = id ? `${schema.id} "${id}"` : schema.plural;
  return new ApiError('PermissionDenied', `you may not ${verb} ${what}`);
}

async function fetchVisible(schema: TypeDef, behavior: TypeBehavior, ctx: ApiContext, id: string, verb: string) {
  let obj: StoredObject;
  try {
    obj = behavior.get ? await behavior.get(id, ctx) : await ctx.store.get(schema.id, id);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound') {
      throw new ApiError('NotFound', `${schema.id} "${id}" not found`);
    }
    throw err;
  }
  if (!allowedOn(schema, behavior, ctx, verb, obj)) {
    // Someone who may not even read it is not told that it exists.
    if (verb !== 'get' && allowedOn(schema, behavior, ctx, 'get', obj)) throw denied(verb, schema, id);
    throw new ApiError('NotFound', `${schema.id} "${id}" not found`);
  }
  return obj;
}

export async function getResource(schema: TypeDef, behavior: TypeBehavior, ctx: ApiContext, id: string) {
  return render(schema, behavior, await fetchVisible(schema, behavior, ctx, id, 'get'), ctx);
}

export async function createResource(
  schema: TypeDef,
  behavior: TypeBehavior,
  ctx: ApiContext,
  body: Record<string, unknown>,
) {
  if (!schema.collectionMethods.includes('POST'))
    throw new ApiError('MethodNotAllowed', `${schema.plural} cannot be created`);
  const input = validateInput(schema, body, 'create');
  if (!ctx.can('create', schema) && !behavior.ownerAllows?.('create', placeholder(schema, ctx), ctx)) {
    throw denied('create', schema);
  }
  let obj: StoredObject;
  let responseExtra: Record<string, unknown> | undefined;
  if (behavior.create) {
    obj = await behavior.create(input.fields, ctx, input.labels ?? {});
  } else {
    const prepared = behavior.prepareCreate ? await behavior.prepareCreate(input.fields, ctx) : { spec: input.fields };
    responseExtra = prepared.responseExtra;
    const id = prepared.id;
    obj = await ctx.store.create({
      type: schema.id,
      ...(id ? { id } : {}),
      metadata: {
        ...(id ? { name: parseId(id).name } : { generateName: schema.idPrefix ?? `${schema.id.toLowerCase()}-` }),
        labels: { ...input.labels, ...prepared.labels },
        annotations: { ...input.annotations, [CREATOR_ANNOTATION]: ctx.auth.user.id },
      },
      spec: prepared.spec,
      status: prepared.status ?? {},
    });
  }
  const extra = { ...responseExtra, ...(await behavior.afterCreate?.(obj, ctx)) };
  return { ...render(schema, behavior, obj, ctx), ...extra };
}

/** A stand-in for "an object this caller would own", for ownership checks on create. */
function placeholder(schema: TypeDef, ctx: ApiContext): StoredObject {
  return {
    type: schema.id,
    id: '',
    metadata: {
      name: '',
      labels: {},
      annotations: { [CREATOR_ANNOTATION]: ctx.auth.user.id },
      resourceVersion: '0',
      uid: '',
      creationTimestamp: new Date().toISOString(),
      finalizers: [],
    },
    spec: { userId: ctx.auth.user.id },
    status: {},
  };
}

export async function updateResource(
  schema: TypeDef,
  behavior: TypeBehavior,
  ctx: ApiContext,
  id: string,
  body: Record<string, unknown>,
) {
  if (!schema.resourceMethods.includes('PUT'))
    throw new ApiError('MethodNotAllowed', `${schema.plural} cannot be updated`);
  // Rancher's clients send the object back whole, envelope included (`id` may be null).
  if (body.id !== undefined && body.id !== null && body.id !== id)
    throw new ApiError('InvalidValue', `id "${String(body.id)}" does not match the URL`, 'id');
  const existing = await fetchVisible(schema, behavior, ctx, id, 'update');
  const input = validateInput(schema, body, 'update', { ...existing.status, ...existing.spec });
  if (input.resourceVersion !== undefined && input.resourceVersion !== existing.metadata.resourceVersion) {
    throw new ApiError(
      'Conflict',
      `${schema.id} "${id}" was changed since resourceVersion ${input.resourceVersion} (now ${existing.metadata.resourceVersion}); get it again and reapply your change`,
    );
  }
  const spec = behavior.prepareUpdate
    ? await behavior.prepareUpdate(existing, input.fields, ctx)
    : { ...existing.spec, ...withoutReadOnly(schema, input.fields) };
  const updated = await ctx.store.update({
    ...existing,
    metadata: {
      ...existing.metadata,
      labels: input.labels ?? existing.metadata.labels,
      annotations: input.annotations ? keepCreator(input.annotations, existing) : existing.metadata.annotations,
      resourceVersion: input.resourceVersion ?? existing.metadata.resourceVersion,
    },
    spec,
  });
  return render(schema, behavior, updated, ctx);
}

/** Who created an object is a fact, not a field: an update cannot rewrite it. */
function keepCreator(annotations: Record<string, string>, existing: StoredObject): Record<string, string> {
  const creator = existing.metadata.annotations[CREATOR_ANNOTATION];
  const { [CREATOR_ANNOTATION]: _ignored, ...rest } = annotations;
  return creator ? { ...rest, [CREATOR_ANNOTATION]: creator } : rest;
}

function withoutReadOnly(schema: TypeDef, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !fieldReadOnly(schema.fields[k]!)));
}

export async function deleteResource(schema: TypeDef, behavior: TypeBehavior, ctx: ApiContext, id: string) {
  if (!schema.resourceMethods.includes('DELETE'))
    throw new ApiError('MethodNotAllowed', `${schema.plural} cannot be deleted`);
  const existing = await fetchVisible(schema, behavior, ctx, id, 'delete');
  await behavior.beforeDelete?.(existing, ctx);
  // No resourceVersion precondition: a hook may have just written the object (a cluster marked as being removed).
  const deleted = await ctx.store.delete(schema.id, id);
  await behavior.afterDelete?.(existing, ctx);
  return render(schema, behavior, deleted, ctx);
}

export async function resourceAction(
  schema: TypeDef,
  behavior: TypeBehavior,
  ctx: ApiContext,
  id: string,
  action: string,
  body: Record<string, unknown>,
) {
  const def = schema.resourceActions?.[action];
  const handler = behavior.resourceActions?.[action];
  if (!def || !handler) throw new ApiError('InvalidAction', `${schema.id} has no action "${action}"`);
  const obj = await fetchVisible(schema, behavior, ctx, id, def.verb ?? 'update');
  const input = def.input ? validateInput(subtypeAsType(def.input), body, 'create').fields : {};
  const result = await handler(obj, input, ctx);
  if (result && 'metadata' in result && 'spec' in result) return render(schema, behavior, result as StoredObject, ctx);
  return result ?? {};
}

export async function collectionAction(
  schema: TypeDef,
  behavior: TypeBehavior,
  ctx: ApiContext,
  action: string,
  body: Record<string, unknown>,
) {
  const def = schema.collectionActions?.[action];
  const handler = behavior.collectionActions?.[action];
  if (!def || !handler) throw new ApiError('InvalidAction', `${schema.plural} have no action "${action}"`);
  const input = def.input ? validateInput(subtypeAsType(def.input), body, 'create').fields : {};
  return (await handler(input, ctx)) ?? {};
}
