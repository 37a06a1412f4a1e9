import { useMemo, useState } from 'react';
import { api } from '../api/http';
import type { GlobalRole, PolicyRule, RoleTemplate, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { Button } from '../components/Button';
import { globalRole as globalRoleType } from '../../../src/schema/types/global-role.js';
import { roleTemplate as roleTemplateType } from '../../../src/schema/types/role-template.js';
import { DataTable } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { SchemaForm } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

type Role = (GlobalRole | RoleTemplate) & { context?: 'cluster' | 'project' };

export function RolesPage() {
  const [tab, setTab] = useState<'global' | 'templates'>('templates');
  return (
    <section>
      <h1>Roles</h1>
      <div className="tabs" role="tablist" aria-label="Kinds of roles">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'templates'}
          className={tab === 'templates' ? 'tab tab-active' : 'tab'}
          onClick={() => setTab('templates')}
        >
          Cluster &amp; project role templates
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'global'}
          className={tab === 'global' ? 'tab tab-active' : 'tab'}
          onClick={() => setTab('global')}
        >
          Global roles
        </button>
      </div>
      {tab === 'templates' ? <RoleList kind="roleTemplate" /> : <RoleList kind="globalRole" />}
    </section>
  );
}

const DEFS = { roleTemplate: roleTemplateType, globalRole: globalRoleType };

function RoleList(props: { kind: 'roleTemplate' | 'globalRole' }) {
  const { items, state } = useLiveList<Role>({ kind: 'v3', type: props.kind });
  const collection = useApi<V3Collection<Role>>(`/v3/${props.kind}s?limit=1`);
  const [viewing, setViewing] = useState<Role | null>(null);
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const columns = useMemo(
    () =>
      schemaColumns<Role>(DEFS[props.kind], {
        columns: [
          'name',
          'id',
          ...(props.kind === 'roleTemplate' ? ['context'] : []),
          'builtin',
          'rules',
          'description',
          'actions',
        ],
        override: {
          name: {
            cell: (r) => (
              <button
                type="button"
                className="btn-link"
                onClick={() => setViewing(r)}
                aria-label={`View rules of ${r.name}`}
              >
                {r.name}
              </button>
            ),
            filterValue: (r) => `${r.name} ${r.id} ${r.description ?? ''}`,
          },
          id: { width: '200px' },
          context: { width: '90px' },
          builtin: { header: 'Kind', cell: (r) => (r.builtin ? 'built-in' : 'custom') },
          description: { sortValue: undefined },
        },
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '90px',
            // Built-in roles are the server's; only custom ones are edited here.
            cell: (r) =>
              r.links.update && !r.builtin ? (
                <Button className="btn-small" aria-label={`Edit ${r.name}`} onClick={() => setEditing(r)}>
                  Edit
                </Button>
              ) : null,
          },
        ],
      }),
    [props.kind],
  );
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>{props.kind === 'roleTemplate' ? 'Role templates' : 'Global roles'}</h2>
        {collection.data?.createTypes?.[props.kind] && (
          <Button variant="primary" onClick={() => setEditing('new')}>
            {props.kind === 'roleTemplate' ? 'Create role template' : 'Create global role'}
          </Button>
        )}
      </div>
      <DataTable
        label={props.kind === 'roleTemplate' ? 'Role templates' : 'Global roles'}
        rows={items}
        columns={columns}
        rowKey={(r) => r.id}
        initialSort={{ id: 'name' }}
        emptyText={state === 'loading' ? 'Loading…' : 'None.'}
      />
      {viewing && <RulesDialog role={viewing} onClose={() => setViewing(null)} />}
      {editing && (
        <RoleDialog kind={props.kind} role={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />
      )}
    </div>
  );
}

const list = (xs?: string[]) => (xs && xs.length ? xs.join(', ') : '—');

