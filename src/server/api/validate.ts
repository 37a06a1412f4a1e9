import { ApiError } from '../http/errors.js';
import {
  COMMON_FIELDS,
  RENDER_ONLY_KEYS,
  fieldCreatable,
  fieldReadOnly,
  fieldUpdatable,
  controlCharacterIn,
  isNameKey,
  subtype,
  type FieldDef,
  type TypeDef,
} from '../../schema/schema.js';
import { isQuantity } from '../../schema/quantity.js';

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Checks one value against its field definition; returns the value to store. */
export function checkValue(field: FieldDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) {
    if (field.nullable || !field.required) return value === undefined ? undefined : null;
    throw new ApiError('NotNullable', `${path} cannot be null`, path);
  }
  const wrong = (want: string) => new ApiError('InvalidType', `${path} must be ${want}, not ${describe(value)}`, path);
  const t = field.type;
  const inner = /^(array|map|reference)\[(.+)\]$/.exec(t);
  if (inner) {
    const [, kind, of] = inner as unknown as [string, string, string];
    if (kind === 'reference') {
      if (typeof value !== 'string') throw wrong(`the id of a ${of}`);
      return checkString(field, value, path);
    }
    const element: FieldDef = { type: of, required: true };
    if (kind === 'array') {
      if (!Array.isArray(value)) throw wrong(`an array of ${of}`);
      if (field.max !== undefined && value.length > field.max) {
        throw new ApiError('MaxLimitExceeded', `${path} has ${value.length} items; at most ${field.max} allowed`, path);
      }
      return value.map((v, i) => checkValue(element, v, `${path}[${i}]`));
    }
    if (typeof value !== 'object' || Array.isArray(value)) throw wrong(`an object of ${of} values`);
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, checkValue(element, v, `${path}.${k}`)]),
    );
  }
  switch (t) {
    case 'string':
    case 'password':
      if (typeof value !== 'string') throw wrong('a string');
      return checkString(field, value, path);
    case 'enum':
      if (typeof value !== 'string') throw wrong('a string');
      if (field.options && !field.options.includes(value)) {
        throw new ApiError('InvalidOption', `${path} must be one of ${field.options.join(', ')}, not "${value}"`, path);
      }
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong('a whole number');
      if (field.min !== undefined && value < field.min) {
        throw new ApiError('MinLimitExceeded', `${path} must be at least ${field.min}`, path);
      }
      if (field.max !== undefined && value > field.max) {
        throw new ApiError('MaxLimitExceeded', `${path} must be at most ${field.max}`, path);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong('true or false');
      return value;
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) {
        throw wrong('an RFC 3339 date such as 2026-01-31T12:00:00Z');
      }
      return value;
    case 'json':
      return value;
    default: {
      const sub = subtype(t);
      if (!sub) throw new Error(`schema error: unknown field type ${t} at ${path}`);
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong(`an object (${t})`);
      return checkObject(sub.fields, value as Record<string, unknown>, path, 'create');
    }
  }
}

function checkString(field: FieldDef, value: string, path: string): string {
  if (field.minLength !== undefined && value.length < field.minLength) {
    throw new ApiError('MinLengthExceeded', `${path} must be at least ${field.minLength} characters`, path);
  }
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    throw new ApiError('MaxLengthExceeded', `${path} must be at most ${field.maxLength} characters`, path);
  }
  if (field.options && !field.options.includes(value)) {
    throw new ApiError('InvalidOption', `${path} must be one of ${field.options.join(', ')}, not "${value}"`, path);
  }
  const bad = field.type === 'string' && isNameKey(path.slice(path.lastIndexOf('.') + 1)) && controlCharacterIn(value);
  if (bad) {
    throw new ApiError(
      'InvalidFormat',
      `${path} must not contain control or invisible formatting characters (found ${bad}); use plain printable text`,
      path,
    );
  }
  if (field.format === 'quantity') {
    if (!isQuantity(value)) {
      throw new ApiError(
        'InvalidFormat',
        `${path} must be a Kubernetes quantity such as 10, 500m or 2Gi, not "${value}"`,
        path,
      );
    }
  }
  if (field.pattern && !field.pattern.test(value)) {
    throw new ApiError('InvalidFormat', `${path} ${field.patternHint ?? `must match ${field.pattern}`}`, path);
  }
  return value;
}

function checkObject(
  fields: Record<string, FieldDef>,
  input: Record<string, unknown>,
  prefix: string,
  mode: 'create' | 'update',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const field = fields[key];
    if (!field) throw new ApiError('UnknownField', `unknown field "${path}"`, path);
    const checked = checkValue(field, value, path);
    if (checked !== undefined) out[key] = checked;
  }
  if (mode === 'create') {
    for (const [key, field] of Object.entries(fields)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (out[key] === undefined && field.default !== undefined) out[key] = structuredClone(field.default);
      if (field.required && (out[key] === undefined || out[key] === null)) {
        throw new ApiError('MissingRequired', `${path} is required`, path);
      }
    }
  }
  return out;
}

export interface ValidatedInput {
  /** The type's own fields, checked, with defaults on create. */
  fields: Record<string, unknown>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The resourceVersion the client based an update on, if it sent one. */
  resourceVersion?: string;
}

/**
 * Validates a create or update body against its schema. Unknown fields are refused (a typo must
 * not silently do nothing); server-owned fields the client echoes back are ignored; a field that
 * cannot change must come back unchanged.
 */
export function validateInput(
  schema: TypeDef,
  body: Record<string, unknown>,
  mode: 'create' | 'update',
  current?: Record<string, unknown>,
): ValidatedInput {
  const own: Record<string, unknown> = {};
  const result: ValidatedInput = { fields: {} };
  for (const [key, value] of Object.entries(body)) {
    if (RENDER_ONLY_KEYS.has(key)) continue;
    const field = schema.fields[key];
    if (field) {
      if (mode === 'create' && !fieldCreatable(field)) {
        if (fieldReadOnly(field)) continue;
        throw new ApiError('NotUpdatable', `${key} cannot be set on create`, key);
      }
      if (mode === 'update' && !fieldUpdatable(field)) {
        if (fieldReadOnly(field) || field.writeOnly) continue;
        if (current && JSON.stringify(current[key]) !== JSON.stringify(value) && value !== undefined) {
          throw new ApiError('NotUpdatable', `${key} cannot be changed after create`, key);
        }
        continue;
      }
      own[key] = value;
      continue;
    }
    const common = COMMON_FIELDS[key];
    if (!common) throw new ApiError('UnknownField', `unknown field "${key}" for type ${schema.id}`, key);
    if (key === 'labels' || key === 'annotations') {
      result[key] = checkValue(common, value, key) as Record<string, string> | undefined;
    } else if (key === 'resourceVersion' && mode === 'update' && value !== undefined) {
      result.resourceVersion = checkValue(common, value, key) as string;
    }
  }
  if (mode === 'create') {
    const creatable = Object.fromEntries(Object.entries(schema.fields).filter(([, f]) => fieldCreatable(f)));
    result.fields = checkObject(creatable, own, '', 'create');
  } else {
    result.fields = checkObject(schema.fields, own, '', 'update');
  }
  return result;
}

/** An action's input subtype as a type, so its body is checked like a create. */
export function subtypeAsType(id: string): TypeDef {
  const sub = subtype(id);
  if (!sub) throw new Error(`schema error: unknown action input ${id}`);
  return {
    id,
    plural: id,
    fields: sub.fields,
    collectionMethods: [],
    resourceMethods: [],
    columns: [],
    authz: { apiGroup: '', resource: '' },
  };
}
