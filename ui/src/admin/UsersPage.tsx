import { useMemo, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api/http';
import { user as userType } from '../../../src/schema/types/user.js';
import type { GlobalRole, GlobalRoleBinding, User } from '../api/types';
import { useSession } from '../app/session';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { DeleteDialog, Dialog } from '../components/Dialog';
import { Field, SelectField } from '../components/Field';
import { initialValues, schemaBody, SchemaFields } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { FormFooter } from '../components/FormFooter';
import { useFormSubmit } from '../api/useFormSubmit';

export function UsersPage() {
  const { user: me } = useSession();
  const { items: users, state } = useLiveList<User>({ kind: 'v3', type: 'user' });
  const { items: bindings } = useLiveList<GlobalRoleBinding>({ kind: 'v3', type: 'globalRoleBinding' });
  const { items: roles } = useLiveList<GlobalRole>({ kind: 'v3', type: 'globalRole' });
  const [dialog, setDialog] = useState<
    | { kind: 'create' }
    | { kind: 'password'; user: User }
    | { kind: 'roles'; user: User }
    | { kind: 'delete'; user: User }
    | null
  >(null);

  const [actionError, setActionError] = useState<string>();
  const setEnabled = (u: User, enabled: boolean) => {
    setActionError(undefined);
    api('PUT', `/v3/users/${u.id}`, { enabled }).catch((e: unknown) => setActionError(errorMessage(e)));
  };

  const rolesOf = useMemo(() => {
    const m = new Map<string, GlobalRoleBinding[]>();
    for (const b of bindings) if (b.userId) m.set(b.userId, [...(m.get(b.userId) ?? []), b]);
    return m;
  }, [bindings]);
  const roleName = useMemo(() => new Map(roles.map((r) => [r.id, r.name])), [roles]);

  // The declared columns, with the state read from `enabled` and the page's roles and actions.
  const columns = schemaColumns<User>(userType, {
    columns: ['enabled', 'username', 'name', 'roles', 'created', 'actions'],
    override: {
      enabled: {
        header: 'State',
        width: '100px',
        cell: (u) => <StateBadge state={u.enabled === false ? 'disabled' : 'active'} />,
        sortValue: (u) => (u.enabled === false ? 1 : 0),
      },
      username: {
        width: '160px',
        cell: (u) => (
          <>
            {u.username}
            {u.me && <span className="muted"> (you)</span>}
          </>
        ),
        filterValue: (u) => `${u.username} ${u.name ?? ''} ${u.id}`,
      },
      name: { header: 'Name', width: '160px' },
      created: { width: '60px' },
    },
    extra: [
      {
        id: 'roles',
        header: 'Global roles',
        cell: (u) =>
          (rolesOf.get(u.id) ?? []).map((b) => roleName.get(b.globalRoleId) ?? b.globalRoleId).join(', ') || '—',
        filterValue: (u) => (rolesOf.get(u.id) ?? []).map((b) => b.globalRoleId).join(' '),
      },
      {
        id: 'actions',
        header: 'Actions',
        width: '330px',
        cell: (u) => (
          <span className="row-actions">
            {u.links.update && u.id !== me.id && (
              <Button
                className="btn-small"
                aria-label={`${u.enabled === false ? 'Enable' : 'Disable'} ${u.username}`}
                onClick={() => setEnabled(u, u.enabled === false)}
              >
                {u.enabled === false ? 'Enable' : 'Disable'}
              </Button>
            )}
            {u.actions.setpassword && (
              <Button
                className="btn-small"
                aria-label={`Reset password of ${u.username}`}
                onClick={() => setDialog({ kind: 'password', user: u })}
              >
                Reset password
              </Button>
            )}
            <Button
              className="btn-small"
              aria-label={`Global roles of ${u.username}`}
              onClick={() => setDialog({ kind: 'roles', user: u })}
            >
              Roles
            </Button>
            {u.links.remove && u.id !== me.id && (
              <Button
                variant="danger"
                className="btn-small"
                aria-label={`Delete ${u.username}`}
                onClick={() => setDialog({ kind: 'delete', user: u })}
              >
                Delete
              </Button>
            )}
          </span>
        ),
      },
    ],
  });

  return (
    <section>
      <div className="page-header">
        <h1>Users</h1>
        <div className="page-actions">
          <Button variant="primary" onClick={() => setDialog({ kind: 'create' })}>
            Create user
          </Button>
        </div>
      </div>
      {actionError && (
        <p className="error" role="alert">
          {actionError}
        </p>
      )}
      <DataTable
        label="Users"
        rows={users}
        columns={columns}
        rowKey={(u) => u.id}
        initialSort={{ id: 'username' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No users.'}
      />
      {dialog?.kind === 'create' && <CreateUserDialog roles={roles} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'password' && <ResetPasswordDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'roles' && (
        <UserRolesDialog
          user={dialog.user}
          roles={roles}
          bindings={rolesOf.get(dialog.user.id) ?? []}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'delete' && <DeleteUserDialog user={dialog.user} onClose={() => setDialog(null)} />}
    </section>
  );
}

const CREATE_FIELDS = ['username', 'name', 'password', 'mustChangePassword'] as const;

function CreateUserDialog(props: { roles: GlobalRole[]; onClose: () => void }) {
  // An admin-made password is one the user should replace, unlike the declared default for the API.
  const [values, setValues] = useState(() =>
    initialValues(userType.fields, CREATE_FIELDS, { mustChangePassword: true }),
  );
  const [role, setRole] = useState('user');
  const { errors, busy, submit } = useFormSubmit(async () => {
    const created = await api<User>('POST', '/v3/users', schemaBody(userType.fields, CREATE_FIELDS, values));
    // New users already get the newUserDefault roles; bind the chosen one if it is not among them.
    const defaults = props.roles.filter((r) => r.newUserDefault).map((r) => r.id);
    if (role && !defaults.includes(role)) {
      await api('POST', '/v3/globalRoleBindings', { globalRoleId: role, userId: created.id });
    }
    props.onClose();
  });
  return (
    <Dialog title="Create a user" onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <SchemaFields
          fields={userType.fields}
          names={CREATE_FIELDS}
          values={values}
          onChange={setValues}
          errors={errors}
          autoFocus
        />
        <SelectField
          label="Global role"
          name="globalRoleId"
          value={role}
          onChange={(e) => setRole(e.target.value)}
          options={props.roles.map((r) => ({ value: r.id, label: r.newUserDefault ? `${r.name} (default)` : r.name }))}
        />
        <FormFooter error={errors.form} submitLabel="Create user" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function ResetPasswordDialog(props: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const { errors, busy, submit } = useFormSubmit(async () => {
    await api('POST', `/v3/users/${props.user.id}?action=setpassword`, { newPassword: password });
    props.onClose();
  });
  return (
    <Dialog title={`Reset the password of ${props.user.username}`} onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          autoFocus
          value={password}
          error={errors.newPassword}
          onChange={(e) => setPassword(e.target.value)}
        />
        <FormFooter error={errors.form} submitLabel="Set password" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}

function UserRolesDialog(props: {
  user: User;
  roles: GlobalRole[];
  bindings: GlobalRoleBinding[];
  onClose: () => void;
}) {
  const held = new Set(props.bindings.map((b) => b.globalRoleId));
  const addable = props.roles.filter((r) => !held.has(r.id));
  const [role, setRole] = useState(addable[0]?.id ?? '');
  const [error, setError] = useState<string>();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api('POST', '/v3/globalRoleBindings', { globalRoleId: role, userId: props.user.id });
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const remove = async (b: GlobalRoleBinding) => {
    setError(undefined);
    try {
      await api('DELETE', `/v3/globalRoleBindings/${b.id}`);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const name = (id: string) => props.roles.find((r) => r.id === id)?.name ?? id;
  return (
    <Dialog title={`Global roles of ${props.user.username}`} onClose={props.onClose}>
      <ul className="binding-list">
        {props.bindings.length === 0 && <li className="muted">No global roles.</li>}
        {props.bindings.map((b) => (
          <li key={b.id}>
            <span>{name(b.globalRoleId)}</span>
            {b.links.remove && (
              <Button
                variant="danger"
                className="btn-small"
                aria-label={`Remove role ${name(b.globalRoleId)}`}
                onClick={() => void remove(b)}
              >
                Remove
              </Button>
            )}
          </li>
        ))}
      </ul>
      {addable.length > 0 && (
        <form className="form inline-form" onSubmit={(e) => void add(e)}>
          <SelectField
            label="Add global role"
            value={role}
            onChange={(e) => setRole(e.target.value)}
            options={addable.map((r) => ({ value: r.id, label: r.name }))}
          />
          <Button type="submit" variant="primary">
            Add
          </Button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

function DeleteUserDialog(props: { user: User; onClose: () => void }) {
  return (
    <DeleteDialog
      title={`Delete user ${props.user.username}?`}
      message={<p>Their API keys and sessions stop working, and their role bindings go with them.</p>}
      confirmLabel="Delete user"
      url={`/v3/users/${props.user.id}`}
      onClose={props.onClose}
    />
  );
}
