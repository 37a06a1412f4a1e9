/**
 * Three-way conflict detection for the YAML editor, as a merge tool does it: the object as it was
 * when editing started (base), as the user left it (edited), and as the cluster has it now
 * (current). Controllers rewrite status and add annotations all the time, and other people change
 * other fields; neither is a reason to refuse an edit, and neither may be lost. A conflict is a
 * field both the user and someone else changed since base: that one the user must decide about.
 */
import type { KubeObject } from './k8s';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Metadata the API server keeps for itself; nobody edits it, so it never makes a conflict. */
const SERVER_METADATA = ['resourceVersion', 'managedFields', 'generation'] as const;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The part of an object a user can change: without status and the server's bookkeeping, and
 * without apiVersion and kind (list items carry neither, watch events both, and an edit of the
 * same object cannot change them).
 */
export function editablePart(obj: KubeObject): JsonObject {
  const { status: _status, apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = obj;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of SERVER_METADATA) delete meta[key];
  return JSON.parse(JSON.stringify({ ...rest, metadata: meta })) as JsonObject;
}

const same = (a: Json | undefined, b: Json | undefined): boolean => {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return JSON.stringify(a) === JSON.stringify(b);
};

/**
 * Where two values differ, as paths. Objects are compared key by key; a list is one value (a
 * merge patch replaces lists whole, so two changes anywhere in one list are two changes of it).
 */
export function changedPaths(from: Json | undefined, to: Json | undefined, at: string[] = []): string[][] {
  if (isObject(from) && isObject(to)) {
    const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
    return [...keys].sort().flatMap((k) => changedPaths(from[k], to[k], [...at, k]));
  }
  return same(from, to) ? [] : [at];
}

/** RFC 7386 JSON merge patch turning `from` into `to` (null deletes a key). */
export function mergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const a = from[key];
    const b = to[key];
    if (!(key in to)) patch[key] = null;
    else if (isObject(a) && isObject(b)) {
      const inner = mergePatch(a, b);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (!same(a, b)) patch[key] = b as Json;
  }
  return patch;
}

const prefixOf = (a: string[], b: string[]) => a.length <= b.length && a.every((k, i) => b[i] === k);

/** Fields changed both by the user (base → edited) and in the cluster (base → current), dotted. */
export function conflictingFields(base: KubeObject, edited: KubeObject, current: KubeObject): string[] {
  const mine = changedPaths(editablePart(base), editablePart(edited));
  const theirs = changedPaths(editablePart(base), editablePart(current));
  return mine.filter((m) => theirs.some((t) => prefixOf(m, t) || prefixOf(t, m))).map((p) => p.join('.'));
}

/** The user's edit as a merge patch, ignoring what users cannot change (status, bookkeeping). */
export function userPatch(base: KubeObject, edited: KubeObject): JsonObject {
  return mergePatch(editablePart(base), editablePart(edited));
}
