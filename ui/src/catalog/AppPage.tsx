import { useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { App, AppRevision, Template } from '../api/types';
import { useApi } from '../api/useApi';
import { Link, navigate } from '../app/router';
import { appRevision as revisionType } from '../../../src/schema/types/catalog.js';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { DeleteDialog } from '../components/Dialog';
import { StateBadge } from '../components/StateBadge';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

/** One app: its state and helm's output (live), upgrade to the newest version, revisions and rollback. */
export function AppPage(props: { clusterId: string; projectId: string; appId: string }) {
  const { items } = useLiveList<App>({ kind: 'v3', type: 'app', filter: { projectId: props.projectId } });
  const fetched = useApi<App>(`/v3/apps/${encodeURIComponent(props.appId)}`);
  const app = items.find((a) => a.id === props.appId) ?? fetched.data;
  const { items: revisions } = useLiveList<AppRevision>({
    kind: 'v3',
    type: 'appRevision',
    filter: { appId: props.appId },
  });
  const templateId = app?.templateId ?? null;
  const template = useApi<Template>(templateId ? `/v3/templates/${encodeURIComponent(templateId)}` : null);
  const [error, setError] = useState('');
  const [deleting, setDeleting] = useState(false);
  const act = (action: string, body: Record<string, unknown>) =>
    void api('POST', `/v3/apps/${encodeURIComponent(props.appId)}?action=${action}`, body).catch((e: unknown) =>
      setError(errorMessage(e)),
    );
  const columns = useMemo(
    () =>
      schemaColumns<AppRevision>(revisionType, {
        columns: ['revision', 'status', 'externalId', 'description', 'updated', 'rollback'],
        extra: [
          {
            id: 'rollback',
            header: 'Actions',
            width: '120px',
            cell: (r) =>
              r.status !== 'deployed' ? (
                <Button
                  className="btn-small"
                  aria-label={`Roll back to revision ${r.revision}`}
                  onClick={() => act('rollback', { revisionId: r.id })}
                >
                  Roll back
                </Button>
              ) : null,
          },
        ],
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [props.appId],
  );
  if (!app)
    return fetched.error ? (
      <p className="error" role="alert">
        {errorMessage(fetched.error)}
      </p>
    ) : (
      <p role="status">Loading…</p>
    );
  const newest = template.data?.versions?.[0];
  return (
    <section>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={`/clusters/${props.clusterId}/projects/${props.projectId}`}>Project</Link> / Apps / {app.name}
      </nav>
      <div className="page-header">
        <h1>
          App {app.name} <StateBadge state={app.state} />
        </h1>
        <div>
          {app.upgradeAvailable && newest && app.actions.upgrade && (
            <Button variant="primary" onClick={() => act('upgrade', { externalId: newest.externalId })}>
              Upgrade to {app.upgradeAvailable}
            </Button>
          )}{' '}
          {app.links.remove && (
            <Button variant="danger" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )}
        </div>
      </div>
      <p>
        Namespace <strong>{app.targetNamespace}</strong>, revision {app.revision ?? '—'}, {app.externalId}
      </p>
      {app.message && <p className={app.state === 'failed' ? 'error' : 'muted'}>{app.message}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="panel">
        <h2>Revisions</h2>
        <DataTable
          label="Revisions"
          rows={revisions}
          columns={columns}
          rowKey={(r) => r.id}
          initialSort={{ id: 'revision', desc: true }}
        />
      </div>
      {(app.resources ?? []).length > 0 && (
        <div className="panel">
          <h2>Resources</h2>
          <ul aria-label="Resources">
            {(app.resources ?? []).map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="panel">
        <h2>helm output</h2>
        <pre className="log" aria-label="helm output">
          {app.log}
        </pre>
      </div>
      {app.notes && (
        <div className="panel">
          <h2>Notes</h2>
          <pre className="log">{app.notes}</pre>
        </div>
      )}
      {deleting && (
        <DeleteDialog
          title={`Delete app ${app.name}`}
          message="helm uninstalls the release; the namespace stays."
          url={`/v3/apps/${encodeURIComponent(app.id)}`}
          onClose={() => {
            setDeleting(false);
            navigate(`/clusters/${props.clusterId}/projects/${props.projectId}`);
          }}
        />
      )}
    </section>
  );
}
