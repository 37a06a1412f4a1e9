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

/** A type's entry in /v3/schemas: what clients (and the CLI and UI) build forms and tables from. */
export function renderSchema(schema: TypeDef, baseUrl: string) {
  const fields = { ...COMMON_FIELDS, ...schema.fields };
  return {
    id: schema.id,
    type: 'schema',
    pluralName: schema.plural,
    links: { self: `${baseUrl}/v3/schemas/${schema.id}`, collection: `${baseUrl}/v3/${schema.plural}` },
    collectionMethods: schema.collectionMethods,
    resourceMethods: schema.resourceMethods,
    resourceFields: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, renderField(f)])),
    resourceActions: schema.resourceActions ?? {},
    collectionActions: schema.collectionActions ?? {},
    columns: schema.columns,
  };
}
