/**
 * Whether a newer version of an object conflicts with an edit made on an older one. Controllers
 * rewrite status (and with it resourceVersion) all the time — a Deployment's rollout does so
 * several times a second — so comparing resourceVersions alone would refuse almost every edit of
 * a busy object. What a user edits is everything but status and the server's bookkeeping; only a
 * change there by someone else is a conflict the user must decide about.
 */
import type { KubeObject } from './k8s';

/** Metadata the API server keeps for itself; nobody edits it, so it never makes a conflict. */
const SERVER_METADATA = ['resourceVersion', 'managedFields', 'generation'] as const;

/** The part of an object a user can change, in a canonical form (keys sorted) for comparison. */
export function editablePart(obj: KubeObject): string {
  // apiVersion and kind are left out too: list items carry neither, watch events both, and
  // neither can change by an edit of the same object.
  const { status: _status, apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = obj;
  const meta: Record<string, unknown> = { ...metadata };
  for (const key of SERVER_METADATA) delete meta[key];
  return canonicalJson({ ...rest, metadata: meta });
}

/** True when `current` differs from `base` only in status or server bookkeeping. */
export function changedOnlyByServer(base: KubeObject, current: KubeObject): boolean {
  return editablePart(base) === editablePart(current);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
