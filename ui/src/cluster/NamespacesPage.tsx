import { Age } from '../components/Age';
import { useState } from 'react';
import { api, ApiRequestError, errorMessage } from '../api/http';
import type { Project } from '../api/types';
import { Link } from '../app/router';
import { Button } from '../components/Button';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { Field, SelectField } from '../components/Field';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { namespacesUrl, type CorralNamespace, type useCorralNamespaces } from './namespaces';
import { useCan } from './useCan';

type Namespaces = ReturnType<typeof useCorralNamespaces>;

/** The cluster's namespaces grouped by project; create, move between projects, delete. */
export function NamespacesPage(props: { clusterId: string; namespaces: Namespaces }) {
  const { clusterId, namespaces } = props;
  const { items: projects } = useLiveList<Project>({ kind: 'v3', type: 'project', filter: { clusterId } });
  const mayCreate = useCan(clusterId, { verb: 'create', group: '', resource: 'namespaces' });
  const [creating, setCreating] = useState(false);
  const [moving, setMoving] = useState<CorralNamespace | null>(null);
  const [deleting, setDeleting] = useState<CorralNamespace | null>(null);

  const sortedProjects = [...projects].sort((a, b) => a.name.localeCompare(b.name));
  const groups: { id: string | null; title: string; items: CorralNamespace[] }[] = sortedProjects.map((p) => ({
    id: p.id,
    title: p.name,
    items: [],
  }));
  const byId = new Map(groups.map((g) => [g.id, g]));
  const outside = { id: null, title: 'Not in a project', items: [] as CorralNamespace[] };
  for (const ns of namespaces.items) {
    const g = (ns.projectId && byId.get(ns.projectId)) || outside;
    g.items.push(ns);
  }
  groups.push(outside);
  // Cluster owners create anywhere; project members where a namespace already shows they may place.
  const canCreate = mayCreate || namespaces.items.some((n) => n.actions.move);

  return (
    <section aria-labelledby="ns-title">
      <div className="section-head">
        <h2 id="ns-title">Namespaces by project</h2>
        {canCreate && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create namespace
          </Button>
        )}
      </div>
      {namespaces.error && (
        <p className="error" role="alert">
          {namespaces.error}
        </p>
      )}
      {!namespaces.loaded && <p className="muted">Loading…</p>}
      {groups
        .filter((g) => g.items.length || g.id)
        .map((g) => (
          <section key={g.id ?? '-'} className="ns-group" aria-label={`Project ${g.title}`}>
            <h3>
              {g.id ? (
                <Link to={`/clusters/${encodeURIComponent(clusterId)}/projects/${encodeURIComponent(g.id)}`}>
                  {g.title}
                </Link>
              ) : (
                g.title
              )}{' '}
              <span className="muted">({g.items.length})</span>
            </h3>
            {g.items.length ? (
              <table className="simple-table ns-table" aria-label={`Namespaces of ${g.title}`}>
                <colgroup>
                  <col style={{ width: '40%' }} />
                  <col style={{ width: '15%' }} />
                  <col style={{ width: '15%' }} />
                  <col />
                </colgroup>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">State</th>
                    <th scope="col">Age</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {g.items
                    .sort((a, b) => a.name.localeCompare(b.name))
                    .map((ns) => (
                      <tr key={ns.name}>
                        <td>
                          <Link
                            to={`/c/${encodeURIComponent(clusterId)}/pods?ns=${encodeURIComponent(ns.name)}`}
                            className="mono"
                          >
                            {ns.name}
                          </Link>
                        </td>
                        <td>
                          <StateBadge state={ns.state} />
                        </td>
                        <td>
                          <Age time={ns.created} />
                        </td>
                        <td className="row-actions">
                          {ns.actions.move && (
                            <Button className="btn-small" onClick={() => setMoving(ns)} aria-label={`Move ${ns.name}`}>
                              Move
                            </Button>
                          )}
                          {ns.links.remove && (
                            <Button
                              className="btn-small"
                              variant="danger"
                              onClick={() => setDeleting(ns)}
                              aria-label={`Delete ${ns.name}`}
                            >
                              Delete
                            </Button>
                          )}
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">No namespaces.</p>
            )}
          </section>
        ))}
      {creating && (
        <CreateNamespace
          clusterId={clusterId}
          projects={sortedProjects}
          onClose={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            namespaces.reload();
          }}
        />
      )}
      {moving && (
        <MoveNamespace
          clusterId={clusterId}
          namespace={moving}
          projects={sortedProjects}
          onClose={() => setMoving(null)}
          onDone={() => {
            setMoving(null);
            namespaces.reload();
          }}
        />
      )}
      {deleting && (
        <DeleteNamespace
          clusterId={clusterId}
          namespace={deleting}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            namespaces.reload();
          }}
        />
      )}
    </section>
  );
}

