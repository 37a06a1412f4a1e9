/**
 * List views need a few fields of each object, not its `managedFields` (server-side apply's
 * bookkeeping, often half of a pod's JSON). The web UI asks for lists and watches without them;
 * the object page and the YAML editor read whole objects.
 */
export const SLIM_HEADER = 'x-corral-slim';

/** Drops the bulk list views never show from one parsed object, in place. */
export function slimObject(obj: unknown): void {
  const metadata = (obj as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  if (metadata && typeof metadata === 'object') delete metadata.managedFields;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const M = 0x6d;
const OPEN_LIST = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_LIST = 0x5d;
const CLOSE_OBJECT = 0x7d;
// Kubernetes' managedFields is a list of entries (objects); a member of the same name holding
// anything else (a ConfigMap key, a custom resource's own field) is left alone.
const KEY = Buffer.from('"managedFields":[{"');
const VALUE_OFFSET = '"managedFields":'.length;

/**
 * JSON text (a list or one object, as the API server writes it) without any `managedFields`
 * member. One pass over the bytes, not JSON.parse and stringify, which cost about eight times the
 * CPU on a 500-pod page and hold it all as objects. The pass tracks strings (a backslash escapes
 * the next byte, a quote ends the string), so text inside a value is never taken for the key; the
 * member's value is skipped by counting brackets outside strings. Text it cannot make sense of is
 * returned as it came.
 */
export function slimJson(body: Buffer): Buffer {
  const kept: Buffer[] = [];
  let from = 0;
  const n = body.length;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c !== QUOTE) continue;
    // The first two bytes decide most keys before the (native, so costlier) compare.
    if (body[i - 1] === COMMA && body[i + 1] === M && body.compare(KEY, 0, KEY.length, i, i + KEY.length) === 0) {
      const end = endOfValue(body, i + VALUE_OFFSET);
      if (end < 0) return body;
      // Drop `,"managedFields":<value>`: the comma before it keeps the rest well-formed.
      kept.push(body.subarray(from, i - 1));
      from = end;
      i = end - 1;
      continue;
    }
    inString = true;
  }
  if (from === 0) return body;
  kept.push(body.subarray(from));
  return Buffer.concat(kept);
}

/** The index just after the list or object that starts at `start`, or -1 if it does not end. */
function endOfValue(body: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_LIST || c === OPEN_OBJECT) depth++;
    else if ((c === CLOSE_LIST || c === CLOSE_OBJECT) && --depth === 0) return i + 1;
  }
  return -1;
}
