import { ApiError } from '../http/errors.js';
import { COMMON_FIELDS, type FieldDef, type TypeDef } from '../../schema/schema.js';

function renderField(f: FieldDef) {
  return {
    type: f.type,
    ...(f.description ? { description: f.description } : {}),
    required: f.required ?? false,
    create: f.create !== false,
    update: f.update !== false,
    nullable: f.nullable ?? false,
    ...(f.writeOnly ? { writeOnly: true } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.options ? { options: f.options } : {}),
    ...(f.minLength !== undefined ? { minLength: f.minLength } : {}),
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
  };
}

/**
 * A type's entry in /v3/schemas: what clients (and the CLI and UI) build forms and tables from.
 * `apiUrl` is the API it belongs to (`/v3`, `/v3/clusters/<id>`, `/v3/projects/<id>`): Rancher's
 * Go client lists and creates at the schema's `collection` link, so scoped types point there.
 */
export function renderSchema(schema: TypeDef, baseUrl: string, apiUrl = `${baseUrl}/v3`) {
  const fields = { ...COMMON_FIELDS, ...schema.fields };
  return {
    id: schema.id,
    type: 'schema',
    pluralName: schema.plural,
    links: { self: `${apiUrl}/schemas/${schema.id}`, collection: `${apiUrl}/${schema.plural}` },
    collectionMethods: schema.collectionMethods,
    resourceMethods: schema.resourceMethods,
    resourceFields: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, renderField(f)])),
    resourceActions: schema.resourceActions ?? {},
    collectionActions: schema.collectionActions ?? {},
    columns: schema.columns,
  };
}

/** An API's schemas as a collection, or one of them by id (case-insensitive). */
export function schemasReply(types: TypeDef[], baseUrl: string, apiUrl: string, id?: string) {
  if (id) {
    const schema = types.find((t) => t.id.toLowerCase() === id.toLowerCase());
    if (!schema) throw new ApiError('NotFound', `no schema "${id}"`);
    return renderSchema(schema, baseUrl, apiUrl);
  }
  return {
    type: 'collection',
    resourceType: 'schema',
    links: { self: `${apiUrl}/schemas` },
    data: types.map((t) => renderSchema(t, baseUrl, apiUrl)),
  };
}

/**
 * Rancher's clients find an API's schemas from this header on every reply of the API (its Go
 * client refuses an API without it): `/v3/clusters/<id>/...` and `/v3/projects/<id>/...` are
 * APIs of their own, with their own schemas; the rest of `/v3` shares `/v3/schemas`.
 */
export function schemasHeader(baseUrl: string, pathname: string): Record<string, string> {
  const scoped = /^\/v3\/(clusters|projects)\/([^/]+)/i.exec(pathname);
  const api = scoped
    ? `${baseUrl}/v3/${scoped[1]!.toLowerCase()}/${scoped[2]!}`
    : `${baseUrl}${/^\/v1(\/|$)/.test(pathname) ? '/v1' : '/v3'}`;
  return { 'x-api-schemas': `${api}/schemas` };
}
