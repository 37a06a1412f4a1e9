/**
 * list() paging shared by the backends: the opaque continue token, and the rule that a page holds
 * `limit` matching objects (in id order) and has a continue token only when another match follows.
 */
import { matchesLabels, parseLabelSelector } from './label-selector.js';
import { StoreError, type ListOptions, type StoredObject } from './types.js';

export interface ContinueToken {
  /** The id of the last object returned; the next page starts after it. */
  after: string;
  /** The revision the first page was read at (etcd reads every page at it). */
  revision?: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    token = undefined;
  }
  const t = token as Partial<ContinueToken> | undefined;
  if (
    typeof t !== 'object' ||
    t === null ||
    typeof t.after !== 'string' ||
    (t.revision !== undefined && (typeof t.revision !== 'string' || !/^\d+$/.test(t.revision)))
  ) {
    throw new StoreError('Invalid', 'the continue token is malformed: pass the one from the previous page unchanged');
  }
  return { after: t.after, ...(t.revision !== undefined && { revision: t.revision }) };
}

/** The parts of ListOptions the backends need, validated. */
export interface ListQuery {
  filter: (object: StoredObject) => boolean;
  /** 0 for everything. */
  limit: number;
  continueFrom?: ContinueToken;
  namespace?: string;
  /**
   * A label every matching object has (the selector's first `key=value`), so a backend with a
   * label index reads only those objects; `filter` still decides.
   */
  label?: { key: string; value: string };
}

/** The first `key=value` requirement of a selector. */
function selectorLabel(selector: ReturnType<typeof parseLabelSelector>): { key: string; value: string } | undefined {
  for (const r of selector) {
    if (r.op !== 'in' || r.values.size !== 1) continue;
    const [value] = r.values;
    return { key: r.key, value: value! };
  }
  return undefined;
}

export function parseListOptions(options: ListOptions = {}): ListQuery {
  const limit = options.limit ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new StoreError('Invalid', `limit must be a non-negative integer, got ${String(options.limit)}`);
  }
  const selector = options.labelSelector ? parseLabelSelector(options.labelSelector) : [];
  return {
    filter: (o) => matchesLabels(selector, o.metadata.labels ?? {}),
    limit,
    ...(selectorLabel(selector) !== undefined && { label: selectorLabel(selector) }),
    ...(options.continue && { continueFrom: decodeContinue(options.continue) }),
    ...(options.namespace !== undefined && { namespace: options.namespace }),
  };
}

/**
 * Takes objects in id order until the page is full. It looks one match beyond the page, so that
 * `continue` is given only when more items follow (no empty last page).
 */
export class PageCollector {
  readonly items: StoredObject[] = [];
  private more = false;

  constructor(private readonly query: ListQuery) {}

  /** Offers the next object; returns true when the page is complete and no more are needed. */
  offer(object: StoredObject): boolean {
    if (!this.query.filter(object)) return false;
    if (this.query.limit > 0 && this.items.length === this.query.limit) {
      this.more = true;
      return true;
    }
    this.items.push(object);
    return false;
  }

  /** The continue token for the next page, if one follows. */
  continueToken(revision?: string): string | undefined {
    const last = this.items[this.items.length - 1];
    if (!this.more || !last) return undefined;
    return encodeContinue({ after: last.id, ...(revision !== undefined && { revision }) });
  }
}
