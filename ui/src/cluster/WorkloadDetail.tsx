/**
 * What a workload's page adds to its summary: why a rollout is stuck (in words, from its
 * conditions, its pods and their events), its pods, its conditions and its events — all live —
 * and, for a Deployment, its revisions with what changed, to roll back to one.
 */
import { useState } from 'react';
import { stringify } from 'yaml';
import { currentRevision, historyOf } from '../../../src/schema/workload-spec.js';
import { api, errorMessage } from '../api/http';
import { Link } from '../app/router';
import { Age } from '../components/Age';
import { Button } from '../components/Button';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { podStatus, proxyBase, type Condition, type KubeObject } from './k8s';
import { kindById, detailRoute } from './kinds';

const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

/** Whether a pod belongs to the workload: its selector's labels are all on the pod. */
function selects(obj: KubeObject, pod: KubeObject): boolean {
  const match = (obj.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  const labels = pod.metadata.labels ?? {};
  const keys = Object.keys(match);
  return keys.length > 0 && keys.every((k) => labels[k] === match[k]);
}

/** Plain reasons a rollout does not progress, most telling first. */
export function stuckReasons(obj: KubeObject, pods: KubeObject[], events: KubeObject[]): string[] {
  const out: string[] = [];
  const conditions = (obj.status?.conditions ?? []) as Condition[];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) {
    const quota = /exceeded quota|forbidden: .*quota/i.test(failure.message ?? '');
    out.push(
      quota
        ? `Quota: new pods are refused by a resource quota of the namespace (${failure.message}).`
        : `Pods cannot be created: ${failure.message ?? failure.reason ?? ''}`,
    );
  }
  for (const e of events)
    if (e.type === 'Warning' && e.reason === 'FailedCreate' && /quota/i.test(String(e.message)) && !failure)
      out.push(`Quota: ${String(e.message)}`);
  for (const p of pods) {
    const scheduled = ((p.status?.conditions ?? []) as Condition[]).find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
      out.push(`Scheduling: pod ${p.metadata.name} fits on no node (${scheduled.message ?? 'no reason given'}).`);
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const reason: string | undefined = cs.state?.waiting?.reason;
      if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull' || reason === 'InvalidImageName')
        out.push(
          `Image: pod ${p.metadata.name} cannot pull ${String(cs.image)} (${cs.state.waiting.message ?? reason}).`,
        );
      else if (reason === 'CrashLoopBackOff')
        out.push(`Crashing: container ${String(cs.name)} of pod ${p.metadata.name} keeps exiting; see its logs.`);
    }
  }
  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    out.push(`The rollout passed its deadline: ${progressing.message ?? ''}`);
  if (obj.spec?.paused) out.push('The rollout is paused: resume it to roll out changes.');
  return [...new Set(out)];
}

