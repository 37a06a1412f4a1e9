/**
 * List views need a few fields of each object, not its `managedFields` (server-side apply's
 * bookkeeping, often half of a pod's JSON). The web UI's tables watch without them; the object
 * page and the YAML editor get whole objects.
 */

/** Drops the bulk list views never show from one parsed object, in place. */
export function slimObject(obj: unknown): void {
  const metadata = (obj as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  if (metadata && typeof metadata === 'object') delete metadata.managedFields;
}
