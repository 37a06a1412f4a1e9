import { api } from '../api/http';
import { TABLE_ACCEPT, tableRows, type Table, type TableColumn } from '../../../src/kube/table.js';
import { liveSocket, type WatchEvent, type WatchHandle, type WatchRequest } from './socket';
import type { LiveSource, LiveState } from './useLiveList';

export interface LiveSnapshot<T> {
  items: T[];
  state: LiveState;
  error?: Error;
  /** A table source's columns, as the API server defines them. */
  columns?: TableColumn[];
}

/** Kubernetes' recommended page size; a v3 page may be larger (the server caps it at 5000). */
const K8S_PAGE = 500;
/**
 * Table rows are a sixteenth of an object: after a first page of the usual size (first rows soon),
 * the rest comes in fewer, larger pages, each a round trip less through the proxy.
 */
const TABLE_PAGE = 5000;
const V3_PAGE = 1000;
/** How long an unused list is kept, so a page switch or a remount does not list again. */
const KEEP_UNUSED_MS = 5_000;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** While a first list is still paging, what has arrived is shown this often. */
const PROGRESS_MS = 300;
/** Events are published on the next frame, or after this when frames do not run (hidden tab). */
const PUBLISH_FALLBACK_MS = 250;

interface Listed<T> {
  items: T[];
  resourceVersion?: string;
  columns?: TableColumn[];
}

interface K8sObject {
  metadata?: { uid?: string; name?: string; namespace?: string };
}

/** The identity of an object in a list: Kubernetes uid, v3 id. */
export function objectKey(source: LiveSource, obj: unknown): string {
  if (source.kind === 'v3') return String((obj as { id?: string }).id);
  const m = (obj as K8sObject).metadata ?? {};
  // A table's listed rows carry no uid (includeObject=None), its watched rows do: one key for both.
  if (source.table) return `${m.namespace ?? ''}/${m.name ?? ''}`;
  return m.uid ?? `${m.namespace ?? ''}/${m.name ?? ''}`;
}

