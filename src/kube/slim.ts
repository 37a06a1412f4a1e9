/**
 * List views need a few fields of each object, not its `managedFields` (server-side apply's
 * bookkeeping, often half of a pod's JSON). The web UI asks for lists and watches without them;
 * the object page and the YAML editor read whole objects.
 */
export const SLIM_HEADER = 'x-corral-slim';

/** Drops the bulk list views never show from one object, in place. */
export function slimObject(obj: unknown): void {
  const metadata = (obj as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  if (metadata && typeof metadata === 'object') delete metadata.managedFields;
}

/** A list (or one object) as JSON text, without its objects' bulk. */
export function slimJson(text: string): string {
  const value = JSON.parse(text) as { items?: unknown[] };
  if (Array.isArray(value.items)) for (const item of value.items) slimObject(item);
  else slimObject(value);
  return JSON.stringify(value);
}
