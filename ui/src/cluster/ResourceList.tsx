import { useEffect, useMemo, useState } from 'react';
import { DataTable } from '../components/DataTable';
import { useLiveList } from '../live/useLiveList';
import { keyOf, type KubeObject } from './k8s';
import { collectionPath, type KindDef } from './kinds';
import { LiveStatus } from './LiveStatus';

/** The live table of one kind, in one namespace or all of them. */
export function ResourceList(props: { clusterId: string; kind: KindDef; namespace: string; search: string }) {
  const { clusterId, kind, namespace, search } = props;
  const path = collectionPath(kind, namespace || undefined);
  // The table needs no managedFields in its watch events; the object page watches its object whole.
  const { items, state, error } = useLiveList<KubeObject>({ kind: 'k8s', cluster: clusterId, path, slim: true });
  useMinuteTick();
  const columns = useMemo(
    () => kind.columns({ clusterId, showNamespace: kind.namespaced && !namespace, search }),
    [kind, clusterId, namespace, search],
  );
  const where = kind.namespaced ? (namespace ? ` in ${namespace}` : ' in all namespaces') : '';
  // A project member may read their namespaces but not list across the cluster.
  const forbidden = state === 'error' && (error as { status?: number } | undefined)?.status === 403;
  return (
    <section className="resource-list" aria-labelledby="resource-list-title">
      <div className="section-head">
        <h2 id="resource-list-title">
          {kind.label}
          <span className="muted">{where}</span>
        </h2>
        <LiveStatus state={state} error={error} />
      </div>
      {forbidden && kind.namespaced && !namespace && (
        <p className="alert alert-warn">
          You may not list {kind.label.toLowerCase()} in every namespace: choose one above.
        </p>
      )}
      <DataTable
        rows={items}
        columns={columns}
        rowKey={keyOf}
        label={kind.label}
        initialSort={kind.initialSort ?? { id: 'name' }}
        emptyText={
          state === 'loading'
            ? 'Loading…'
            : state === 'error'
              ? `Could not list ${kind.label.toLowerCase()}${where}.`
              : `No ${kind.label.toLowerCase()}${where}.`
        }
      />
    </section>
  );
}

/** Re-renders every half minute so ages stay true; only the visible rows redraw. */
function useMinuteTick(): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
}
