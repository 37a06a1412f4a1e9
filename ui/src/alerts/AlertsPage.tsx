import { useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { ClusterAlertGroup, ClusterAlertRule, Notifier } from '../api/types';
import { clusterAlertGroup, clusterAlertRule, notifier } from '../../../src/schema/types/alerting.js';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { SelectField } from '../components/Field';
import { SchemaForm } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';
import '../monitoring/monitoring.css';

const KINDS = [
  { value: 'slackConfig', label: 'Slack' },
  { value: 'msteamsConfig', label: 'Microsoft Teams' },
  { value: 'pagerdutyConfig', label: 'PagerDuty' },
  { value: 'webhookConfig', label: 'Webhook' },
  { value: 'smtpConfig', label: 'Email (SMTP)' },
];

const RULE_ACTIONS = ['mute', 'unmute', 'deactivate', 'activate'] as const;

/**
 * A cluster's alerts: its rules with what fires now (firing since, last sent), the alert groups
 * (Alertmanager's routes: wait, interval, repeat) and the notifiers the groups send through.
 */
export function AlertsPage(props: { clusterId: string }) {
  const filter = { clusterId: props.clusterId };
  const rules = useLiveList<ClusterAlertRule>({ kind: 'v3', type: 'clusterAlertRule', filter });
  const groups = useLiveList<ClusterAlertGroup>({ kind: 'v3', type: 'clusterAlertGroup', filter });
  const notifiers = useLiveList<Notifier>({ kind: 'v3', type: 'notifier', filter });
  const [error, setError] = useState('');
  const [adding, setAdding] = useState<'' | 'notifier' | 'group' | 'rule'>('');
  const [kind, setKind] = useState('slackConfig');
  const act = (path: string) => void api('POST', path, {}).catch((e: unknown) => setError(errorMessage(e)));

  const ruleColumns = useMemo(
    () =>
      schemaColumns<ClusterAlertRule>(clusterAlertRule, {
        columns: ['name', 'severity', 'state', 'message', 'firingSince', 'lastSent', 'actions'],
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '180px',
            cell: (r) => (
              <span className="button-row">
                {RULE_ACTIONS.filter((a) => r.actions[a] && allowed(a, r.state)).map((a) => (
                  <Button
                    key={a}
                    className="btn-small"
                    aria-label={`${a} rule ${r.name}`}
                    onClick={() => act(`/v3/clusterAlertRules/${r.id}?action=${a}`)}
                  >
                    {a[0]!.toUpperCase() + a.slice(1)}
                  </Button>
                ))}
              </span>
            ),
          },
        ],
      }),
    [],
  );
  const notifierColumns = useMemo(
    () =>
      schemaColumns<Notifier>(notifier, {
        columns: ['name', 'kind', 'sendResolved', 'lastSent', 'lastError', 'actions'],
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '110px',
            cell: (n) => (
              <Button
                className="btn-small"
                aria-label={`Send a test message through ${n.name}`}
                onClick={() =>
                  void api('POST', `/v3/notifiers/${n.id}?action=send`, { message: 'Test message from Corral' }).then(
                    () => setError(''),
                    (e: unknown) => setError(errorMessage(e)),
                  )
                }
              >
                Test
              </Button>
            ),
          },
        ],
      }),
    [],
  );
  const groupColumns = useMemo(
    () =>
      schemaColumns<ClusterAlertGroup>(clusterAlertGroup, {
        columns: ['name', 'groupWaitSeconds', 'groupIntervalSeconds', 'repeatIntervalSeconds', 'recipients'],
        override: {
          recipients: {
            cell: (g: ClusterAlertGroup) =>
              (g.recipients ?? [])
                .map(
                  (r: { notifierId: string }) =>
                    notifiers.items.find((n) => n.id === r.notifierId)?.name ?? r.notifierId,
                )
                .join(', '),
          },
        },
      }),
    [notifiers.items],
  );

  return (
    <section>
      <div className="page-header">
        <h1>Alerts</h1>
        <span className="button-row">
          <Button onClick={() => setAdding('notifier')}>Add notifier</Button>
          <Button onClick={() => setAdding('group')} disabled={!notifiers.items.length}>
            Add alert group
          </Button>
          <Button variant="primary" onClick={() => setAdding('rule')} disabled={!groups.items.length}>
            Add rule
          </Button>
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="panel">
        <h2>Rules</h2>
        <DataTable
          label="Alert rules"
          rows={rules.items}
          columns={ruleColumns}
          rowKey={(r) => r.id}
          initialSort={{ id: 'name' }}
        />
      </div>
      <div className="panel">
        <h2>Alert groups</h2>
        <DataTable
          label="Alert groups"
          rows={groups.items}
          columns={groupColumns}
          rowKey={(g) => g.id}
          initialSort={{ id: 'name' }}
        />
      </div>
      <div className="panel">
        <h2>Notifiers</h2>
        <DataTable
          label="Notifiers"
          rows={notifiers.items}
          columns={notifierColumns}
          rowKey={(n) => n.id}
          initialSort={{ id: 'name' }}
        />
      </div>
      {adding === 'notifier' && (
        <Dialog title="Add a notifier" onClose={() => setAdding('')} wide>
          <SelectField label="Kind" value={kind} options={KINDS} onChange={(e) => setKind(e.target.value)} />
          <SchemaForm
            key={kind}
            fields={notifier.fields}
            names={['name', 'description', 'sendResolved', kind]}
            mode="create"
            hints={{ [kind]: 'Webhook URLs, keys and passwords are stored encrypted and never shown again.' }}
            submitLabel="Add"
            onCancel={() => setAdding('')}
            onSubmit={async (body) => {
              await api('POST', '/v3/notifiers', { ...body, clusterId: props.clusterId });
              setAdding('');
            }}
          />
        </Dialog>
      )}
      {adding === 'group' && (
        <Dialog title="Add an alert group" onClose={() => setAdding('')} wide>
          <GroupForm clusterId={props.clusterId} notifiers={notifiers.items} onDone={() => setAdding('')} />
        </Dialog>
      )}
      {adding === 'rule' && (
        <Dialog title="Add an alert rule" onClose={() => setAdding('')} wide>
          <RuleForm clusterId={props.clusterId} groups={groups.items} onDone={() => setAdding('')} />
        </Dialog>
      )}
    </section>
  );
}

