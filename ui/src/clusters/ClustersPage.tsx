import { Age } from '../components/Age';
import { useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { Cluster, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { Link } from '../app/router';
import { Button } from '../components/Button';
import { DataTable, type Column } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { clusterReason, kubernetesVersion, usedFraction } from './clusterStatus';
import { ImportClusterDialog } from './ImportClusterDialog';
import { KubeconfigButton } from './KubeconfigButton';
import { RegisterClusterDialog } from './RegisterClusterDialog';
import { ClusterUseMeter } from './usage';

export function ClustersPage() {
  const { items: clusters, state, error } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  // Live lists carry objects, not the collection's createTypes: ask the collection once.
  const collection = useApi<V3Collection<Cluster>>('/v3/clusters?limit=1');
  const mayCreate = !!collection.data?.createTypes?.cluster;
  const [dialog, setDialog] = useState<'import' | 'register' | null>(null);
  const [deleting, setDeleting] = useState<Cluster | null>(null);

  const columns = useMemo<Column<Cluster>[]>(
    () => [
      {
        id: 'name',
        header: 'Name',
        // The rest of the width: every other column is sized for what it holds, so at 1024 px
        // the State and the Actions stay whole and a long name is cut (its tooltip has it).
        cell: (c) => (
          <Link to={`/c/${c.id}`} aria-label={`Open cluster ${c.name}`}>
            {c.name}
          </Link>
        ),
        sortValue: (c) => c.name,
        filterValue: (c) => `${c.name} ${c.id}`,
      },
      {
        id: 'state',
        header: 'State',
        width: '118px',
        // The reason a cluster is not active sits beside its state, in full in the tooltip.
        cell: (c) => (
          <span className="cell-state" title={clusterReason(c) || undefined}>
            <StateBadge state={c.state} />
            <span className="cell-reason">{clusterReason(c)}</span>
          </span>
        ),
        sortValue: (c) => c.state,
        filterValue: (c) => `${c.state} ${clusterReason(c)}`,
      },
      {
        // Provider, Kubernetes version and node count stacked in one cell, as Rancher shows them.
        id: 'version',
        header: 'Provider',
        width: '112px',
        cell: (c) => (
          <span className="cell-stack">
            <span>
              {c.driver}
              {c.nodeCount !== undefined && c.nodeCount !== null
                ? ` · ${c.nodeCount} node${c.nodeCount === 1 ? '' : 's'}`
                : ''}
            </span>
            <span className="muted">{kubernetesVersion(c)}</span>
          </span>
        ),
        sortValue: (c) => `${c.driver} ${kubernetesVersion(c)}`,
        filterValue: (c) => `${c.driver} ${kubernetesVersion(c)}`,
      },
      ...(['cpu', 'memory', 'pods'] as const).map((key): Column<Cluster> => ({
        id: key,
        header: key === 'cpu' ? 'CPU' : key === 'memory' ? 'Memory' : 'Pods',
        width: key === 'memory' ? '118px' : key === 'cpu' ? '84px' : '76px',
        cell: (c) => <ClusterUseMeter cluster={c} resource={key} stacked />,
        // By how full the cluster is, not by its size.
        sortValue: (c) => usedFraction(c, key) ?? -1,
      })),
      { id: 'age', header: 'Age', width: '52px', cell: (c) => <Age time={c.created} />, sortValue: (c) => c.created },
      {
        id: 'actions',
        header: 'Actions',
        width: '168px',
        cell: (c) => (
          <span className="row-actions">
            {c.actions.generateKubeconfig && <KubeconfigButton cluster={c} small />}
            {c.links.remove && (
              <Button
                variant="danger"
                className="btn-small"
                onClick={() => setDeleting(c)}
                aria-label={`Delete ${c.name}`}
              >
                Delete
              </Button>
            )}
          </span>
        ),
      },
    ],
    [],
  );

  return (
    <section>
      <div className="page-header">
        <h1>Clusters</h1>
        {mayCreate && (
          <div className="page-actions">
            <Button variant="primary" onClick={() => setDialog('import')}>
              Import cluster
            </Button>
            <Button onClick={() => setDialog('register')}>Register with kubeconfig</Button>
          </div>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
      )}
      <DataTable
        label="Clusters"
        rows={clusters}
        columns={columns}
        rowKey={(c) => c.id}
        initialSort={{ id: 'name' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No clusters yet.'}
      />
      {dialog === 'import' && <ImportClusterDialog clusters={clusters} onClose={() => setDialog(null)} />}
      {dialog === 'register' && <RegisterClusterDialog onClose={() => setDialog(null)} />}
      {deleting && <DeleteClusterDialog cluster={deleting} onClose={() => setDeleting(null)} />}
    </section>
  );
}

function DeleteClusterDialog(props: { cluster: Cluster; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [unreachable, setUnreachable] = useState(false);
  const remove = async (force: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', `/v3/clusters/${props.cluster.id}${force ? '?force=true' : ''}`);
      props.onClose();
    } catch (err) {
      setError(errorMessage(err));
      // The server cannot remove the agent from a cluster it cannot reach; offer to forget it.
      setUnreachable((err as { status?: number }).status === 503);
      setBusy(false);
    }
  };
  return (
    <ConfirmDialog
      title={`Delete cluster ${props.cluster.name}?`}
      message={
        <>
          <p>
            Corral removes its agent from the cluster and forgets it, with its projects and members. The cluster itself
            and its workloads are not touched.
          </p>
          {unreachable && (
            <p>
              <Button variant="danger" onClick={() => void remove(true)} busy={busy}>
                Forget it without cleaning up
              </Button>
            </p>
          )}
        </>
      }
      confirmLabel="Delete"
      busy={busy}
      error={error}
      onConfirm={() => void remove(false)}
      onClose={props.onClose}
    />
  );
}
