import { useMemo, useState } from 'react';
import { api } from '../api/http';
import { token as tokenType } from '../../../src/schema/types/token.js';
import type { Cluster, Token } from '../api/types';
import { ChangePasswordForm } from '../app/ChangePasswordPage';
import { dateTime } from '../app/format';
import { useSession } from '../app/session';
import { KubeconfigButton } from '../clusters/KubeconfigButton';
import { Button } from '../components/Button';
import { CopyField } from '../components/CopyButton';
import { DataTable } from '../components/DataTable';
import { DeleteDialog, Dialog } from '../components/Dialog';
import { SelectField } from '../components/Field';
import { initialValues, schemaBody, SchemaFields } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { FormFooter } from '../components/FormFooter';
import { useFormSubmit } from '../api/useFormSubmit';

const TTL_OPTIONS = [
  { value: '0', label: 'the server maximum' },
  { value: String(3600_000), label: '1 hour' },
  { value: String(24 * 3600_000), label: '1 day' },
  { value: String(30 * 24 * 3600_000), label: '30 days' },
  { value: String(90 * 24 * 3600_000), label: '90 days' },
];

export function AccountPage() {
  const { user } = useSession();
  const [changing, setChanging] = useState(false);
  const [passwordChanged, setPasswordChanged] = useState(false);
  return (
    <section>
      <h1>Account</h1>
      <dl className="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        {user.name && (
          <>
            <dt>Name</dt>
            <dd>{user.name}</dd>
          </>
        )}
        <dt>User id</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
      </dl>
      <div className="panel">
        <div className="panel-header">
          <h2>Password</h2>
          <Button onClick={() => setChanging(true)}>Change password</Button>
        </div>
        {passwordChanged && (
          <p className="ok" role="status">
            Your password was changed.
          </p>
        )}
      </div>
      {changing && (
        <Dialog title="Change password" onClose={() => setChanging(false)}>
          <ChangePasswordForm
            onDone={() => {
              setChanging(false);
              setPasswordChanged(true);
            }}
          />
        </Dialog>
      )}
      <ApiKeys />
      <Kubeconfigs />
    </section>
  );
}

function ApiKeys() {
  const { user } = useSession();
  const { items, state } = useLiveList<Token>({ kind: 'v3', type: 'token' });
  const { items: clusters } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const clusterName = useMemo(() => new Map(clusters.map((c) => [c.id, c.name])), [clusters]);
  // An admin lists everyone's tokens; this page is about one's own API keys (not login sessions).
  const keys = useMemo(() => items.filter((t) => t.userId === user.id && t.isDerived !== false), [items, user.id]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Token | null>(null);

  const columns = useMemo(
    () =>
      schemaColumns<Token>(tokenType, {
        columns: ['description', 'id', 'clusterId', 'state', 'expiresAt', 'created', 'actions'],
        override: {
          description: {
            cell: (t) => t.description || <span className="muted">(none)</span>,
            filterValue: (t) => `${t.description ?? ''} ${t.id}`,
          },
          id: { header: 'Key id', width: '170px' },
          clusterId: {
            header: 'Scope',
            width: '120px',
            // The cluster's name; its id only for a cluster one may no longer see.
            cell: (t) => (t.clusterId ? (clusterName.get(t.clusterId) ?? t.clusterId) : 'all clusters'),
            sortValue: undefined,
          },
          // A key's own state is whether it has expired.
          state: {
            width: '100px',
            cell: (t) => <StateBadge state={t.expired ? 'expired' : 'active'} />,
            sortValue: undefined,
          },
          expiresAt: {
            header: 'Expires',
            width: '180px',
            cell: (t) => (t.expiresAt ? dateTime(t.expiresAt) : 'never'),
          },
          created: { width: '70px' },
        },
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '100px',
            cell: (t) =>
              t.links.remove ? (
                <Button
                  variant="danger"
                  className="btn-small"
                  aria-label={`Delete API key ${t.description || t.id}`}
                  onClick={() => setDeleting(t)}
                >
                  Delete
                </Button>
              ) : null,
          },
        ],
      }),
    [clusterName],
  );

  return (
    <div className="panel">
      <div className="panel-header">
        <h2>API keys</h2>
        <Button variant="primary" onClick={() => setCreating(true)}>
          Create API key
        </Button>
      </div>
      <DataTable
        label="API keys"
        rows={keys}
        columns={columns}
        rowKey={(t) => t.id}
        initialSort={{ id: 'created', desc: true }}
        emptyText={state === 'loading' ? 'Loading…' : 'No API keys.'}
      />
      {creating && <CreateKeyDialog onClose={() => setCreating(false)} />}
      {deleting && <DeleteKeyDialog token={deleting} onClose={() => setDeleting(null)} />}
    </div>
  );
}

// The ttl is offered as a few presets (TTL_OPTIONS) rather than the bare millisecond count it is.
const CREATE_FIELDS = ['description'] as const;

function CreateKeyDialog(props: { onClose: () => void }) {
  const [values, setValues] = useState(() => initialValues(tokenType.fields, CREATE_FIELDS));
  const [ttl, setTtl] = useState('0');
  const [created, setCreated] = useState<Token>();
  const { errors, busy, submit } = useFormSubmit(async () => {
    const body = { ...schemaBody(tokenType.fields, CREATE_FIELDS, values), ttl: Number(ttl) };
    setCreated(await api<Token>('POST', '/v3/tokens', body));
  });

  if (created?.token) {
    return (
      <Dialog title="API key created" onClose={props.onClose} wide>
        <p>
          <strong>Copy the secret now.</strong> It is shown only this once; the server keeps only a hash of it.
        </p>
        <CopyField label="Secret (Bearer token)" value={created.token} testId="api-key-secret" />
        <p className="muted">
          Use it as <code>Authorization: Bearer &lt;secret&gt;</code>, or with <code>corral login --token</code>.
        </p>
        <div className="form-actions">
          <Button variant="primary" onClick={props.onClose}>
            Done
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title="Create an API key" onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <SchemaFields
          fields={tokenType.fields}
          names={CREATE_FIELDS}
          values={values}
          onChange={setValues}
          errors={errors}
          hints={{ description: 'what the key is for, e.g. CI pipeline' }}
          autoFocus
        />
        <SelectField
          label="Expires after"
          name="ttl"
          value={ttl}
          error={errors.ttl}
          onChange={(e) => setTtl(e.target.value)}
          options={TTL_OPTIONS}
        />
        <FormFooter error={errors.form} submitLabel="Create" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function DeleteKeyDialog(props: { token: Token; onClose: () => void }) {
  return (
    <DeleteDialog
      title="Delete API key?"
      message={
        <p>
          Anything using <code>{props.token.id}</code> ({props.token.description || 'no description'}) stops working at
          once.
        </p>
      }
      confirmLabel="Delete key"
      url={`/v3/tokens/${props.token.id}`}
      onClose={props.onClose}
    />
  );
}

function Kubeconfigs() {
  const { items: clusters, state } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const usable = clusters.filter((c) => c.actions.generateKubeconfig);
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Kubeconfig files</h2>
      </div>
      <p className="muted">
        Each download makes a new API key limited to that cluster, reaching it through this server with your
        permissions.
      </p>
      {usable.length === 0 ? (
        <p className="muted">{state === 'loading' ? 'Loading…' : 'No clusters.'}</p>
      ) : (
        <ul className="kubeconfig-list">
          {usable.map((c) => (
            <li key={c.id}>
              <span>
                {c.name} <StateBadge state={c.state} />
              </span>
              <KubeconfigButton cluster={c} small />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