function RulesTable(props: { rules: PolicyRule[] }) {
  return (
    <table className="simple-table">
      <thead>
        <tr>
          <th scope="col">API groups</th>
          <th scope="col">Resources</th>
          <th scope="col">Verbs</th>
        </tr>
      </thead>
      <tbody>
        {props.rules.map((r, i) => (
          <tr key={i}>
            <td>{list(r.apiGroups?.map((g) => g || '(core)'))}</td>
            <td>{list([...(r.resources ?? []), ...(r.nonResourceURLs ?? [])])}</td>
            <td>{list(r.verbs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RulesDialog(props: { role: Role; onClose: () => void }) {
  const inherited = 'roleTemplateIds' in props.role ? props.role.roleTemplateIds : [];
  return (
    <Dialog title={`${props.role.name} (${props.role.builtin ? 'built-in' : 'custom'})`} onClose={props.onClose} wide>
      {props.role.description && <p>{props.role.description}</p>}
      {inherited.length > 0 && (
        <p>
          Also includes: <code>{inherited.join(', ')}</code>
        </p>
      )}
      {props.role.rules?.length ? (
        <RulesTable rules={props.role.rules} />
      ) : (
        <p className="muted">No rules of its own.</p>
      )}
    </Dialog>
  );
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x, i, all) => x !== '' || all.length === 1);

/** A rule as its inputs hold it; the parts the inputs do not show (resourceNames…) are kept as they were. */
interface RuleRow {
  apiGroups: string;
  resources: string;
  verbs: string;
  rest: PolicyRule | null;
}

const ruleRow = (r: PolicyRule): RuleRow => ({
  apiGroups: (r.apiGroups ?? []).join(', '),
  resources: (r.resources ?? []).join(', '),
  verbs: r.verbs.join(', '),
  rest: r,
});

/** The declared fields the form shows; the rules have an editor of their own. */
const FORM_FIELDS = {
  roleTemplate: ['name', 'description', 'context', 'locked'],
  globalRole: ['name', 'description', 'newUserDefault'],
} as const;

/** Creates a role (template), or edits a custom one. */
function RoleDialog(props: { kind: 'roleTemplate' | 'globalRole'; role?: Role; onClose: () => void }) {
  const { role } = props;
  const [rules, setRules] = useState<RuleRow[]>(() =>
    role
      ? (role.rules ?? []).map(ruleRow)
      : [{ apiGroups: '', resources: 'pods', verbs: 'get, list, watch', rest: null }],
  );
  const submit = async (body: Record<string, unknown>) => {
    // An empty API group is the core group ("" in Kubernetes RBAC).
    body.rules = rules.map((r) => ({
      ...r.rest,
      apiGroups: r.apiGroups.trim() === '' ? [''] : splitList(r.apiGroups),
      resources: splitList(r.resources),
      verbs: splitList(r.verbs),
    }));
    if (role) await api('PUT', `/v3/${props.kind}s/${role.id}`, body);
    else await api('POST', `/v3/${props.kind}s`, body);
    props.onClose();
  };

  const setRule = (i: number, patch: Partial<RuleRow>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const ruleError = (errors: Record<string, string>, i: number) =>
    Object.entries(errors).find(([k]) => k.startsWith(`rules.${i}`) || k.startsWith(`rules[${i}]`))?.[1];
  const noun = props.kind === 'roleTemplate' ? 'role template' : 'global role';

  return (
    <Dialog title={role ? `Edit ${noun} ${role.name}` : `Create a ${noun}`} onClose={props.onClose} wide>
      <SchemaForm
        fields={DEFS[props.kind].fields}
        names={FORM_FIELDS[props.kind]}
        mode={role ? 'update' : 'create'}
        initial={role ?? { context: 'project' }}
        submitLabel={role ? 'Save' : 'Create'}
        onSubmit={submit}
        onCancel={props.onClose}
        extraFields={['rules']}
        extra={(errors) => (
          <fieldset>
            <legend>Rules (comma-separated lists; empty API group is the core group)</legend>
            {rules.map((r, i) => (
              <div className="rule-row" key={i}>
                <Field
                  label={`Rule ${i + 1} API groups`}
                  className="field-compact"
                  value={r.apiGroups}
                  placeholder="(core)"
                  onChange={(e) => setRule(i, { apiGroups: e.target.value })}
                />
                <Field
                  label={`Rule ${i + 1} resources`}
                  className="field-compact"
                  value={r.resources}
                  error={ruleError(errors, i)}
                  onChange={(e) => setRule(i, { resources: e.target.value })}
                />
                <Field
                  label={`Rule ${i + 1} verbs`}
                  className="field-compact"
                  value={r.verbs}
                  onChange={(e) => setRule(i, { verbs: e.target.value })}
                />
                <Button
                  variant="link"
                  aria-label={`Remove rule ${i + 1}`}
                  onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
                >
                  Remove
                </Button>
              </div>
            ))}
            <Button
              onClick={() =>
                setRules((rs) => [...rs, { apiGroups: '', resources: '', verbs: 'get, list, watch', rest: null }])
              }
            >
              Add rule
            </Button>
            {errors.rules && (
              <p className="error" role="alert">
                {errors.rules}
              </p>
            )}
          </fieldset>
        )}
      />
    </Dialog>
  );
}
