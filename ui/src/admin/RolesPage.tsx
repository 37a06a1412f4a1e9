import { useMemo, useState } from 'react';
import { api } from '../api/http';
import type { GlobalRole, PolicyRule, RoleTemplate, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { Button } from '../components/Button';
import { DataTable, type Column } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { Field, SelectField } from '../components/Field';
import { useLiveList } from '../live/useLiveList';
import { useFormSubmit } from '../api/useFormSubmit';

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

function RoleList(props: { kind: 'roleTemplate' | 'globalRole' }) {
  const { items, state } = useLiveList<Role>({ kind: 'v3', type: props.kind });
  const collection = useApi<V3Collection<Role>>(`/v3/${props.kind}s?limit=1`);
  const [viewing, setViewing] = useState<Role | null>(null);
  const [creating, setCreating] = useState(false);
  const columns = useMemo<Column<Role>[]>(() => {
    const cols: Column<Role>[] = [
      {
        id: 'name',
        header: 'Name',
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
        sortValue: (r) => r.name,
        filterValue: (r) => `${r.name} ${r.id} ${r.description ?? ''}`,
      },
      { id: 'id', header: 'Id', width: '200px', cell: (r) => <code>{r.id}</code>, sortValue: (r) => r.id },
    ];
    if (props.kind === 'roleTemplate')
      cols.push({
        id: 'context',
        header: 'Context',
        width: '90px',
        cell: (r) => r.context,
        sortValue: (r) => r.context ?? '',
      });
    cols.push(
      {
        id: 'builtin',
        header: 'Kind',
        width: '90px',
        cell: (r) => (r.builtin ? 'built-in' : 'custom'),
        sortValue: (r) => (r.builtin ? 0 : 1),
      },
      { id: 'rules', header: 'Rules', width: '70px', cell: (r) => r.rules?.length ?? 0 },
      { id: 'description', header: 'Description', cell: (r) => r.description ?? '' },
    );
    return cols;
  }, [props.kind]);
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>{props.kind === 'roleTemplate' ? 'Role templates' : 'Global roles'}</h2>
        {collection.data?.createTypes?.[props.kind] && (
          <Button variant="primary" onClick={() => setCreating(true)}>
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
      {creating && <CreateRoleDialog kind={props.kind} onClose={() => setCreating(false)} />}
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

interface RuleRow {
  apiGroups: string;
  resources: string;
  verbs: string;
}

function CreateRoleDialog(props: { kind: 'roleTemplate' | 'globalRole'; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [context, setContext] = useState<'project' | 'cluster'>('project');
  const [rules, setRules] = useState<RuleRow[]>([{ apiGroups: '', resources: 'pods', verbs: 'get, list, watch' }]);
  const { errors, busy, submit } = useFormSubmit(async () => {
    const body: Record<string, unknown> = {
      name,
      description,
      // An empty API group is the core group ("" in Kubernetes RBAC).
      rules: rules.map((r) => ({
        apiGroups: r.apiGroups.trim() === '' ? [''] : splitList(r.apiGroups),
        resources: splitList(r.resources),
        verbs: splitList(r.verbs),
      })),
    };
    if (props.kind === 'roleTemplate') body.context = context;
    await api('POST', `/v3/${props.kind}s`, body);
    props.onClose();
  });

  const setRule = (i: number, patch: Partial<RuleRow>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const ruleError = (i: number) =>
    Object.entries(errors).find(([k]) => k.startsWith(`rules.${i}`) || k.startsWith(`rules[${i}]`))?.[1];

  return (
    <Dialog
      title={props.kind === 'roleTemplate' ? 'Create a role template' : 'Create a global role'}
      onClose={props.onClose}
      wide
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field
          label="Name"
          required
          autoFocus
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Description"
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        {props.kind === 'roleTemplate' && (
          <SelectField
            label="Context"
            value={context}
            error={errors.context}
            onChange={(e) => setContext(e.target.value as 'project' | 'cluster')}
            options={[
              { value: 'project', label: 'project' },
              { value: 'cluster', label: 'cluster' },
            ]}
          />
        )}
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
                error={ruleError(i)}
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
            onClick={() => setRules((rs) => [...rs, { apiGroups: '', resources: '', verbs: 'get, list, watch' }])}
          >
            Add rule
          </Button>
        </fieldset>
        {(errors.form || errors.rules) && (
          <p className="error" role="alert">
            {errors.form ?? errors.rules}
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
