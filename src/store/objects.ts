/**
 * The object semantics every backend shares: how create() fills an object in, what update() and
 * delete() may change, and when a finalizer makes a delete wait. Backends only decide how to
 * store the result atomically, so both behave identically.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { labelKeyProblem, labelValueProblem } from './label-selector.js';
import { StoreError, type NewObject, type ObjectMeta, type StoredObject } from './types.js';

const TYPE_RE = /^[A-Za-z][A-Za-z0-9]*$/;
// Names end up in etcd keys (`<prefix>/<type>/<id>`) and in URLs: no separators, no whitespace.
const NAME_RE = /^[^\s/:]+$/;
const NAME_MAX = 253;
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function invalid(message: string): never {
  throw new StoreError('Invalid', message);
}

export function checkType(type: string): void {
  if (typeof type !== 'string' || !TYPE_RE.test(type)) {
    invalid(`type "${String(type)}" must start with a letter and contain only letters and digits`);
  }
}

export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > NAME_MAX) {
    invalid(`${what} "${String(name)}" must be 1-${NAME_MAX} characters without whitespace, "/" or ":"`);
  }
  return name;
}

/** Splits `<namespace>:<name>` (or a plain name) into its parts, validating both. */
export function parseId(id: string): { namespace?: string; name: string } {
  if (typeof id !== 'string') invalid(`id must be a string, got ${typeof id}`);
  const colon = id.indexOf(':');
  if (colon < 0) return { name: checkName('id', id) };
  return {
    namespace: checkName('namespace of id', id.slice(0, colon)),
    name: checkName('name of id', id.slice(colon + 1)),
  };
}

