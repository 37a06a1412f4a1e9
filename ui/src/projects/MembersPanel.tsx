import { useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { Principal, RoleBinding, RoleTemplate, User, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { useSession } from '../app/session';
import { Button } from '../components/Button';
import { DataTable, type Column } from '../components/DataTable';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { Field, SelectField } from '../components/Field';
import { useLiveList } from '../live/useLiveList';
import { FormFooter } from '../components/FormFooter';
import { useFormSubmit } from '../api/useFormSubmit';

export interface MemberScope {
  kind: 'cluster' | 'project';
  /** clusterId or projectId (c-xxxxx:p-xxxxx). */
  id: string;
  /** May add members (the cluster's or project's owner, or a global admin). */
  mayAdd: boolean;
}

const BINDING_TYPE = { cluster: 'clusterRoleTemplateBinding', project: 'projectRoleTemplateBinding' } as const;
const SCOPE_FIELD = { cluster: 'clusterId', project: 'projectId' } as const;

/** Who a binding is for, readable: the username when known, else the principal id. */
function subject(b: RoleBinding, users: Map<string, User>): string {
  if (b.groupPrincipalId) return `group ${b.groupPrincipalId}`;
  const u = b.userId ? users.get(b.userId) : undefined;
  if (u) return u.name && u.name !== u.username ? `${u.username} (${u.name})` : u.username;
  return b.userId ?? b.userPrincipalId ?? '—';
}

/** Members of a cluster (clusterRoleTemplateBindings) or a project (projectRoleTemplateBindings). */
export function MembersPanel(props: { scope: MemberScope }) {
  const { scope } = props;
  const type = BINDING_TYPE[scope.kind];
  const { items: bindings, state } = useLiveList<RoleBinding>({
    kind: 'v3',
    type,
    filter: { [SCOPE_FIELD[scope.kind]]: scope.id },
  });
  const templates = useApi<V3Collection<RoleTemplate>>(`/v3/roleTemplates?context=${scope.kind}&limit=1000`);
  // Only global admins list every user; others see just themselves and add members by username.
  const users = useApi<V3Collection<User>>('/v3/users?limit=1000');
  const userMap = useMemo(() => new Map((users.data?.data ?? []).map((u) => [u.id, u])), [users.data]);
  const templateName = useMemo(
    () => new Map((templates.data?.data ?? []).map((t) => [t.id, t.name])),
    [templates.data],
  );
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<RoleBinding | null>(null);

  const columns: Column<RoleBinding>[] = [
    {
      id: 'member',
      header: 'Member',
      cell: (b) => subject(b, userMap),
      sortValue: (b) => subject(b, userMap),
      filterValue: (b) => subject(b, userMap),
    },
    {
      id: 'role',
      header: 'Role',
      cell: (b) => templateName.get(b.roleTemplateId) ?? b.roleTemplateId,
      sortValue: (b) => b.roleTemplateId,
      filterValue: (b) => `${b.roleTemplateId} ${templateName.get(b.roleTemplateId) ?? ''}`,
    },
    {
      id: 'actions',
      header: 'Actions',
      width: '110px',
      cell: (b) =>
        b.links.remove ? (
          <Button
            variant="danger"
            className="btn-small"
            aria-label={`Remove ${subject(b, userMap)} as ${b.roleTemplateId}`}
            onClick={() => setRemoving(b)}
          >
            Remove
          </Button>
        ) : null,
    },
  ];

  return (
    <section className="panel" aria-labelledby={`members-${scope.kind}`}>
      <div className="panel-header">
        <h2 id={`members-${scope.kind}`}>{scope.kind === 'cluster' ? 'Cluster members' : 'Project members'}</h2>
        {scope.mayAdd && (
          <Button variant="primary" onClick={() => setAdding(true)}>
            Add member
          </Button>
        )}
      </div>
      <DataTable
        label={scope.kind === 'cluster' ? 'Cluster members' : 'Project members'}
        rows={bindings}
        columns={columns}
        rowKey={(b) => b.id}
        initialSort={{ id: 'member' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No members.'}
      />
      {adding && (
        <AddMemberDialog
          scope={scope}
          templates={(templates.data?.data ?? []).filter((t) => !t.hidden && !t.locked)}
          users={users.data?.data ?? []}
          onClose={() => setAdding(false)}
        />
      )}
      {removing && (
        <RemoveMemberDialog
          binding={removing}
          type={type}
          who={subject(removing, userMap)}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}

function RemoveMemberDialog(props: { binding: RoleBinding; type: string; who: string; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <ConfirmDialog
      title="Remove member?"
      message={
        <p>
          {props.who} loses the role {props.binding.roleTemplateId} here.
        </p>
      }
      confirmLabel="Remove"
      busy={busy}
      error={error}
      onClose={props.onClose}
      onConfirm={() => {
        setBusy(true);
        api('DELETE', props.binding.links.remove ?? `/v3/${props.type}s/${props.binding.id}`).then(
          props.onClose,
          (e) => {
            setError(errorMessage(e));
            setBusy(false);
          },
        );
      }}
    />
  );
}

/** Finds the user a typed username or principal id stands for, through the principals search. */
async function resolveUser(typed: string): Promise<string> {
  const value = typed.trim();
  if (value.startsWith('local://')) return value.slice('local://'.length);
  if (/^u-[a-z0-9]+$/.test(value)) return value;
  const found = await api<V3Collection<Principal>>('POST', '/v3/principals?action=search', {
    name: value,
    principalType: 'user',
  });
  const exact = found.data.find((p) => p.loginName === value);
  if (!exact) throw new Error(`no user with the username "${value}"`);
  return exact.id.replace(/^local:\/\//, '');
}

function AddMemberDialog(props: { scope: MemberScope; templates: RoleTemplate[]; users: User[]; onClose: () => void }) {
  const { user: me } = useSession();
  // Listing every user works for admins only; with just oneself in the list, type a username.
  const pickable = props.users.filter((u) => u.id !== me.id && u.enabled !== false);
  const canPick = props.users.length > 1;
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [userId, setUserId] = useState(pickable[0]?.id ?? '');
  const [typed, setTyped] = useState('');
  const [group, setGroup] = useState('');
  const defaultRole = props.scope.kind === 'cluster' ? 'cluster-member' : 'project-member';
  const [role, setRole] = useState(
    props.templates.some((t) => t.id === defaultRole) ? defaultRole : (props.templates[0]?.id ?? ''),
  );
  const { errors, setErrors, busy, submit } = useFormSubmit(async () => {
    const body: Record<string, string> = { [SCOPE_FIELD[props.scope.kind]]: props.scope.id, roleTemplateId: role };
    if (kind === 'group') body.groupPrincipalId = group.trim();
    else if (canPick) body.userId = userId;
    else {
      try {
        body.userId = await resolveUser(typed);
      } catch (err) {
        setErrors({ userId: errorMessage(err) });
        return;
      }
    }
    await api('POST', `/v3/${BINDING_TYPE[props.scope.kind]}s`, body);
    props.onClose();
  });

  return (
    <Dialog title={`Add a ${props.scope.kind} member`} onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset className="radio-row">
          <legend>Member is a</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'user'} onChange={() => setKind('user')} /> User
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'group'} onChange={() => setKind('group')} /> Group
          </label>
        </fieldset>
        {kind === 'user' && canPick && (
          <SelectField
            label="Username"
            name="userId"
            value={userId}
            error={errors.userId}
            onChange={(e) => setUserId(e.target.value)}
            options={pickable.map((u) => ({ value: u.id, label: u.name ? `${u.username} (${u.name})` : u.username }))}
          />
        )}
        {kind === 'user' && !canPick && (
          <Field
            label="Username or principal id"
            name="username"
            required
            value={typed}
            error={errors.userId}
            hint="e.g. alice or local://u-abcde"
            onChange={(e) => setTyped(e.target.value)}
          />
        )}
        {kind === 'group' && (
          <Field
            label="Group principal id"
            name="groupPrincipalId"
            required
            value={group}
            error={errors.groupPrincipalId}
            onChange={(e) => setGroup(e.target.value)}
          />
        )}
        <SelectField
          label="Role"
          name="roleTemplateId"
          value={role}
          error={errors.roleTemplateId}
          onChange={(e) => setRole(e.target.value)}
          options={props.templates.map((t) => ({ value: t.id, label: t.name }))}
        />
        <FormFooter error={errors.form} submitLabel="Add member" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}
