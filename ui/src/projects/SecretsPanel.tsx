import { useMemo, useState } from 'react';
import { api } from '../api/http';
import type { ProjectSecret, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { projectSecret, registryCredential } from '../../../src/schema/types/project-secret.js';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { DeleteDialog, Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { initialValues, schemaBody, SchemaFields, SchemaForm, type FormValues } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

/** A project's secrets (kept in each of its namespaces): names, kinds and keys, never the values. */
export function SecretsPanel(props: { projectId: string }) {
  const { projectId } = props;
  const { items, state } = useLiveList<ProjectSecret>({ kind: 'v3', type: 'projectSecret', filter: { projectId } });
  const collection = useApi<V3Collection<ProjectSecret>>(
    `/v3/projectSecrets?projectId=${encodeURIComponent(projectId)}&limit=1`,
  );
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProjectSecret | null>(null);
  const columns = useMemo(
    () =>
      // The project is the page's; the declared projectId column would say the same on every row.
      schemaColumns<ProjectSecret>(projectSecret, {
        columns: ['name', 'kind', 'keys', 'description', 'created', 'actions'],
        override: { kind: { width: '150px' } },
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '100px',
            cell: (s) =>
              s.links.remove ? (
                <Button
                  variant="danger"
                  className="btn-small"
                  aria-label={`Delete secret ${s.name}`}
                  onClick={() => setDeleting(s)}
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
    <div className="panel">
      <div className="panel-header">
        <h2>Secrets</h2>
        {collection.data?.createTypes?.projectSecret && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create secret
          </Button>
        )}
      </div>
      <DataTable
        label="Project secrets"
        rows={items}
        columns={columns}
        rowKey={(s) => s.id}
        initialSort={{ id: 'name' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No secrets.'}
      />
      {creating && <CreateSecretDialog projectId={projectId} onClose={() => setCreating(false)} />}
      {deleting && <DeleteSecretDialog secret={deleting} onClose={() => setDeleting(null)} />}
    </div>
  );
}

/** The fields each kind of secret takes; a registry credential's are the page's own (host, then user). */
const KIND_FIELDS: Record<string, readonly string[]> = {
  secret: ['data'],
  dockerCredential: [],
  certificate: ['certs', 'key'],
};
const secretFields = (v: FormValues) => [
  'name',
  'description',
  'kind',
  ...(KIND_FIELDS[typeof v.kind === 'string' ? v.kind : ''] ?? KIND_FIELDS.secret!),
];
const CREDENTIAL_FIELDS = Object.keys(registryCredential.fields);

function CreateSecretDialog(props: { projectId: string; onClose: () => void }) {
  const [registry, setRegistry] = useState('');
  const [credential, setCredential] = useState(() => initialValues(registryCredential.fields, CREDENTIAL_FIELDS));
  return (
    <Dialog title="Create a secret" onClose={props.onClose} wide>
      <SchemaForm
        fields={projectSecret.fields}
        names={secretFields}
        mode="create"
        hints={{ data: 'The values are stored encrypted and never shown again.' }}
        submitLabel="Create"
        onCancel={props.onClose}
        extraFields={['registries']}
        extra={(errors, values) =>
          // Only a registry credential: the one kind whose values no declared input takes.
          values.kind !== 'dockerCredential' ? null : (
            <RegistryInputs
              registry={registry}
              onRegistry={setRegistry}
              credential={credential}
              onCredential={setCredential}
              errors={errors}
            />
          )
        }
        onSubmit={async (body) => {
          if (body.kind === 'dockerCredential') {
            body.registries = {
              [registry.trim()]: schemaBody(registryCredential.fields, CREDENTIAL_FIELDS, credential),
            };
          }
          await api('POST', '/v3/projectSecrets', { ...body, projectId: props.projectId });
          props.onClose();
        }}
      />
    </Dialog>
  );
}

function RegistryInputs(props: {
  registry: string;
  onRegistry: (v: string) => void;
  credential: FormValues;
  onCredential: (v: FormValues) => void;
  errors: Record<string, string>;
}) {
  return (
    <fieldset>
      <legend>Registry credential</legend>
      <Field
        label="Registry"
        placeholder="registry.example.com"
        value={props.registry}
        error={props.errors.registries}
        onChange={(e) => props.onRegistry(e.target.value)}
      />
      <SchemaFields
        fields={registryCredential.fields}
        names={CREDENTIAL_FIELDS}
        values={props.credential}
        onChange={props.onCredential}
        errors={props.errors}
      />
    </fieldset>
  );
}

function DeleteSecretDialog(props: { secret: ProjectSecret; onClose: () => void }) {
  return (
    <DeleteDialog
      title={`Delete secret ${props.secret.name}?`}
      message={<p>It is removed from every namespace of the project.</p>}
      url={`/v3/projectSecrets/${props.secret.id}`}
      onClose={props.onClose}
    />
  );
}
