import { useMemo, useState } from 'react';
import { api } from '../api/http';
import { project } from '../../../src/schema/types/project.js';
import type { Project } from '../api/types';
import { Link, navigate } from '../app/router';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { DeleteDialog, Dialog } from '../components/Dialog';
import { initialValues, schemaBody, SchemaFields } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';
import { useClusterAccess } from './clusterAccess';
import { FormFooter } from '../components/FormFooter';
import { useFormSubmit } from '../api/useFormSubmit';

export const projectPath = (p: Pick<Project, 'id' | 'clusterId'>) =>
  `/clusters/${p.clusterId}/projects/${encodeURIComponent(p.id)}`;

export function ProjectsPage(props: { clusterId: string }) {
  const { cluster, mayCreateProject } = useClusterAccess(props.clusterId);
  const { items: projects, state } = useLiveList<Project>({
    kind: 'v3',
    type: 'project',
    filter: { clusterId: props.clusterId },
  });
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Project | null>(null);

  const columns = useMemo(
    () =>
      schemaColumns<Project>(project, {
        columns: ['state', 'name', 'description', 'resourceQuota', 'created', 'actions'],
        override: {
          name: {
            cell: (p) => <Link to={projectPath(p)}>{p.name}</Link>,
            filterValue: (p) => `${p.name} ${p.id} ${p.description ?? ''}`,
          },
          resourceQuota: {
            header: 'Quota',
            width: '90px',
            cell: (p) => (p.resourceQuota?.limit && Object.keys(p.resourceQuota.limit).length ? 'yes' : '—'),
            filterValue: undefined,
          },
          created: { width: '70px' },
        },
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '100px',
            cell: (p) =>
              p.links.remove ? (
                <Button
                  variant="danger"
                  className="btn-small"
                  aria-label={`Delete project ${p.name}`}
                  onClick={() => setDeleting(p)}
                >
                  Delete
                </Button>
              ) : null,
          },
        ],
      }),
    [],
  );

  return (
    <section>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/clusters">Clusters</Link> / <Link to={`/c/${props.clusterId}`}>{cluster?.name ?? '…'}</Link> /
        Projects
      </nav>
      <div className="page-header">
        <h1>{cluster ? `Projects of ${cluster.name}` : 'Projects'}</h1>
        {mayCreateProject && (
          <div className="page-actions">
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create project
            </Button>
          </div>
        )}
      </div>
      <DataTable
        label="Projects"
        rows={projects}
        columns={columns}
        rowKey={(p) => p.id}
        initialSort={{ id: 'name' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No projects you can see.'}
      />
      {creating && <CreateProjectDialog clusterId={props.clusterId} onClose={() => setCreating(false)} />}
      {deleting && <DeleteProjectDialog project={deleting} onClose={() => setDeleting(null)} />}
    </section>
  );
}

// The cluster is the page's; quotas are set on the project's page once it exists.
const CREATE_FIELDS = ['name', 'description'] as const;

function CreateProjectDialog(props: { clusterId: string; onClose: () => void }) {
  const [values, setValues] = useState(() => initialValues(project.fields, CREATE_FIELDS));
  const { errors, busy, submit } = useFormSubmit(async () => {
    const body = { ...schemaBody(project.fields, CREATE_FIELDS, values), clusterId: props.clusterId };
    const p = await api<Project>('POST', '/v3/projects', body);
    props.onClose();
    navigate(projectPath(p));
  });
  return (
    <Dialog title="Create a project" onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <SchemaFields
          fields={project.fields}
          names={CREATE_FIELDS}
          values={values}
          onChange={setValues}
          errors={errors}
          autoFocus
        />
        <FormFooter error={errors.form} submitLabel="Create" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function DeleteProjectDialog(props: { project: Project; onClose: () => void }) {
  return (
    <DeleteDialog
      title={`Delete project ${props.project.name}?`}
      message={
        <>
          <p>Its members lose the access the project gave them.</p>
          <p>
            Its namespaces and everything in them stay in the cluster; they no longer belong to any project and can be
            moved into another one.
          </p>
        </>
      }
      url={`/v3/projects/${props.project.id}`}
      onClose={props.onClose}
    />
  );
}
