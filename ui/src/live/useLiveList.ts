import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import { acquireLiveList, type LiveSnapshot } from './store';

export type LiveSource =
  | { kind: 'v3'; type: string; filter?: Record<string, string> }
  | {
      kind: 'k8s';
      cluster: string;
      path: string;
      labelSelector?: string;
      fieldSelector?: string;
      /** For list views: watch events without managedFields (less to send and parse on every change). */
      slim?: boolean;
      /**
       * For list views of big kinds: the API server's printed rows (Kubernetes Table output) instead
       * of objects, listed and watched. Items are RowObjects; the snapshot carries the columns.
       */
      table?: boolean;
    };

export type LiveState = 'loading' | 'live' | 'resyncing' | 'error';

const NONE: LiveSnapshot<never> = { items: [], state: 'loading' };
const noop = () => () => {};

/** A stable key for a source: components asking for the same source share one list and one watch. */
export function sourceKey(source: LiveSource): string {
  if (source.kind === 'v3') {
    const filter = Object.entries(source.filter ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify(['v3', source.type, filter]);
  }
  return JSON.stringify([
    'k8s',
    source.cluster,
    source.path,
    source.labelSelector ?? '',
    source.fieldSelector ?? '',
    source.slim === true,
    source.table === true,
  ]);
}

/**
 * The objects of a v3 type or a Kubernetes collection, listed over HTTP and kept current by a watch
 * on the tab's socket. The array is replaced (at most once per animation frame) whenever anything
 * changed; unchanged objects keep their identity, so per-row memoization holds.
 */
export function useLiveList<T>(source: LiveSource | null): LiveSnapshot<T> {
  const key = source ? sourceKey(source) : null;
  // The key captures everything about the source; the object itself changes identity every render.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const list = useMemo(() => (source ? acquireLiveList<T>(key!, source) : null), [key]);
  const snapshot = useSyncExternalStore(
    list ? list.subscribe : noop,
    list ? list.getSnapshot : () => NONE as LiveSnapshot<T>,
  );
  return snapshot;
}

/**
 * Several live lists as one (a project member's namespaces, each listed on its own because
 * Kubernetes refuses them a list across the cluster). The combined snapshot is rebuilt only when
 * one of its parts changed, so React sees a stable value between changes.
 */
export function useLiveLists<T>(sources: LiveSource[]): LiveSnapshot<T> {
  const keys = JSON.stringify(sources.map(sourceKey));
  const lists = useMemo(
    () => sources.map((s) => acquireLiveList<T>(sourceKey(s), s)),
    // keys stands for sources.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [keys],
  );
  const subscribe = useCallback(
    (onChange: () => void) => {
      const unsubscribes = lists.map((l) => l.subscribe(onChange));
      return () => unsubscribes.forEach((u) => u());
    },
    [lists],
  );
  const cache = useRef<{ parts: LiveSnapshot<T>[]; combined: LiveSnapshot<T> }>(null);
  const getSnapshot = useCallback(() => {
    const parts = lists.map((l) => l.getSnapshot());
    const c = cache.current;
    if (c && c.parts.length === parts.length && c.parts.every((p, i) => p === parts[i])) return c.combined;
    const error = parts.find((p) => p.state === 'error')?.error;
    const state: LiveState = parts.some((p) => p.state === 'error')
      ? 'error'
      : parts.some((p) => p.state === 'loading')
        ? 'loading'
        : parts.some((p) => p.state === 'resyncing')
          ? 'resyncing'
          : 'live';
    // Every part lists the same kind, so any part's columns are the table's.
    const columns = parts.find((p) => p.columns)?.columns;
    const combined = {
      items: parts.flatMap((p) => p.items),
      state,
      ...(error ? { error } : {}),
      ...(columns ? { columns } : {}),
    };
    cache.current = { parts, combined };
    return combined;
  }, [lists]);
  return useSyncExternalStore(subscribe, getSnapshot);
}