export function WorkloadDetail(props: { clusterId: string; obj: KubeObject }) {
  const { clusterId, obj } = props;
  const ns = obj.metadata.namespace ?? 'default';
  const podsList = useLiveList<KubeObject>({
    kind: 'k8s',
    cluster: clusterId,
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
  });
  const eventsList = useLiveList<KubeObject>({
    kind: 'k8s',
    cluster: clusterId,
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
  });
  const pods = podsList.items.filter((p) => selects(obj, p));
  const podNames = new Set(pods.map((p) => p.metadata.name));
  const events = eventsList.items
    .filter((e) => {
      const io = e.involvedObject ?? {};
      return (
        (io.name === obj.metadata.name && io.kind === obj.kind) ||
        (io.kind === 'Pod' && podNames.has(io.name)) ||
        (io.kind === 'ReplicaSet' && String(io.name).startsWith(`${obj.metadata.name}-`))
      );
    })
    .sort((a, b) =>
      String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')),
    );
  const reasons = stuckReasons(obj, pods, events);
  const podKind = kindById('pods')!;
  const conditions = (obj.status?.conditions ?? []) as Condition[];

  return (
    <>
      {reasons.length > 0 && (
        <div className="alert alert-warn" role="alert" aria-label="Why the rollout is stuck">
          <strong>Why the rollout is not progressing</strong>
          <ul>
            {reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      <h3>Pods</h3>
      <table className="simple-table" aria-label="Pods of the workload">
        <thead>
          <tr>
            <th scope="col">Pod</th>
            <th scope="col">Status</th>
            <th scope="col">Node</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {pods.map((p) => (
            <tr key={p.metadata.name}>
              <th scope="row">
                <Link to={detailRoute(clusterId, podKind, p)} className="mono">
                  {p.metadata.name}
                </Link>
              </th>
              <td>
                <StateBadge state={podStatus(p)} />
              </td>
              <td>{p.spec?.nodeName ?? '—'}</td>
              <td>
                <Age time={p.metadata.creationTimestamp} />
              </td>
            </tr>
          ))}
          {pods.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No pods.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h3>Conditions</h3>
      <ConditionsTable
        label="Workload conditions"
        conditions={conditions}
        // ReplicaFailure is the one whose True is bad.
        healthy={(c) => (c.status === 'Unknown' ? undefined : (c.type === 'ReplicaFailure') !== (c.status === 'True'))}
      />
      <h3>Events</h3>
      <table className="simple-table" aria-label="Workload events">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Reason</th>
            <th scope="col">Object</th>
            <th scope="col">Message</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, 50).map((e) => (
            <tr key={e.metadata.uid ?? e.metadata.name}>
              <td>
                <StateBadge state={String(e.type ?? 'Normal')} />
              </td>
              <td>{String(e.reason ?? '')}</td>
              <td className="mono">{`${String(e.involvedObject?.kind)}/${String(e.involvedObject?.name)}`}</td>
              <td>{String(e.message ?? '')}</td>
              <td>
                <Age time={String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '')} />
              </td>
            </tr>
          ))}
          {events.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No events.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}

/** Conditions with their status coloured by what is healthy for each (a False pressure is good). */
export function ConditionsTable(props: {
  label: string;
  conditions: Condition[];
  healthy(c: Condition): boolean | undefined;
}) {
  return (
    <table className="simple-table" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">Condition</th>
          <th scope="col">Status</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {props.conditions.map((c) => {
          const h = props.healthy(c);
          return (
            <tr key={c.type}>
              <th scope="row">{c.type}</th>
              <td>
                <StateBadge
                  state={c.status}
                  tone={h === undefined ? 'warn' : h ? 'ok' : 'bad'}
                  title={h === undefined ? 'unknown' : h ? 'healthy' : 'unhealthy'}
                />
              </td>
              <td>{c.reason}</td>
              <td>{c.message}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Lines of a and b with what was removed (-), added (+) or kept; a plain LCS, enough for a template. */
export function lineDiff(a: string, b: string): { op: ' ' | '-' | '+'; line: string }[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', line: x[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', line: x[i++]! });
    else out.push({ op: '+', line: y[j++]! });
  }
  while (i < n) out.push({ op: '-', line: x[i++]! });
  while (j < m) out.push({ op: '+', line: y[j++]! });
  return out;
}

/** A Deployment's revisions (its ReplicaSets): pick one, see what rolling back would change, roll back. */
/** Where each kind keeps its revisions, and its API path (Deployments: ReplicaSets; others: ControllerRevisions). */
const HISTORY: Record<string, { plural: string; revisions: string }> = {
  deployments: { plural: 'deployments', revisions: 'replicasets' },
  statefulsets: { plural: 'statefulsets', revisions: 'controllerrevisions' },
  daemonsets: { plural: 'daemonsets', revisions: 'controllerrevisions' },
};

export const hasRevisions = (kindId: string) => kindId in HISTORY;

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * `value` with its keys in the order `model` has them (others after): a ControllerRevision keeps
 * its template with sorted keys, which would otherwise show as changes in the diff.
 */
function orderLike(value: unknown, model: unknown): unknown {
  if (Array.isArray(value)) return value.map((v, i) => orderLike(v, Array.isArray(model) ? model[i] : undefined));
  if (!isMap(value)) return value;
  const keys = isMap(model)
    ? [...Object.keys(model).filter((k) => k in value), ...Object.keys(value)]
    : Object.keys(value);
  return Object.fromEntries(
    [...new Set(keys)].map((k) => [k, orderLike(value[k], isMap(model) ? model[k] : undefined)]),
  );
}

export function Revisions(props: { clusterId: string; kindId: string; obj: KubeObject; canEdit: boolean }) {
  const { clusterId, obj } = props;
  const ns = obj.metadata.namespace ?? 'default';
  const where = HISTORY[props.kindId]!;
  const { items } = useLiveList<KubeObject>({
    kind: 'k8s',
    cluster: clusterId,
    path: `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${where.revisions}`,
  });
  const history = historyOf(obj as never, items as never);
  const current = currentRevision(obj as never, history);
  const [picked, setPicked] = useState<string | null>(null);
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<string>();
  const chosen = history.find((h) => h.name === picked);
  const now = stringify(obj.spec?.template ?? {});
  const diff = chosen ? lineDiff(now, stringify(orderLike(chosen.template, obj.spec?.template))) : [];

  const rollback = async () => {
    if (!chosen) return;
    setError(undefined);
    try {
      // As `kubectl rollout undo`, guarded by the version shown, so nothing newer is overwritten.
      await api(
        'PATCH',
        `${proxyBase(clusterId)}/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${where.plural}/${encodeURIComponent(obj.metadata.name)}`,
        [
          { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
          { op: 'replace', path: '/spec/template', value: chosen.template },
        ],
        { headers: JSON_PATCH },
      );
      setNote(`Rolled back to revision ${chosen.revision}.`);
      setPicked(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div className="revisions">
      <table className="simple-table" aria-label="Revisions">
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Images</th>
            <th scope="col">Created</th>
            <th scope="col">Pods</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {history.map((h) => {
            const rev = h.revision;
            const tpl = h.template as { spec?: { containers?: { image?: string }[] } };
            return (
              <tr key={h.name} aria-selected={h.name === picked}>
                <th scope="row">
                  {rev}
                  {rev === current ? ' (current)' : ''}
                </th>
                <td className="mono">{(tpl.spec?.containers ?? []).map((c) => c.image).join(', ')}</td>
                <td>
                  <Age time={h.created ?? undefined} suffix=" ago" />
                </td>
                <td>{h.replicas ?? '–'}</td>
                <td>
                  {rev !== current && (
                    <Button className="btn-small" onClick={() => setPicked(h.name)}>
                      Compare revision {rev}
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {chosen && (
        <>
          <h3>Rolling back to revision {chosen.revision} changes the pod template so:</h3>
          <pre className="yaml diff" aria-label="Changes of the rollback" tabIndex={0}>
            {diff
              .filter((d) => d.op !== ' ')
              .map((d, i) => (
                <div key={i} className={d.op === '+' ? 'diff-add' : 'diff-del'}>
                  {`${d.op} ${d.line}`}
                </div>
              ))}
          </pre>
          {props.canEdit && (
            <Button variant="primary" onClick={() => void rollback()}>
              Roll back to revision {chosen.revision}
            </Button>
          )}
        </>
      )}
      {note && (
        <p className="ok-text" role="status">
          {note}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
