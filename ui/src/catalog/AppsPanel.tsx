import { useMemo } from 'react';
import type { App } from '../api/types';
import { Link } from '../app/router';
import { app as appType } from '../../../src/schema/types/catalog.js';
import { DataTable } from '../components/DataTable';
import { StateBadge } from '../components/StateBadge';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

/** A project's apps with their state and whether the catalog has a newer version. */
export function AppsPanel(props: { clusterId: string; projectId: string }) {
  const { items, state } = useLiveList<App>({ kind: 'v3', type: 'app', filter: { projectId: props.projectId } });
  const columns = useMemo(
    () =>
      schemaColumns<App>(appType, {
        columns: ['name', 'targetNamespace', 'state', 'revision', 'upgradeAvailable', 'created'],
        override: {
          name: {
            cell: (a) => (
              <Link to={`/clusters/${props.clusterId}/projects/${props.projectId}/apps/${encodeURIComponent(a.id)}`}>
                {a.name}
              </Link>
            ),
          },
          state: { cell: (a) => <StateBadge state={a.state} title={a.message ?? undefined} /> },
          upgradeAvailable: {
            cell: (a) =>
              a.upgradeAvailable ? <span className="badge badge-info">{a.upgradeAvailable} available</span> : null,
          },
        },
      }),
    [props.clusterId, props.projectId],
  );
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Apps</h2>
        <Link to="/catalog">Install from the catalog</Link>
      </div>
      <DataTable
        label="Apps"
        rows={items}
        columns={columns}
        rowKey={(a) => a.id}
        initialSort={{ id: 'name' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No apps.'}
      />
    </div>
  );
}
