import { useMemo } from 'react';
import { DataTable } from '../components/DataTable';
import { useLiveLists, type LiveSource } from '../live/useLiveList';
import { keyOf, type KubeObject } from './k8s';
import { collectionPath, CREATABLE_FROM_YAML, serverTableColumns, WORKLOAD_TYPES, type KindDef } from './kinds';
import { LiveStatus } from './LiveStatus';
import { useCan } from './useCan';
import { Link } from '../app/router';

/** Rows listed carry no uid, rows watched do: one key for both. */
const rowKeyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The live table of one kind, in one namespace or all of them. "All namespaces" means all the
 * user may see: who may not list the kind across the cluster (a project member) gets one list per
 * namespace of theirs, merged, instead of Kubernetes' refusal.
 */
export function ResourceList(props: {
  clusterId: string;
  kind: KindDef;
  namespace: string;
  search: string;
  /** The namespaces the user may see (Corral's view: a project member's are their projects'). */
  namespaces: string[];
}) {
  const { clusterId, kind, namespace, search } = props;
  // The table needs no managedFields in its watch events, and big kinds need only the API server's
  // printed rows; the object page watches its object whole.
  const view = kind.serverTable ? { table: true } : { slim: true };
  const allNamespaces = kind.namespaced && !namespace;
  const mayListAll = useCan(clusterId, { verb: 'list', group: kind.apiGroup, resource: kind.resource });
  const perNamespace = allNamespaces && mayListAll === false;
  const nsKey = props.namespaces.join(',');
  const sources = useMemo<LiveSource[]>(
    () =>
      mayListAll === undefined && allNamespaces
        ? []
        : perNamespace
          ? nsKey
              .split(',')
              .filter(Boolean)
              .map((ns) => ({ kind: 'k8s', cluster: clusterId, path: collectionPath(kind, ns), ...view }))
          : [{ kind: 'k8s', cluster: clusterId, path: collectionPath(kind, namespace || undefined), ...view }],
    // view follows from kind.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [clusterId, kind, namespace, nsKey, perNamespace, allNamespaces, mayListAll],
  );
  const live = useLiveLists<KubeObject>(sources);
  const asking = mayListAll === undefined && allNamespaces;
  const state = asking ? 'loading' : live.state;
  const serverColumns = live.columns;
  const columns = useMemo(() => {
    const ctx = { clusterId, showNamespace: allNamespaces, search };
    return kind.serverTable ? serverTableColumns(kind, ctx, serverColumns ?? []) : kind.columns(ctx);
  }, [kind, clusterId, allNamespaces, search, serverColumns]);
  const where = kind.namespaced
    ? namespace
      ? ` in ${namespace}`
      : perNamespace
        ? ' in your namespaces'
        : ' in all namespaces'
    : '';
  const status = (live.error as { status?: number } | undefined)?.status;
  const forbidden = state === 'error' && status === 403;
  const what = kind.label.toLowerCase();
  return (
    <section className="resource-list" aria-labelledby="resource-list-title">
      <div className="section-head">
        <h2 id="resource-list-title">
          {kind.label}
          <span className="muted">{where}</span>
        </h2>
        {CREATABLE_FROM_YAML.has(kind.id) && (
          <Link className="btn btn-primary" to={`/c/${encodeURIComponent(clusterId)}/${kind.id}/_new${search}`}>
            Create {kind.singular}
          </Link>
        )}
        {WORKLOAD_TYPES[kind.id] && (
          <Link className="btn btn-primary" to={`/c/${encodeURIComponent(clusterId)}/${kind.id}/_new${search}`}>
            Deploy {kind.singular}
          </Link>
        )}
        {/* A refusal is explained below in plain words, not as Kubernetes' RBAC message. */}
        <LiveStatus state={state} error={forbidden ? undefined : live.error} />
      </div>
      {perNamespace && (
        <p className="alert alert-info" role="note">
          Your roles do not cover {what} across the whole cluster, so this lists the namespaces of your projects (
          {props.namespaces.length}).
        </p>
      )}
      {forbidden && (
        <p className="alert alert-warn" role="alert">
          Your roles in this cluster do not let you see {what}
          {namespace ? ` in namespace ${namespace}` : ''}. A cluster or project owner can give you access.
        </p>
      )}
      <DataTable
        rows={live.items}
        columns={columns}
        rowKey={kind.serverTable ? rowKeyOf : keyOf}
        label={kind.label}
        initialSort={kind.initialSort ?? { id: 'name' }}
        emptyText={
          state === 'loading'
            ? 'Loading…'
            : forbidden
              ? `Not permitted.`
              : state === 'error'
                ? `Could not list ${what}${where}.`
                : `No ${what}${where}.`
        }
      />
    </section>
  );
}
