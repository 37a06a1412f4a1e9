/**
 * One declaration per v3 type. The collection handler, `/v3/schemas`, input validation, the CLI's
 * tables and the UI's forms are all derived from it.
 */

import { f, type RenderedOf, type Simplify } from './fields.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface FieldDef {
  /**
   * `string`, `int`, `boolean`, `date`, `password`, `json`, `enum` (with options),
   * `reference[<type>]`, `array[<field type>]`, `map[<field type>]`, or the id of a subtype.
   */
  type: string;
  description?: string;
  /** The form label, where the field name reads badly; not part of /v3/schemas. */
  label?: string;
  required?: boolean;
  default?: unknown;
  /** Settable on create (default true). */
  create?: boolean;
  /** Changeable on update (default true). */
  update?: boolean;
  nullable?: boolean;
  /** Accepted as input, never rendered (passwords). */
  writeOnly?: boolean;
  options?: readonly string[];
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Says what the pattern wants, for the error message. */
  patternHint?: string;
  /** A string that must be a Kubernetes resource quantity ("500m", "2Gi", "10"). */
  format?: 'quantity';
}

/**
 * Name fields (`name`, `username`, `displayName`, `clusterName`, …: any key ending in "name") take
 * no Unicode control (Cc: NUL, newline, escape) or format (Cf: bidi overrides such as U+202E,
 * zero-width characters) characters: they let one name pass for another in lists, logs and
 * RBAC subjects. Checked once here for every type, by the validator and the UI alike.
 */
export function isNameKey(key: string): boolean {
  return /name$/i.test(key);
}

const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;

/** The first control or format character in `value`, as `U+XXXX`, or undefined. */
export function controlCharacterIn(value: string): string | undefined {
  const m = CONTROL_OR_FORMAT.exec(value);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

export interface ActionDef {
  /** Subtype id of the input body. */
  input?: string;
  /** Type id of the output. */
  output?: string;
  /** The PolicyRule verb the action needs on the resource (default `update`). */
  verb?: string;
  description?: string;
}

export interface TypeDef {
  /** Singular, camelCase: `user`, `globalRoleBinding`. */
  id: string;
  /** Collection name under /v3: `users`, `globalRoleBindings`. */
  plural: string;
  /** Generated ids are `<idPrefix><5 random characters>`; without a prefix the id is the `name` field. */
  idPrefix?: string;
  fields: Record<string, FieldDef>;
  resourceActions?: Record<string, ActionDef>;
  collectionActions?: Record<string, ActionDef>;
  collectionMethods: Method[];
  resourceMethods: Method[];
  /** Columns for CLI and UI tables, in order. */
  columns: string[];
  /** What the authorizer checks, in Kubernetes PolicyRule terms. */
  authz: { apiGroup: string; resource: string };
  /**
   * `global` (default): the collection is `/v3/<plural>`. `cluster`: objects live in a cluster
   * and the collection is `/v3/clusters/<clusterId>/<plural>` (Rancher's path; also
   * `/v3/cluster/<clusterId>/<plural>`). `project`: `/v3/projects/<projectId>/<plural>`.
   */
  scope?: 'global' | 'cluster' | 'project';
  /**
   * `downstream`: Corral keeps none of these; each read asks the clusters (nodes, pods, workloads),
   * so there is nothing in the store to watch. Default `store`.
   */
  source?: 'store' | 'downstream';
}

export interface SubtypeDef {
  id: string;
  fields: Record<string, FieldDef>;
}

const subtypes = new Map<string, SubtypeDef>();

// Generic in the fields so that `SpecOf`/`ResourceOf` see each field's own type, builder-made or plain.
export function defineType<const F extends Record<string, FieldDef>>(
  def: Omit<TypeDef, 'fields'> & { fields: F },
): Omit<TypeDef, 'fields'> & { fields: F } {
  return def;
}

export function defineSubtype<const F extends Record<string, FieldDef>>(
  def: Omit<SubtypeDef, 'fields'> & { fields: F },
): Omit<SubtypeDef, 'fields'> & { fields: F } {
  // Two different shapes under one id would make one of them validate the other's input.
  const same = subtypes.get(def.id);
  if (same && Object.keys(same.fields).join() !== Object.keys(def.fields).join())
    throw new Error(`two subtypes are declared as "${def.id}": give one of them another id`);
  subtypes.set(def.id, def);
  return def;
}

export function subtype(id: string): SubtypeDef | undefined {
  return subtypes.get(id);
}

export function allSubtypes(): SubtypeDef[] {
  return [...subtypes.values()];
}

/** Fields every resource has, rendered by the server and ignored when clients send them back. */
const commonFields = {
  id: f.string({ readOnly: true }),
  type: f.string({ readOnly: true }),
  created: f.date({ readOnly: true }),
  createdTS: f.int({ readOnly: true }),
  creatorId: f.ref('user', { readOnly: true }),
  uuid: f.string({ readOnly: true }),
  state: f.string({ readOnly: true }),
  transitioning: f.enum(['yes', 'no', 'error'], { readOnly: true }),
  transitioningMessage: f.string({ readOnly: true }),
  labels: f.map(f.string()),
  annotations: f.map(f.string()),
  /** Optimistic concurrency: send it back on PUT and a stale one is refused with 409. */
  resourceVersion: f.string({ create: false }),
};
export const COMMON_FIELDS: Record<string, FieldDef> = commonFields;

/** A resource as the server renders it: the common fields, links and actions, and the type's fields. */
export type ResourceOf<T extends { fields: Record<string, FieldDef> }> = Simplify<
  RenderedOf<typeof commonFields> & { links: Record<string, string>; actions: Record<string, string> } & RenderedOf<
      T['fields']
    >
>;

/** Keys a client may send back from a rendered resource that are not fields at all. */
export const RENDER_ONLY_KEYS = new Set(['links', 'actions', 'baseType', 'removed']);

/** Served at `/v3/<plural>` (not under a cluster or project). */
export const isTopLevel = (t: TypeDef) => (t.scope ?? 'global') === 'global';
/** Types whose objects live in Corral's store (and so can be watched there). */
export const isStored = (t: TypeDef) => (t.source ?? 'store') === 'store';

export const fieldCreatable = (f: FieldDef) => f.create !== false;
export const fieldUpdatable = (f: FieldDef) => f.update !== false;
/** Server-owned: neither created nor updated by clients. */
export const fieldReadOnly = (f: FieldDef) => f.create === false && f.update === false;
