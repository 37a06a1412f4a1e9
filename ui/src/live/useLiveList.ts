import { useMemo, useSyncExternalStore } from 'react';
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
  ]);
}

/**
 * The objects of a v3 type or a Kubernetes collection, listed over HTTP and kept current by a watch
 * on the tab's socket. The array is replaced (at most once per animation frame) whenever anything
 * changed; unchanged objects keep their identity, so per-row memoization holds.
 */
export function useLiveList<T>(source: LiveSource | null): { items: T[]; state: LiveState; error?: Error } {
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
