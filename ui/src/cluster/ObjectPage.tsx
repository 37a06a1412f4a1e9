/**
 * One object: a summary that depends on its kind (node conditions and capacity, pod containers,
 * workload replicas, secret keys), its YAML, and for pods its logs. The object itself is live (a
 * watch on its collection narrowed to its name), so the page never shows a stale state.
 */
import { Age } from '../components/Age';
import { lazy, Suspense, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CertificateInfo } from './certificate';
import { Link } from '../app/router';
import { Button } from '../components/Button';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { condition, podReady, podRestarts, podStatus, proxyBase, type Condition, type KubeObject } from './k8s';
import {
  collectionPath,
  formatTaint,
  NODE_PRESSURES,
  nodeState,
  objectPath,
  withTypeMeta,
  type KindDef,
} from './kinds';
import { LiveStatus } from './LiveStatus';
import { ObjectActions, useObjectAccess } from './ObjectActions';
import { PodLogs } from './PodLogs';
import { ConditionsTable, hasRevisions, Revisions, WorkloadDetail } from './WorkloadDetail';
import { YamlEditor } from './YamlEditor';

type Tab = 'summary' | 'yaml' | 'logs' | 'shell' | 'revisions';

// The terminal (xterm) is loaded only when a shell is opened.
const PodShell = lazy(() => import('./PodShell'));

export default function ObjectPage(props: {
  clusterId: string;
  kind: KindDef;
  namespace: string | undefined;
  name: string;
  search: string;
}) {
  const { clusterId, kind, namespace, name, search } = props;
  const { items, state, error } = useLiveList<KubeObject>({
    kind: 'k8s',
    cluster: clusterId,
    path: collectionPath(kind, namespace),
    fieldSelector: `metadata.name=${name}`,
  });
  const obj = items.find((o) => o.metadata.name === name);
  const url = `${proxyBase(clusterId)}${objectPath(kind, namespace, name)}`;
  const listRoute = `/c/${encodeURIComponent(clusterId)}/${kind.id}${search}`;
  const access = useObjectAccess(clusterId, kind, namespace);
  const canEdit = access.update;
  const tabs: { id: Tab; label: string }[] = [
    { id: 'summary', label: 'Summary' },
    { id: 'yaml', label: 'YAML' },
    ...(kind.logs ? [{ id: 'logs' as const, label: 'Logs' }] : []),
    ...(kind.id === 'pods' ? [{ id: 'shell' as const, label: 'Shell' }] : []),
    ...(hasRevisions(kind.id) ? [{ id: 'revisions' as const, label: 'Revisions' }] : []),
  ];
  const [tab, setTab] = useState<Tab>('summary');

  return (
    <section className="object-page" aria-labelledby="object-title">
      <p className="breadcrumbs">
        <Link to={listRoute}>{kind.label}</Link>
        {namespace ? ` / ${namespace}` : ''}
      </p>
      <div className="section-head">
        <h2 id="object-title">
          {kind.singular} <span className="mono">{name}</span>
        </h2>
        <LiveStatus state={state} error={error} />
      </div>
      {!obj ? (
        state === 'live' ? (
          <p className="alert alert-warn" role="alert">
            {kind.singular} {name} does not exist{namespace ? ` in namespace ${namespace}` : ''} (any more).
          </p>
        ) : (
          state !== 'error' && <p className="muted">Loading…</p>
        )
      ) : (
        <>
          <ObjectActions kind={kind} obj={obj} url={url} listRoute={listRoute} access={access} />
          <Tabs<Tab> tabs={tabs} current={tab} onChange={setTab} label={`${kind.singular} ${name}`}>
            {tab === 'summary' && <Summary clusterId={clusterId} kind={kind} obj={obj} />}
            {tab === 'yaml' &&
              (kind.id === 'secrets' ? (
                <SecretYaml obj={withTypeMeta(kind, obj)} url={url} canEdit={!!canEdit} />
              ) : (
                <YamlEditor obj={withTypeMeta(kind, obj)} url={url} kindLabel={kind.singular} canEdit={!!canEdit} />
              ))}
            {tab === 'logs' && <PodLogs clusterId={clusterId} pod={obj} />}
            {tab === 'shell' && (
              <Suspense fallback={<p className="muted">Loading the terminal…</p>}>
                <PodShell clusterId={clusterId} pod={obj} />
              </Suspense>
            )}
            {tab === 'revisions' && (
              <Revisions clusterId={clusterId} kindId={kind.id} obj={obj} canEdit={!!access.patch} />
            )}
          </Tabs>
        </>
      )}
    </section>
  );
}