const projectOptions = (projects: Project[]) => [
  { value: '', label: '(no project)' },
  ...projects.map((p) => ({ value: p.id, label: p.name })),
];

function fieldError(err: unknown, field: string): string | undefined {
  return err instanceof ApiRequestError && err.fieldName === field ? err.message : undefined;
}

function CreateNamespace(props: { clusterId: string; projects: Project[]; onClose(): void; onDone(): void }) {
  const [name, setName] = useState('');
  const [projectId, setProjectId] = useState(props.projects.find((p) => p.name === 'Default')?.id ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', namespacesUrl(props.clusterId), { name, projectId: projectId || null });
      props.onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const general = error && !fieldError(error, 'name') && !fieldError(error, 'projectId') ? errorMessage(error) : null;
  return (
    <Dialog title="Create namespace" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field
          label="Name"
          value={name}
          required
          autoFocus
          onChange={(e) => setName(e.target.value)}
          error={fieldError(error, 'name')}
          hint="Lower-case letters, digits and -"
        />
        <SelectField
          label="Project"
          value={projectId}
          options={projectOptions(props.projects)}
          onChange={(e) => setProjectId(e.target.value)}
          error={fieldError(error, 'projectId') ?? fieldError(error, 'resourceQuota')}
        />
        {general && (
          <p className="error" role="alert">
            {general}
          </p>
        )}
        <div className="form-actions">
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>
            Create
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function MoveNamespace(props: {
  clusterId: string;
  namespace: CorralNamespace;
  projects: Project[];
  onClose(): void;
  onDone(): void;
}) {
  const [projectId, setProjectId] = useState(props.namespace.projectId ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', `${namespacesUrl(props.clusterId)}/${encodeURIComponent(props.namespace.name)}?action=move`, {
        projectId: projectId || null,
      });
      props.onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const projectErr = fieldError(error, 'projectId') ?? fieldError(error, 'resourceQuota');
  return (
    <Dialog title={`Move namespace ${props.namespace.name}`} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <SelectField
          label="To project"
          value={projectId}
          options={projectOptions(props.projects)}
          onChange={(e) => setProjectId(e.target.value)}
          error={projectErr}
        />
        {error && !projectErr ? (
          <p className="error" role="alert">
            {errorMessage(error)}
          </p>
        ) : null}
        <div className="form-actions">
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>
            Move
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteNamespace(props: { clusterId: string; namespace: CorralNamespace; onClose(): void; onDone(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <ConfirmDialog
      title={`Delete namespace ${props.namespace.name}`}
      message={<p>Everything in namespace {props.namespace.name} will be deleted. This cannot be undone.</p>}
      confirmLabel="Delete"
      busy={busy}
      error={error}
      onClose={props.onClose}
      onConfirm={() => {
        setBusy(true);
        api('DELETE', `${namespacesUrl(props.clusterId)}/${encodeURIComponent(props.namespace.name)}`).then(
          props.onDone,
          (err: unknown) => {
            setError(errorMessage(err));
            setBusy(false);
          },
        );
      }}
    />
  );
}
