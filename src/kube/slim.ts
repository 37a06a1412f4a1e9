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
const KEY = Buffer.from('"managedFields":');
// Kubernetes' managedFields is a list of entries (objects); a field of the same name holding
// anything else (a ConfigMap key, a custom resource's own field) is left alone.
const ENTRIES = Buffer.from('[{"');

/**
 * JSON text (a list or one object, as the API server writes it) without any `managedFields`
 * member. A scan, not JSON.parse and stringify, which cost about twice the CPU and hold the
 * whole page as objects. The scan keeps track of strings (a quote ends one unless escaped), so
 * text inside a value is never taken for the key; the member's value is skipped by counting
 * brackets outside strings. Anything it cannot make sense of is returned as it came.
 */
export function slimJson(body: Buffer): Buffer {
  const kept: Buffer[] = [];
  let from = 0;
  let i = 0;
  const n = body.length;
  while (i < n) {
    const q = body.indexOf(QUOTE, i);
    if (q < 0) break;
    if (
      body[q - 1] === COMMA &&
      body.compare(KEY, 0, KEY.length, q, q + KEY.length) === 0 &&
      body.compare(ENTRIES, 0, ENTRIES.length, q + KEY.length, q + KEY.length + ENTRIES.length) === 0
    ) {
      const end = skipValue(body, q + KEY.length);
      if (end < 0) return body;
      // Drop `,"managedFields":<value>` (the comma before it keeps the rest well-formed).
      kept.push(body.subarray(from, q - 1));
      from = end;
      i = end;
      continue;
    }
    const close = endOfString(body, q);
    if (close < 0) return body;
    i = close + 1;
  }
  if (from === 0) return body;
  kept.push(body.subarray(from));
  return Buffer.concat(kept);
}

/** The index of the quote that closes the string opened at `open`, or -1. */
function endOfString(body: Buffer, open: number): number {
  let i = open + 1;
  for (;;) {
    const q = body.indexOf(QUOTE, i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let j = q - 1; body[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

/** The index just after the JSON array or object starting at `start`, or -1. */
function skipValue(body: Buffer, start: number): number {
  const first = body[start];
  if (first !== 0x5b && first !== 0x7b) return -1;
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (c === QUOTE) {
      i = endOfString(body, i);
      if (i < 0) return -1;
    } else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
