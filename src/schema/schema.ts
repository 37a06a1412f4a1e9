/**
 * One declaration per v3 type. The collection handler, `/v3/schemas`, input validation, the CLI's
 * tables and the UI's forms are all derived from it.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface FieldDef {
  /**
   * `string`, `int`, `boolean`, `date`, `password`, `json`, `enum` (with options),
   * `reference[<type>]`, `array[<field type>]`, `map[<field type>]`, or the id of a subtype.
   */
  type: string;
  description?: string;
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
}

export interface SubtypeDef {
  id: string;
  fields: Record<string, FieldDef>;
}

const subtypes = new Map<string, SubtypeDef>();

export function defineType(def: TypeDef): TypeDef {
  return def;
}

export function defineSubtype(def: SubtypeDef): SubtypeDef {
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
export const COMMON_FIELDS: Record<string, FieldDef> = {
  id: { type: 'string', create: false, update: false },
  type: { type: 'string', create: false, update: false },
  created: { type: 'date', create: false, update: false },
  createdTS: { type: 'int', create: false, update: false },
  creatorId: { type: 'reference[user]', create: false, update: false },
  uuid: { type: 'string', create: false, update: false },
  state: { type: 'string', create: false, update: false },
  transitioning: { type: 'enum', options: ['yes', 'no', 'error'], create: false, update: false },
  transitioningMessage: { type: 'string', create: false, update: false },
  labels: { type: 'map[string]' },
  annotations: { type: 'map[string]' },
  /** Optimistic concurrency: send it back on PUT and a stale one is refused with 409. */
  resourceVersion: { type: 'string', create: false },
};

/** Keys a client may send back from a rendered resource that are not fields at all. */
export const RENDER_ONLY_KEYS = new Set(['links', 'actions', 'baseType', 'removed']);

export const fieldCreatable = (f: FieldDef) => f.create !== false;
export const fieldUpdatable = (f: FieldDef) => f.update !== false;
/** Server-owned: neither created nor updated by clients. */
export const fieldReadOnly = (f: FieldDef) => f.create === false && f.update === false;
