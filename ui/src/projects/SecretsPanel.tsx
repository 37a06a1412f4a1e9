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

/**
 * A project's secrets (kept in each of its namespaces): names, kinds and keys, never the values,
 * which the API does not return; a certificate shows its subject, names and expiry (the server reads
 * them from the PEM). Editing replaces values only where new ones are typed.
 */
export function SecretsPanel(props: { projectId: string }) {
  const { projectId } = props;
  const { items, state } = useLiveList<ProjectSecret>({ kind: 'v3', type: 'projectSecret', filter: { projectId } });
  const collection = useApi<V3Collection<ProjectSecret>>(
    `/v3/projectSecrets?projectId=${encodeURIComponent(projectId)}&limit=1`,
  );
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProjectSecret | null>(null);
  const [editing, setEditing] = useState<ProjectSecret | null>(null);
  const columns = useMemo(
    () =>
      // The project is the page's; the declared projectId column would say the same on every row.
      schemaColumns<ProjectSecret>(projectSecret, {
        columns: ['name', 'kind', 'keys', 'certificate', 'description', 'created', 'actions'],
        override: { kind: { width: '150px' } },
        extra: [
          {
            id: 'certificate',
            header: 'Certificate',
            width: '280px',
            cell: (s) => <CertificateSummary secret={s} />,
          },
          {
            id: 'actions',
            header: 'Actions',
            width: '150px',
            cell: (s) => (
              <span className="row-actions">
                {s.links.update && (
                  <Button className="btn-small" aria-label={`Edit secret ${s.name}`} onClick={() => setEditing(s)}>
                    Edit
                  </Button>
                )}
                {s.links.remove && (
                  <Button
                    variant="danger"
                    className="btn-small"
                    aria-label={`Delete secret ${s.name}`}
                    onClick={() => setDeleting(s)}
                  >
                    Delete
                  </Button>
                )}
              </span>
            ),
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
      {editing && <EditSecretDialog secret={editing} onClose={() => setEditing(null)} />}
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

/** A registry credential's inputs (host, then the declared user and password) and its body. */
function useRegistryInputs() {
  const [registry, setRegistry] = useState('');
  const [credential, setCredential] = useState(() => initialValues(registryCredential.fields, CREDENTIAL_FIELDS));
  return {
    inputs: (errors: Record<string, string>) => (
      <RegistryInputs
        registry={registry}
        onRegistry={setRegistry}
        credential={credential}
        onCredential={setCredential}
        errors={errors}
      />
    ),
    /** `registries` for the API; undefined while no host is typed. */
    body: () =>
      registry.trim()
        ? { [registry.trim()]: schemaBody(registryCredential.fields, CREDENTIAL_FIELDS, credential) }
        : undefined,
  };
}

function CreateSecretDialog(props: { projectId: string; onClose: () => void }) {
  const registry = useRegistryInputs();
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
          values.kind !== 'dockerCredential' ? null : registry.inputs(errors)
        }
        onSubmit={async (body) => {
          if (body.kind === 'dockerCredential') body.registries = registry.body() ?? {};
          await api('POST', '/v3/projectSecrets', { ...body, projectId: props.projectId });
          props.onClose();
        }}
      />
    </Dialog>
  );
}

const DAY = 86_400_000;

/** Subject, other names and expiry of a certificate; an expired or soon expiring one says so. */
function CertificateSummary(props: { secret: ProjectSecret }) {
  const s = props.secret;
  if (s.kind !== 'certificate' || !s.expiresAt) return null;
  const days = Math.floor((Date.parse(s.expiresAt) - Date.now()) / DAY);
  const sans = (s.subjectAlternativeNames ?? []).filter((n) => n !== s.cn);
  return (
    <span className="cert-summary">
      <span className="mono">{s.cn}</span>
      {sans.length > 0 && <span className="muted"> also {sans.join(', ')}</span>}
      <br />
      <span className={days < 0 ? 'error' : days < 30 ? 'warn' : 'muted'}>
        {days < 0
          ? `expired ${s.expiresAt.slice(0, 10)}`
          : `expires ${s.expiresAt.slice(0, 10)} (in ${days} day${days === 1 ? '' : 's'})`}
      </span>
      {s.issuer && <span className="muted">, issued by {s.issuer}</span>}
    </span>
  );
}

/** The values of each kind; left empty, the stored ones are kept (the API never returns them). */
const KEEP_IF_EMPTY = ['data', 'key'];

function EditSecretDialog(props: { secret: ProjectSecret; onClose: () => void }) {
  const { secret } = props;
  const registry = useRegistryInputs();
  const kept = `Leave empty to keep the stored values${secret.keys?.length ? ` (keys ${secret.keys.join(', ')})` : ''}; new ones replace all of them.`;
  return (
    <Dialog title={`Edit secret ${secret.name}`} onClose={props.onClose} wide>
      <SchemaForm
        fields={projectSecret.fields}
        names={['name', 'kind', 'description', ...(KIND_FIELDS[secret.kind ?? 'secret'] ?? [])]}
        mode="update"
        initial={secret}
        hints={{ data: kept, key: 'Leave empty to keep the stored key.' }}
        submitLabel="Save"
        onCancel={props.onClose}
        extraFields={['registries']}
        extra={(errors) =>
          secret.kind !== 'dockerCredential' ? null : (
            <>
              <p className="muted">Leave empty to keep the stored credential; a new one replaces it.</p>
              {registry.inputs(errors)}
            </>
          )
        }
        onSubmit={async (body) => {
          for (const k of KEEP_IF_EMPTY) {
            const v = body[k];
            if (v === '' || v === null || (typeof v === 'object' && !Object.keys(v).length)) delete body[k];
          }
          const registries = secret.kind === 'dockerCredential' ? registry.body() : undefined;
          if (registries) body.registries = registries;
          await api('PUT', `/v3/projectSecrets/${secret.id}`, body);
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