/** The namespace of a collection path (/api/v1/namespaces/<ns>/pods), if it names one. */
function pathNamespace(path: string): string | undefined {
  const m = /\/namespaces\/([^/]+)\/[^/]+$/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** Strip the origin from a link the server rendered, so it goes through the same client. */
function pathOf(link: string): string {
  const u = new URL(link, location.origin);
  return u.pathname + u.search;
}

/**
 * Lists every page of a source. `onPage` sees the items so far after each page but the last, so a
 * first load can show rows while later pages are still coming.
 */
export async function listSource<T>(
  source: LiveSource,
  signal: AbortSignal,
  onPage?: (itemsSoFar: T[], columns?: TableColumn[]) => void,
): Promise<Listed<T>> {
  const items: T[] = [];
  if (source.kind === 'v3') {
    const q = new URLSearchParams({ limit: String(V3_PAGE), ...source.filter });
    let next: string | undefined = `/v3/${source.type}s?${q}`;
    let revision: string | undefined;
    while (next) {
      const page: {
        data: T[];
        revision?: string | number;
        pagination?: { next?: string };
      } = await api('GET', next, undefined, { signal });
      items.push(...page.data);
      // The first page's revision is the oldest: watching from it replays anything later pages
      // already reflect, and replaying in order converges on the same state.
      if (revision === undefined && page.revision !== undefined) revision = String(page.revision);
      next = page.pagination?.next ? pathOf(page.pagination.next) : undefined;
      if (next) onPage?.(items);
    }
    return { items, resourceVersion: revision };
  }
  let cont = '';
  let rv: string | undefined;
  let columns: TableColumn[] | undefined;
  // One namespace's rows need only their cells (the namespace is known); across namespaces each
  // row brings its object's metadata to say which namespace it is in.
  const namespace = pathNamespace(source.path);
  do {
    const q = new URLSearchParams({ limit: String(source.table && cont ? TABLE_PAGE : K8S_PAGE) });
    if (cont) q.set('continue', cont);
    if (source.labelSelector) q.set('labelSelector', source.labelSelector);
    if (source.fieldSelector) q.set('fieldSelector', source.fieldSelector);
    if (source.table) q.set('includeObject', namespace ? 'None' : 'Metadata');
    const page: Table & { items?: T[] } = await api(
      'GET',
      `/k8s/clusters/${encodeURIComponent(source.cluster)}${source.path}?${q}`,
      undefined,
      { signal, ...(source.table && { headers: { accept: TABLE_ACCEPT } }) },
    );
    if (page.kind === 'Table') {
      columns ??= page.columnDefinitions ?? undefined;
      items.push(...(tableRows(page, namespace) as T[]));
    } else items.push(...(page.items ?? []));
    rv = page.metadata?.resourceVersion;
    cont = page.metadata?.continue ?? '';
    if (cont) onPage?.(items, columns);
  } while (cont);
  return { items, resourceVersion: rv, ...(columns && { columns }) };
}

function watchRequest(source: LiveSource, resourceVersion: string | undefined): WatchRequest {
  if (source.kind === 'v3')
    return { target: { kind: 'v3', type: source.type }, resourceVersion, filter: source.filter };
  return {
    target: {
      kind: 'k8s',
      cluster: source.cluster,
      path: source.path,
      ...(source.slim && { slim: true }),
      ...(source.table && { table: true }),
    },
    resourceVersion,
    labelSelector: source.labelSelector,
    fieldSelector: source.fieldSelector,
  };
}

/**
 * One source's objects: listed, then watched; shared by every component that asks for it and
 * dropped a while after the last one leaves.
 */
export class LiveList<T> {
  private map = new Map<string, T>();
  private snapshot: LiveSnapshot<T> = { items: [], state: 'loading' };
  private readonly listeners = new Set<() => void>();
  private refs = 0;
  /** Bumped by every (re-)list; answers and events of an older generation are ignored. */
  private generation = 0;
  private watchHandle: WatchHandle | null = null;
  private abort: AbortController | null = null;
  private frame: number | null = null;
  private fallback: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private disposeTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private dirty = false;

  constructor(
    private readonly source: LiveSource,
    private readonly onDispose: () => void,
  ) {
    this.scheduleDispose();
  }

  readonly getSnapshot = (): LiveSnapshot<T> => this.snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    this.refs++;
    if (this.disposeTimer) clearTimeout(this.disposeTimer);
    this.disposeTimer = null;
    if (!this.started) {
      this.started = true;
      void this.load('loading');
    }
    return () => {
      this.listeners.delete(listener);
      if (--this.refs === 0) this.scheduleDispose();
    };
  };

  private scheduleDispose(): void {
    this.disposeTimer = setTimeout(() => {
      if (this.refs === 0) this.dispose();
    }, KEEP_UNUSED_MS);
  }

  dispose(): void {
    this.generation++;
    this.stopWatch();
    this.abort?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.cancelPublish();
    this.onDispose();
  }

  private stopWatch(): void {
    this.watchHandle?.stop();
    this.watchHandle = null;
  }

  /** A new snapshot (a new object, for useSyncExternalStore); the error stays only while state is 'error'. */
  private emit(next: Partial<LiveSnapshot<T>>): void {
    const merged = { ...this.snapshot, ...next };
    if (merged.state !== 'error') delete merged.error;
    this.snapshot = merged;
    for (const l of this.listeners) l();
  }

  private async load(state: 'loading' | 'resyncing'): Promise<void> {
    const gen = ++this.generation;
    this.stopWatch();
    this.abort?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const abort = new AbortController();
    this.abort = abort;
    // After a failure the error stays shown until a list succeeds.
    if (this.snapshot.state !== state && this.snapshot.state !== 'error') this.emit({ state });
    let listed: Listed<T>;
    try {
      // A first load shows what has arrived (at most every PROGRESS_MS, each publish costs a
      // sort); a re-list keeps showing the previous, complete list until the new one is whole.
      let shown = 0;
      const progress =
        this.snapshot.items.length === 0
          ? (items: T[], columns?: TableColumn[]) => {
              if (gen !== this.generation || performance.now() - shown < PROGRESS_MS) return;
              shown = performance.now();
              this.emit({ items: items.slice(), ...(columns && { columns }) });
            }
          : undefined;
      listed = await listSource<T>(this.source, abort.signal, progress);
    } catch (err) {
      if (gen !== this.generation) return;
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (gen !== this.generation) return;
    this.retries = 0;
    const map = new Map<string, T>();
    for (const item of listed.items) map.set(objectKey(this.source, item), item);
    this.map = map;
    this.dirty = false;
    this.cancelPublish();
    this.watchHandle = liveSocket().watch(watchRequest(this.source, listed.resourceVersion), {
      events: (events) => gen === this.generation && this.apply(events),
      resync: () => gen === this.generation && void this.load('resyncing'),
      error: (e) => {
        if (gen !== this.generation) return;
        this.watchHandle = null;
        const err = Object.assign(new Error(e.message), { status: e.status, code: e.code });
        this.fail(err);
      },
      disconnected: () => gen === this.generation && this.emit({ state: 'resyncing' }),
    });
    this.emit({ items: Array.from(map.values()), state: 'live', ...(listed.columns && { columns: listed.columns }) });
  }

  /** Keep what is shown, say why it is not live, and list again after a backoff. */
  private fail(error: Error): void {
    this.emit({ state: 'error', error });
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.retries++);
    this.retryTimer = setTimeout(() => void this.load('loading'), delay * (0.5 + Math.random() / 2));
  }

  private apply(events: WatchEvent[]): void {
    for (const ev of events) {
      const key = objectKey(this.source, ev.object);
      if (ev.type === 'DELETED') this.map.delete(key);
      else this.map.set(key, ev.object as T);
    }
    if (events.length) this.schedulePublish();
  }

  // Events arrive in bursts (the server batches up to 500); rebuilding the array once per frame
  // bounds the work React and the table do, whatever the churn.
  private schedulePublish(): void {
    if (this.dirty) return;
    this.dirty = true;
    const run = () => {
      this.cancelPublish();
      this.dirty = false;
      this.emit({ items: Array.from(this.map.values()) });
    };
    if (typeof requestAnimationFrame === 'function') this.frame = requestAnimationFrame(run);
    this.fallback = setTimeout(run, PUBLISH_FALLBACK_MS);
  }

  private cancelPublish(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.fallback) clearTimeout(this.fallback);
    this.frame = null;
    this.fallback = null;
  }
}

const lists = new Map<string, LiveList<unknown>>();

export function acquireLiveList<T>(key: string, source: LiveSource): LiveList<T> {
  let list = lists.get(key);
  if (!list) {
    const created: LiveList<unknown> = new LiveList<unknown>(source, () => {
      if (lists.get(key) === created) lists.delete(key);
    });
    list = created;
    lists.set(key, list);
  }
  return list as LiveList<T>;
}

/** Forget every list (log-out; then closeLiveSocket, so the next user starts afresh). */
export function disposeAllLiveLists(): void {
  for (const list of [...lists.values()]) list.dispose();
  lists.clear();
}