/** ARIA tabs: arrow keys move between tabs, the panel follows. */
function Tabs<T extends string>(props: {
  tabs: { id: T; label: string }[];
  current: T;
  onChange(id: T): void;
  label: string;
  children: ReactNode;
}) {
  const base = useId();
  const refs = useRef(new Map<T, HTMLButtonElement>());
  const onKey = (e: KeyboardEvent) => {
    const i = props.tabs.findIndex((t) => t.id === props.current);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = props.tabs[(next + props.tabs.length) % props.tabs.length]!;
    props.onChange(t.id);
    refs.current.get(t.id)?.focus();
  };
  return (
    <div className="object-tabs">
      <div role="tablist" className="tabs" aria-label={props.label} onKeyDown={onKey}>
        {props.tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) refs.current.set(t.id, el);
            }}
            type="button"
            role="tab"
            id={`${base}-${t.id}`}
            aria-selected={t.id === props.current}
            aria-controls={`${base}-panel`}
            tabIndex={t.id === props.current ? 0 : -1}
            className={t.id === props.current ? 'tab tab-active' : 'tab'}
            onClick={() => props.onChange(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-${props.current}`} className="tab-panel">
        {props.children}
      </div>
    </div>
  );
}

function KeyValues(props: { title: string; values: Record<string, string> | undefined }) {
  const entries = Object.entries(props.values ?? {});
  return (
    <div className="kv">
      <h3>{props.title}</h3>
      {entries.length ? (
        <ul className="chips">
          {entries.map(([k, v]) => (
            <li key={k} className="chip mono">
              {k}
              {v ? `=${v}` : ''}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None.</p>
      )}
    </div>
  );
}

function Summary(props: { clusterId: string; kind: KindDef; obj: KubeObject }) {
  const { kind, obj } = props;
  return (
    <div className="summary">
      <dl className="facts">
        <dt>Created</dt>
        <dd>
          {obj.metadata.creationTimestamp} (<Age time={obj.metadata.creationTimestamp} suffix=" ago" />)
        </dd>
        {obj.metadata.namespace && (
          <>
            <dt>Namespace</dt>
            <dd>{obj.metadata.namespace}</dd>
          </>
        )}
        {(obj.metadata.ownerReferences ?? []).length > 0 && (
          <>
            <dt>Owned by</dt>
            <dd>{obj.metadata.ownerReferences!.map((r) => `${r.kind}/${r.name}`).join(', ')}</dd>
          </>
        )}
      </dl>
      {kind.id === 'nodes' && <NodeSummary node={obj} />}
      {kind.id === 'pods' && <PodSummary clusterId={props.clusterId} pod={obj} />}
      {['deployments', 'statefulsets', 'daemonsets'].includes(kind.id) && (
        <>
          <WorkloadSummary obj={withTypeMeta(kind, obj)} />
          <WorkloadDetail clusterId={props.clusterId} obj={withTypeMeta(kind, obj)} />
        </>
      )}
      {kind.id === 'secrets' && <SecretData secret={obj} />}
      {kind.id === 'configmaps' && <ConfigMapData cm={obj} />}
      <KeyValues title="Labels" values={obj.metadata.labels} />
      <KeyValues
        title="Annotations"
        values={kind.id === 'secrets' ? withoutAppliedValues(obj.metadata.annotations) : obj.metadata.annotations}
      />
    </div>
  );
}

/** kubectl apply keeps a Secret's last applied values, in clear, in an annotation: not shown unasked. */
function withoutAppliedValues(annotations: Record<string, string> | undefined) {
  const key = 'kubectl.kubernetes.io/last-applied-configuration';
  if (!annotations?.[key]) return annotations;
  return { ...annotations, [key]: '(hidden: it contains the values; see YAML)' };
}

function NodeSummary(props: { node: KubeObject }) {
  const n = props.node;
  const conditions = ['Ready', ...NODE_PRESSURES]
    .map((t) => condition(n, t) ?? ({ type: t, status: 'Unknown' } as Condition))
    .concat(
      ((n.status?.conditions ?? []) as Condition[]).filter((c) => !['Ready', ...NODE_PRESSURES].includes(c.type)),
    );
  const resources = [
    ...new Set([...Object.keys(n.status?.capacity ?? {}), ...Object.keys(n.status?.allocatable ?? {})]),
  ];
  const taints = (n.spec?.taints ?? []) as Parameters<typeof formatTaint>[0][];
  // For Ready, True is good; for the pressures (and NetworkUnavailable), False is.
  const healthy = (c: Condition) =>
    c.status === 'Unknown' ? undefined : (c.type === 'Ready') === (c.status === 'True');
  return (
    <>
      <p>
        Status: <StateBadge state={nodeState(n)} />
      </p>
      <h3>Conditions</h3>
      <ConditionsTable label="Node conditions" conditions={conditions} healthy={healthy} />
      <h3>Taints</h3>
      {taints.length ? (
        <ul className="chips">
          {taints.map((t) => (
            <li key={formatTaint(t)} className="chip mono">
              {formatTaint(t)}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No taints.</p>
      )}
      <h3>Capacity</h3>
      <table className="simple-table" aria-label="Node capacity">
        <thead>
          <tr>
            <th scope="col">Resource</th>
            <th scope="col">Capacity</th>
            <th scope="col">Allocatable</th>
          </tr>
        </thead>
        <tbody>
          {resources.map((r) => (
            <tr key={r}>
              <th scope="row">{r}</th>
              <td>{n.status?.capacity?.[r]}</td>
              <td>{n.status?.allocatable?.[r]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function PodSummary(props: { clusterId: string; pod: KubeObject }) {
  const p = props.pod;
  const r = podReady(p);
  const statuses = new Map(
    (
      (p.status?.containerStatuses ?? []) as { name: string; ready: boolean; restartCount: number; state?: object }[]
    ).map((s) => [s.name, s]),
  );
  return (
    <>
      <p>
        Status: <StateBadge state={podStatus(p)} /> Ready {r.ready}/{r.total}, {podRestarts(p)} restarts, node{' '}
        {p.spec?.nodeName ? (
          <Link to={`/c/${encodeURIComponent(props.clusterId)}/nodes/${encodeURIComponent(p.spec.nodeName)}`}>
            {p.spec.nodeName}
          </Link>
        ) : (
          'none yet'
        )}
        {p.status?.podIP ? `, IP ${p.status.podIP}` : ''}
      </p>
      <h3>Containers</h3>
      <table className="simple-table" aria-label="Containers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Image</th>
            <th scope="col">Ready</th>
            <th scope="col">Restarts</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {((p.spec?.containers ?? []) as { name: string; image: string }[]).map((c) => {
            const s = statuses.get(c.name);
            return (
              <tr key={c.name}>
                <th scope="row">{c.name}</th>
                <td className="mono">{c.image}</td>
                <td>{s ? (s.ready ? 'Yes' : 'No') : '–'}</td>
                <td>{s?.restartCount ?? 0}</td>
                <td>{s?.state ? Object.keys(s.state).join(', ') : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function WorkloadSummary(props: { obj: KubeObject }) {
  const o = props.obj;
  const images = ((o.spec?.template?.spec?.containers ?? []) as { name: string; image: string }[]).map(
    (c) => `${c.name}: ${c.image}`,
  );
  const selector = Object.entries((o.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return (
    <dl className="facts">
      {o.spec?.replicas !== undefined && (
        <>
          <dt>Replicas</dt>
          <dd>
            {o.status?.readyReplicas ?? 0} ready of {o.spec.replicas} wanted
          </dd>
        </>
      )}
      <dt>Selector</dt>
      <dd className="mono">{selector || '–'}</dd>
      <dt>Images</dt>
      <dd className="mono">{images.join('; ')}</dd>
      {o.spec?.template?.metadata?.annotations?.['corral.io/restartedAt'] && (
        <>
          <dt>Last redeploy</dt>
          <dd>{o.spec.template.metadata.annotations['corral.io/restartedAt']}</dd>
        </>
      )}
    </dl>
  );
}

function decodeBase64(value: string): string {
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `(binary, ${Math.floor((value.length * 3) / 4)} bytes, base64: ${value})`;
  }
}

const DAY = 86_400_000;

/** A TLS Secret's certificate, parsed in the browser (the parser is loaded only here). */
function TlsCertificate(props: { pem: string }) {
  const [info, setInfo] = useState<{ ok?: CertificateInfo; error?: string }>();
  useEffect(() => {
    let live = true;
    import('./certificate').then(
      (m) => {
        try {
          if (live) setInfo({ ok: m.certificateInfo(props.pem) });
        } catch (err) {
          if (live) setInfo({ error: (err as Error).message });
        }
      },
      (err: Error) => live && setInfo({ error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [props.pem]);
  if (!info) return <p className="muted">Reading the certificate…</p>;
  if (info.error) return <p className="error">The certificate cannot be read: {info.error}</p>;
  const c = info.ok!;
  const days = Math.floor((c.notAfter.getTime() - Date.now()) / DAY);
  return (
    <>
      <h3>Certificate</h3>
      <dl className="facts" aria-label="Certificate">
        <dt>Subject</dt>
        <dd className="mono">{c.subject}</dd>
        <dt>Issuer</dt>
        <dd className="mono">{c.issuer}</dd>
        <dt>Names</dt>
        <dd className="mono">{c.names.join(', ') || '–'}</dd>
        <dt>Valid from</dt>
        <dd>{c.notBefore.toISOString()}</dd>
        <dt>Expires</dt>
        <dd>
          {c.notAfter.toISOString()}{' '}
          {days < 0 ? (
            <StateBadge state="Expired" tone="bad" />
          ) : (
            <span className={days < 30 ? 'warn' : 'muted'}>
              (in {days} day{days === 1 ? '' : 's'})
            </span>
          )}
        </dd>
      </dl>
    </>
  );
}

/** A registry credential's registries and users; the passwords stay behind Reveal. */
function Registries(props: { dockerconfigjson: string }) {
  let auths: Record<string, { username?: string; auth?: string }> = {};
  try {
    auths = (JSON.parse(atob(props.dockerconfigjson)) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return <p className="error">.dockerconfigjson is not valid JSON.</p>;
  }
  const user = (a: { username?: string; auth?: string }) => {
    if (a.username) return a.username;
    try {
      return atob(a.auth ?? '').split(':')[0] ?? '';
    } catch {
      return '';
    }
  };
  return (
    <>
      <h3>Registries</h3>
      <ul aria-label="Registries">
        {Object.entries(auths).map(([host, a]) => (
          <li key={host}>
            <span className="mono">{host}</span> as <span className="mono">{user(a) || '(no user)'}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** Keys are listed; each value stays hidden until revealed on purpose, one key at a time. */
function SecretData(props: { secret: KubeObject }) {
  const data = (props.secret.data ?? {}) as Record<string, string>;
  const [shown, setShown] = useState<Set<string>>(new Set());
  const toggle = (k: string) =>
    setShown((s) => {
      const next = new Set(s);
      if (next.has(k)) next.delete(k);
      else next.add(k);
      return next;
    });
  return (
    <>
      <h3>Data</h3>
      <p>
        Type <span className="mono">{props.secret.type}</span>
      </p>
      {props.secret.type === 'kubernetes.io/tls' && data['tls.crt'] && (
        <TlsCertificate pem={decodeBase64(data['tls.crt'])} />
      )}
      {props.secret.type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson'] && (
        <Registries dockerconfigjson={data['.dockerconfigjson']} />
      )}
      {Object.keys(data).length ? (
        <table className="simple-table" aria-label="Secret data">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span className="visually-hidden">Reveal</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(data).map(([k, v]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="mono secret-value" data-testid={`secret-value-${k}`}>
                  {shown.has(k) ? decodeBase64(v) : '••••••••'}
                </td>
                <td>
                  <Button className="btn-small" aria-pressed={shown.has(k)} onClick={() => toggle(k)}>
                    {shown.has(k) ? `Hide ${k}` : `Reveal ${k}`}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No data.</p>
      )}
    </>
  );
}

function ConfigMapData(props: { cm: KubeObject }) {
  const data = (props.cm.data ?? {}) as Record<string, string>;
  return (
    <>
      <h3>Data</h3>
      {Object.entries(data).map(([k, v]) => (
        <div key={k} className="cm-entry">
          <h4 className="mono">{k}</h4>
          <pre className="yaml" tabIndex={0} aria-label={`Value of ${k}`}>
            {v}
          </pre>
        </div>
      ))}
      {!Object.keys(data).length && <p className="muted">No data.</p>}
    </>
  );
}

/** A Secret's YAML carries every value: shown (and editable) only after an explicit reveal. */
function SecretYaml(props: { obj: KubeObject; url: string; canEdit: boolean }) {
  const [revealed, setRevealed] = useState(false);
  if (!revealed) {
    return (
      <div className="alert alert-warn">
        <p>The YAML of a Secret contains all its values.</p>
        <Button onClick={() => setRevealed(true)}>Reveal values and show YAML</Button>
      </div>
    );
  }
  return <YamlEditor obj={props.obj} url={props.url} kindLabel="Secret" canEdit={props.canEdit} />;
}