export function makeId(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}:${name}`;
}

function checkStringMap(what: string, map: unknown, keyProblem?: (k: string) => string | undefined) {
  if (map === undefined) return {};
  if (typeof map !== 'object' || map === null || Array.isArray(map)) invalid(`metadata.${what} must be an object`);
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') invalid(`metadata.${what}["${k}"] must be a string, got ${typeof v}`);
    const problem = keyProblem?.(k);
    if (problem) invalid(`metadata.${what}: ${problem}`);
  }
  return { ...(map as Record<string, string>) };
}

function checkLabels(labels: unknown): Record<string, string> {
  const checked = checkStringMap('labels', labels, labelKeyProblem);
  for (const v of Object.values(checked)) {
    const problem = labelValueProblem(v);
    if (problem) invalid(`metadata.labels: ${problem}`);
  }
  return checked;
}

function checkFinalizers(finalizers: unknown): string[] {
  if (finalizers === undefined) return [];
  if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string' || f === '')) {
    invalid('metadata.finalizers must be a list of non-empty strings');
  }
  return [...(finalizers as string[])];
}

function checkBody(what: string, value: unknown, optional: boolean): Record<string, unknown> {
  if (value === undefined && optional) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** Whether create() should try again with a new random name when the id is taken. */
export function usesGenerateName(input: NewObject): boolean {
  return !input.metadata.name && !input.id && !!input.metadata.generateName;
}

/**
 * Builds the object create() stores from its input: the id and name (from `id`, `metadata.name`,
 * or `generateName` plus 5 random characters), a fresh uid and creationTimestamp, and empty
 * labels, annotations and finalizers where absent. resourceVersion is left for the backend.
 */
export function prepareCreate(input: NewObject, now = new Date()): StoredObject {
  checkType(input.type);
  const meta = input.metadata as Partial<ObjectMeta> | undefined;
  if (typeof meta !== 'object' || meta === null) invalid('metadata must be an object');
  let namespace = meta.namespace;
  let name = meta.name;
  if (input.id !== undefined) {
    const parsed = parseId(input.id);
    if (name !== undefined && name !== parsed.name) {
      invalid(`metadata.name "${name}" does not match id "${input.id}": give one or make them agree`);
    }
    if (namespace !== undefined && namespace !== parsed.namespace) {
      invalid(`metadata.namespace "${namespace}" does not match id "${input.id}": give one or make them agree`);
    }
    ({ namespace, name } = parsed);
  } else if (!name) {
    if (!meta.generateName) invalid('an object needs an id, metadata.name or metadata.generateName');
    name = checkName('metadata.generateName', meta.generateName) + randomSuffix();
  }
  checkName('metadata.name', name);
  if (namespace !== undefined) checkName('metadata.namespace', namespace);
  const metadata: ObjectMeta = {
    name,
    ...(namespace !== undefined && { namespace }),
    ...(meta.generateName && { generateName: meta.generateName }),
    labels: checkLabels(meta.labels),
    annotations: checkStringMap('annotations', meta.annotations),
    resourceVersion: '',
    uid: randomUUID(),
    creationTimestamp: now.toISOString(),
    finalizers: checkFinalizers(meta.finalizers),
  };
  return {
    type: input.type,
    id: makeId(namespace, name),
    metadata,
    spec: checkBody('spec', input.spec, false),
    status: checkBody('status', input.status, true),
  };
}

export type UpdatePlan =
  | { action: 'none'; object: StoredObject }
  | { action: 'write'; object: StoredObject }
  | { action: 'delete'; object: StoredObject };

/**
 * What an update of `current` (already checked to be at the caller's resourceVersion) to `next`
 * does: nothing when nothing changes, a write, or a delete when it removes the last finalizer of
 * an object being deleted. The returned object carries current's resourceVersion; the backend
 * sets the new one.
 */
export function planUpdate(current: StoredObject, next: StoredObject): UpdatePlan {
  const meta = next.metadata as Partial<ObjectMeta> | undefined;
  if (typeof meta !== 'object' || meta === null) invalid('metadata must be an object');
  const cur = current.metadata;
  const where = `${current.type} "${current.id}"`;
  if (meta.name !== cur.name || (meta.namespace ?? undefined) !== cur.namespace) {
    invalid(`metadata.name and metadata.namespace of ${where} cannot change (they make up its id)`);
  }
  if (meta.uid !== cur.uid) invalid(`metadata.uid of ${where} is immutable: it is ${cur.uid}`);
  if (meta.creationTimestamp !== cur.creationTimestamp) {
    invalid(`metadata.creationTimestamp of ${where} is immutable: it is ${cur.creationTimestamp}`);
  }
  const finalizers = checkFinalizers(meta.finalizers);
  if (cur.deletionTimestamp) {
    const added = finalizers.filter((f) => !cur.finalizers.includes(f));
    if (added.length > 0) {
      invalid(`${where} is being deleted: finalizers cannot be added to it (${added.join(', ')})`);
    }
  }
  const metadata: ObjectMeta = {
    name: cur.name,
    ...(cur.namespace !== undefined && { namespace: cur.namespace }),
    ...(cur.generateName && { generateName: cur.generateName }),
    labels: checkLabels(meta.labels),
    annotations: checkStringMap('annotations', meta.annotations),
    resourceVersion: cur.resourceVersion,
    uid: cur.uid,
    creationTimestamp: cur.creationTimestamp,
    // Set only by delete(), like Kubernetes: an update can neither set nor clear it.
    ...(cur.deletionTimestamp && { deletionTimestamp: cur.deletionTimestamp }),
    finalizers,
  };
  const object: StoredObject = {
    type: current.type,
    id: current.id,
    metadata,
    spec: checkBody('spec', next.spec, false),
    status: checkBody('status', next.status, true),
  };
  if (cur.deletionTimestamp && finalizers.length === 0) return { action: 'delete', object };
  // An update that changes nothing writes nothing, so that controllers which write what they read
  // do not wake themselves (and every watcher) up forever.
  if (canonicalJson(object) === canonicalJson(current)) return { action: 'none', object: current };
  return { action: 'write', object };
}

export type DeletePlan = { action: 'none' | 'write' | 'delete'; object: StoredObject };

/** delete(): at once without finalizers; otherwise mark it (once) and let the finalizers finish. */
export function planDelete(current: StoredObject, now = new Date()): DeletePlan {
  if (current.metadata.finalizers.length === 0) return { action: 'delete', object: current };
  if (current.metadata.deletionTimestamp) return { action: 'none', object: current };
  const object = { ...current, metadata: { ...current.metadata, deletionTimestamp: now.toISOString() } };
  return { action: 'write', object };
}

/** The stored form: JSON without resourceVersion, which is the backend's revision of the row. */
export function encodeObject(object: StoredObject): string {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

export function decodeObject(json: string, resourceVersion: string): StoredObject {
  const object = JSON.parse(json) as StoredObject;
  object.metadata.resourceVersion = resourceVersion;
  return object;
}

export function withResourceVersion(object: StoredObject, resourceVersion: string): StoredObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

/** JSON with sorted keys, to compare objects regardless of property order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Parses a resourceVersion given by a caller; rejects anything that is not a revision. */
export function parseRevision(resourceVersion: string, what = 'resourceVersion'): bigint {
  if (typeof resourceVersion !== 'string' || !/^\d{1,19}$/.test(resourceVersion)) {
    invalid(`${what} "${String(resourceVersion)}" is not a revision: use the value from a previous read`);
  }
  return BigInt(resourceVersion);
}

export function notFound(type: string, id: string): StoreError {
  return new StoreError('NotFound', `${type} "${id}" not found`);
}

export function alreadyExists(type: string, id: string): StoreError {
  return new StoreError('AlreadyExists', `${type} "${id}" already exists`);
}

export function conflict(type: string, id: string, given: string, current: string): StoreError {
  return new StoreError(
    'Conflict',
    `${type} "${id}" has changed: resourceVersion ${given} is stale (it is now ${current}); ` +
      `read it again and reapply the change`,
  );
}

export const closedError = (): StoreError => new StoreError('Unavailable', 'the store is closed');