function allowed(action: (typeof RULE_ACTIONS)[number], state: string): boolean {
  if (action === 'mute') return state === 'active' || state === 'alerting';
  if (action === 'unmute') return state === 'muted';
  if (action === 'activate') return state === 'inactive';
  return state !== 'inactive';
}

function GroupForm(props: { clusterId: string; notifiers: Notifier[]; onDone: () => void }) {
  const [chosen, setChosen] = useState<string[]>([]);
  return (
    <SchemaForm
      fields={clusterAlertGroup.fields}
      names={['name', 'description', 'groupWaitSeconds', 'groupIntervalSeconds', 'repeatIntervalSeconds']}
      mode="create"
      submitLabel="Add"
      onCancel={props.onDone}
      extraFields={['recipients']}
      extra={(errors) => (
        <fieldset className="fieldset">
          <legend>Send to</legend>
          {props.notifiers.map((n) => (
            <label key={n.id} className="checkbox">
              <input
                type="checkbox"
                checked={chosen.includes(n.id)}
                onChange={(e) => setChosen((c) => (e.target.checked ? [...c, n.id] : c.filter((x) => x !== n.id)))}
              />{' '}
              {n.name} ({n.kind})
            </label>
          ))}
          {errors.recipients && <p className="error">{errors.recipients}</p>}
        </fieldset>
      )}
      onSubmit={async (body) => {
        await api('POST', '/v3/clusterAlertGroups', {
          ...body,
          clusterId: props.clusterId,
          recipients: chosen.map((notifierId) => ({ notifierId })),
        });
        props.onDone();
      }}
    />
  );
}

const CONDITIONS = [
  { value: 'nodeRule', label: 'A node is not ready' },
  { value: 'eventRule', label: 'Events of a kind' },
  { value: 'systemServiceRule', label: 'A system service is unhealthy' },
  { value: 'metricRule', label: 'A metric crosses a threshold (needs monitoring)' },
];

function RuleForm(props: { clusterId: string; groups: ClusterAlertGroup[]; onDone: () => void }) {
  const [condition, setCondition] = useState('nodeRule');
  const [groupId, setGroupId] = useState(props.groups[0]?.id ?? '');
  return (
    <>
      <SelectField
        label="Group"
        value={groupId}
        options={props.groups.map((g) => ({ value: g.id, label: g.name }))}
        onChange={(e) => setGroupId(e.target.value)}
      />
      <SelectField
        label="Condition"
        value={condition}
        options={CONDITIONS}
        onChange={(e) => setCondition(e.target.value)}
      />
      <SchemaForm
        key={condition}
        fields={clusterAlertRule.fields}
        names={['name', 'severity', condition]}
        mode="create"
        submitLabel="Add"
        onCancel={props.onDone}
        onSubmit={async (body) => {
          await api('POST', '/v3/clusterAlertRules', { ...body, clusterId: props.clusterId, groupId });
          props.onDone();
        }}
      />
    </>
  );
}
