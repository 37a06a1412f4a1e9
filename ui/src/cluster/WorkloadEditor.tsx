/**
 * Deploy or edit a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob). The form and the
 * YAML view edit one and the same Kubernetes object: the form reads and writes its fields, the
 * YAML tab shows it whole and what is typed there becomes the object the form shows. Saving goes
 * through the cluster proxy as the user (the cluster's RBAC decides), then makes the Services the
 * ports ask for, with the plan the server's workload API follows (src/schema/workload-spec.ts).
 * The form edits every container: the app containers, init containers and sidecars (init
 * containers that keep running, `restartPolicy: Always`), one at a time, chosen at the top of its
 * section.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { parseDocument } from 'yaml';
import {
  containersWithPortKinds,
  planServices,
  PORTS_ANNOTATION,
  SELECTOR_LABEL,
  SERVICE_OWNER_LABEL,
  servicesFor,
  toKube,
  type WorkloadKind,
} from '../../../src/schema/workload-spec.js';
import { api, ApiRequestError, errorMessage } from '../api/http';
import { conflictingFields, userPatch } from './edit-conflict';
import { navigate } from '../app/router';
import { Button } from '../components/Button';
import { Field, SelectField } from '../components/Field';
import { FormFooter } from '../components/FormFooter';
import { proxyBase, type KubeObject } from './k8s';
import { collectionPath, detailRoute, objectPath, withTypeMeta, WORKLOAD_TYPES, type KindDef } from './kinds';
import { toYaml } from './YamlEditor';

/* eslint-disable @typescript-eslint/no-explicit-any -- the object is any Kubernetes workload */

const MERGE = { 'content-type': 'application/merge-patch+json' };

function podSpec(type: WorkloadKind, o: any): any {
  const holder = type === 'cronJob' ? ((o.spec.jobTemplate ??= {}).spec ??= {}) : (o.spec ??= {});
  const tpl = (holder.template ??= {});
  tpl.metadata ??= {};
  return (tpl.spec ??= {});
}
/** Which container the form shows: an app container or an init container (sidecars are these too). */
interface Sel {
  list: 'containers' | 'initContainers';
  index: number;
}
const FIRST: Sel = { list: 'containers', index: 0 };
function container(type: WorkloadKind, o: any, sel: Sel = FIRST): any {
  const p = podSpec(type, o);
  const list = (p[sel.list] ??= sel.list === 'containers' ? [{ name: 'container-0' }] : []);
  return (list[sel.index] ??= {});
}
const roleOf = (c: any, list: Sel['list']) =>
  list === 'containers' ? 'container' : c.restartPolicy === 'Always' ? 'sidecar' : 'init container';
const words = (s: string) => s.split(/\s+/).filter(Boolean);
const noTagOrLatest = (image: string) => {
  const last = image.split('/').pop() ?? '';
  return image !== '' && !last.includes('@') && (!last.includes(':') || last.endsWith(':latest'));
};

/** The ports annotation: per container, the Service kind each port asks for. */
function portKinds(o: any): any[][] {
  try {
    return JSON.parse(o.metadata.annotations?.[PORTS_ANNOTATION] ?? '[]');
  } catch {
    return [];
  }
}

export default function WorkloadEditor(props: {
  clusterId: string;
  kind: KindDef;
  /** Editing this object; creating when absent. */
  name?: string;
  namespace: string;
  namespaces: string[];
}) {
  const { clusterId, kind } = props;
  const type = WORKLOAD_TYPES[kind.id]!;
  const creating = props.name === undefined;
  const [obj, setObj] = useState<any>(() =>
    creating
      ? withTypeMeta(
          kind,
          toKube(type, {
            name: '',
            namespaceId: props.namespace || props.namespaces[0] || 'default',
            containers: [{ name: 'container-0', image: '' }],
            ...(type === 'cronJob' ? { cronJobConfig: { schedule: '*/5 * * * *' } } : {}),
            ...(type === 'deployment' || type === 'statefulSet' ? { scale: 1 } : {}),
          }) as KubeObject,
        )
      : null,
  );
  /** The object as it was opened: what a concurrent change is judged against. */
  const [base, setBase] = useState<KubeObject | null>(null);
  const [mode, setMode] = useState<'form' | 'yaml'>('form');
  const [yaml, setYaml] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sel, setSel] = useState<Sel>(FIRST);
  const url = (ns: string, name?: string) =>
    `${proxyBase(clusterId)}${name ? objectPath(kind, ns, name) : collectionPath(kind, ns)}`;

  useEffect(() => {
    if (creating) return;
    api<KubeObject>('GET', url(props.namespace, props.name)).then(
      (o) => {
        setObj(withTypeMeta(kind, o));
        setBase(withTypeMeta(kind, o));
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    // Loaded once: the editor works on the object as it was opened.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (!obj) return <p className="muted">{error ?? 'Loading…'}</p>;

  const edit = (fn: (draft: any) => void) =>
    setObj((prev: any) => {
      const d = structuredClone(prev);
      fn(d);
      return d;
    });
  const ps = podSpec(type, structuredClone(obj));
  const c = container(type, structuredClone(obj), sel);
  const ns = obj.metadata.namespace as string;

  const toYamlView = () => {
    setYaml(toYaml(obj));
    setMode('yaml');
  };
  const fromYaml = (): any | null => {
    const doc = parseDocument(yaml);
    const err = doc.errors[0];
    if (err) {
      setError(`YAML line ${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}`);
      return null;
    }
    const value = doc.toJS();
    if (!value || typeof value !== 'object' || !value.metadata) {
      setError(`The YAML must be one ${kind.singular}.`);
      return null;
    }
    setError(undefined);
    return value;
  };
  const toForm = () => {
    const v = fromYaml();
    if (!v) return;
    setObj(v);
    // The YAML may have removed the container the form showed.
    setSel(FIRST);
    setMode('form');
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    let o = obj;
    if (mode === 'yaml') {
      o = fromYaml();
      if (!o) return;
      setObj(o);
    }
    if (!o.metadata.name) {
      setError('Give the workload a name.');
      return;
    }
    const p = podSpec(type, structuredClone(o));
    const missing = [...(p.initContainers ?? []), ...(p.containers ?? [])].find((x: any) => !x.image);
    if (missing || !(p.containers ?? []).length) {
      setError(`Give container ${missing?.name ?? 'container-0'} an image.`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const target = o.metadata.namespace as string;
      const saved = creating ? await api<KubeObject>('POST', url(target), o) : await update(o);
      const svcBase = `${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(target)}/services`;
      const existing = await api<{ items: KubeObject[] }>(
        'GET',
        `${svcBase}?labelSelector=${encodeURIComponent(`${SERVICE_OWNER_LABEL}=${type.toLowerCase()}.${saved.metadata.name}`)}`,
      );
      const plan = planServices(
        servicesFor(type, saved as never, containersWithPortKinds(type, saved as never)) as KubeObject[],
        existing.items,
      );
      for (const s of plan.create) await api('POST', svcBase, s);
      for (const s of plan.update)
        await api('PATCH', `${svcBase}/${s.metadata.name}`, { spec: s.spec }, { headers: MERGE });
      for (const s of plan.remove) await api('DELETE', `${svcBase}/${s.metadata.name}`);
      navigate(detailRoute(clusterId, kind, saved));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  /**
   * The user's changes as a merge patch on the version they opened, as the YAML editor saves: a
   * rolling Deployment's status changes all the time, which is no reason to refuse the edit; a
   * field someone else changed too is (and is named).
   */
  const update = async (edited: KubeObject): Promise<KubeObject> => {
    const opened = base ?? edited;
    const changes = userPatch(opened, edited);
    const target = url(edited.metadata.namespace as string, edited.metadata.name);
    let version = opened.metadata.resourceVersion ?? '';
    for (let attempt = 0; ; attempt++) {
      const metadata = { ...((changes.metadata as object | undefined) ?? {}), resourceVersion: version };
      try {
        return await api<KubeObject>('PATCH', target, { ...changes, metadata }, { headers: MERGE });
      } catch (err) {
        if (!(err instanceof ApiRequestError && err.status === 409) || attempt === 4) throw err;
        const current = await api<KubeObject>('GET', target);
        const fields = conflictingFields(opened, edited, current);
        if (fields.length)
          throw new Error(
            `This ${kind.singular} changed in the cluster since you opened it, in what you changed too: ${fields.join(', ')}. Reload it and edit again.`,
            { cause: err },
          );
        version = current.metadata.resourceVersion ?? '';
      }
    }
  };

  const setName = (name: string) =>
    edit((d) => {
      d.metadata.name = name;
      relabel(d);
    });
  const setNamespace = (n: string) =>
    edit((d) => {
      d.metadata.namespace = n;
      relabel(d);
    });
  // A new workload's pod selector is named after it, as Rancher's is.
  const relabel = (d: any) => {
    const value = `${type.toLowerCase()}-${d.metadata.namespace}-${d.metadata.name}`;
    podSpec(type, d);
    const tpl = type === 'cronJob' ? d.spec.jobTemplate.spec.template : d.spec.template;
    tpl.metadata.labels = { ...tpl.metadata.labels, [SELECTOR_LABEL]: value };
    if (d.spec.selector) d.spec.selector = { matchLabels: { [SELECTOR_LABEL]: value } };
  };
  const setC = (fn: (c: any, d: any) => void) => edit((d) => fn(container(type, d, sel), d));

  return (
    <form className="workload-editor" onSubmit={(e) => void save(e)} aria-label={`${kind.singular} editor`}>
      <div className="section-head">
        <h2>{creating ? `Deploy a ${kind.singular}` : `Edit ${kind.singular} ${obj.metadata.name}`}</h2>
        <div role="tablist" className="tabs" aria-label="Editor view">
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'form'}
            className={mode === 'form' ? 'tab tab-active' : 'tab'}
            onClick={() => mode === 'yaml' && toForm()}
          >
            Form
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'yaml'}
            className={mode === 'yaml' ? 'tab tab-active' : 'tab'}
            onClick={() => mode === 'form' && toYamlView()}
          >
            YAML
          </button>
        </div>
      </div>
      {mode === 'yaml' ? (
        <textarea
          className="yaml"
          aria-label={`YAML of the ${kind.singular}`}
          value={yaml}
          rows={30}
          spellCheck={false}
          onChange={(e) => setYaml(e.target.value)}
        />
      ) : (
        <>
          <Section title="General">
            <Field
              label="Name"
              value={obj.metadata.name}
              disabled={!creating}
              required
              onChange={(e) => setName(e.target.value)}
            />
            {creating ? (
              <SelectField
                label="Namespace"
                value={ns}
                onChange={(e) => setNamespace(e.target.value)}
                options={[...new Set([ns, ...props.namespaces])].map((n) => ({ value: n, label: n }))}
              />
            ) : (
              <Field label="Namespace" value={ns} disabled />
            )}
            {(type === 'deployment' || type === 'statefulSet') && (
              <Field
                label="Replicas"
                type="number"
                min={0}
                value={obj.spec.replicas ?? 1}
                onChange={(e) => edit((d) => (d.spec.replicas = Number(e.target.value)))}
              />
            )}
            {type === 'cronJob' && (
              <>
                <Field
                  label="Schedule"
                  value={obj.spec.schedule ?? ''}
                  hint="cron syntax, e.g. */5 * * * *"
                  onChange={(e) => edit((d) => (d.spec.schedule = e.target.value))}
                />
                <SelectField
                  label="Concurrency"
                  value={obj.spec.concurrencyPolicy ?? 'Allow'}
                  onChange={(e) => edit((d) => (d.spec.concurrencyPolicy = e.target.value))}
                  options={['Allow', 'Forbid', 'Replace'].map((v) => ({ value: v, label: v }))}
                />
              </>
            )}
            {(type === 'job' || type === 'cronJob') && (
              <JobFields
                job={type === 'job' ? obj.spec : (obj.spec.jobTemplate?.spec ?? {})}
                onChange={(k, v) =>
                  edit((d) => {
                    const j = type === 'job' ? d.spec : d.spec.jobTemplate.spec;
                    if (v === undefined) delete j[k];
                    else j[k] = v;
                  })
                }
              />
            )}
          </Section>

          <Section title="Containers">
            <ContainerPicker
              pod={ps}
              sel={sel}
              onSelect={setSel}
              onAdd={(list, sidecar) => {
                setSel({ list, index: (ps[list] ?? []).length });
                edit((d) => {
                  const p = podSpec(type, d);
                  const all = [...(p.containers ?? []), ...(p.initContainers ?? [])].map((x: any) => x.name);
                  let n = all.length;
                  const prefix = list === 'containers' ? 'container' : sidecar ? 'sidecar' : 'init';
                  while (all.includes(`${prefix}-${n}`)) n++;
                  const added = { name: `${prefix}-${n}`, image: '', ...(sidecar ? { restartPolicy: 'Always' } : {}) };
                  p[list] = [...(p[list] ?? []), added];
                });
              }}
              onRemove={() => {
                setSel(FIRST);
                edit((d) => {
                  const p = podSpec(type, d);
                  p[sel.list].splice(sel.index, 1);
                  if (!p[sel.list].length) delete p[sel.list];
                  if (sel.list === 'containers') {
                    const kinds = portKinds(d);
                    if (kinds.length > sel.index) {
                      kinds.splice(sel.index, 1);
                      d.metadata.annotations = { ...d.metadata.annotations, [PORTS_ANNOTATION]: JSON.stringify(kinds) };
                    }
                  }
                });
              }}
            />
            <Field
              label="Container name"
              value={c.name ?? ''}
              required
              onChange={(e) => setC((x) => (x.name = e.target.value))}
            />
            <Field
              label="Image"
              value={c.image ?? ''}
              required
              placeholder="nginx:1.27"
              onChange={(e) => setC((x) => (x.image = e.target.value))}
              hint={
                noTagOrLatest(c.image ?? '') ? (
                  <span className="warn" role="note">
                    This image has no version tag (or :latest): each node may run a different image. Pin a version, or
                    pull it Always.
                  </span>
                ) : undefined
              }
            />
            <SelectField
              label="Pull policy"
              value={c.imagePullPolicy ?? ''}
              onChange={(e) =>
                setC((x) => (e.target.value ? (x.imagePullPolicy = e.target.value) : delete x.imagePullPolicy))
              }
              options={[
                { value: '', label: 'Kubernetes default' },
                ...['Always', 'IfNotPresent', 'Never'].map((v) => ({ value: v, label: v })),
              ]}
            />
            <Field
              label="Registry credentials"
              value={((ps.imagePullSecrets ?? []) as { name: string }[]).map((s) => s.name).join(', ')}
              hint="Secrets holding registry logins, separated by commas"
              onChange={(e) =>
                edit((d) => {
                  const names = e.target.value
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean);
                  const p = podSpec(type, d);
                  if (names.length) p.imagePullSecrets = names.map((name) => ({ name }));
                  else delete p.imagePullSecrets;
                })
              }
            />
            <Field
              label="Command"
              value={(c.command ?? []).join(' ')}
              hint="separated by spaces (YAML for arguments with spaces)"
              onChange={(e) =>
                setC((x) => (words(e.target.value).length ? (x.command = words(e.target.value)) : delete x.command))
              }
            />
            <Field
              label="Arguments"
              value={(c.args ?? []).join(' ')}
              onChange={(e) =>
                setC((x) => (words(e.target.value).length ? (x.args = words(e.target.value)) : delete x.args))
              }
            />
            <Field
              label="Working directory"
              value={c.workingDir ?? ''}
              onChange={(e) => setC((x) => (e.target.value ? (x.workingDir = e.target.value) : delete x.workingDir))}
            />
          </Section>

          {sel.list === 'containers' && (
            <Section title="Ports">
              <Rows
                label="port"
                items={(c.ports ?? []) as any[]}
                onAdd={() =>
                  edit((d) => {
                    const x = container(type, d, sel);
                    x.ports = [...(x.ports ?? []), { containerPort: 80 + (x.ports?.length ?? 0), protocol: 'TCP' }];
                    writeKinds(d);
                  })
                }
                onRemove={(i) =>
                  edit((d) => {
                    const x = container(type, d, sel);
                    const kinds = portKinds(d);
                    kinds[sel.index] = (kinds[sel.index] ?? []).filter(
                      (k: any) => k.containerPort !== x.ports[i].containerPort,
                    );
                    x.ports.splice(i, 1);
                    if (!x.ports.length) delete x.ports;
                    d.metadata.annotations = { ...d.metadata.annotations, [PORTS_ANNOTATION]: JSON.stringify(kinds) };
                  })
                }
                render={(p, i) => {
                  const k = (portKinds(obj)[sel.index] ?? []).find((x: any) => x.containerPort === p.containerPort);
                  return (
                    <>
                      <Field
                        label={`Port ${i + 1}`}
                        type="number"
                        min={1}
                        max={65535}
                        value={p.containerPort}
                        onChange={(e) =>
                          edit((d) => {
                            const before = container(type, d, sel).ports[i].containerPort;
                            container(type, d, sel).ports[i].containerPort = Number(e.target.value);
                            const kinds = portKinds(d);
                            for (const x of kinds[sel.index] ?? [])
                              if (x.containerPort === before) x.containerPort = Number(e.target.value);
                            d.metadata.annotations = {
                              ...d.metadata.annotations,
                              [PORTS_ANNOTATION]: JSON.stringify(kinds),
                            };
                          })
                        }
                      />
                      <SelectField
                        label={`Protocol ${i + 1}`}
                        value={p.protocol ?? 'TCP'}
                        onChange={(e) => setC((x) => (x.ports[i].protocol = e.target.value))}
                        options={['TCP', 'UDP', 'SCTP'].map((v) => ({ value: v, label: v }))}
                      />
                      <SelectField
                        label={`Service ${i + 1}`}
                        value={k?.kind ?? ''}
                        onChange={(e) =>
                          edit((d) => {
                            const kinds = portKinds(d);
                            const list = (kinds[sel.index] ??= []) as any[];
                            const port = container(type, d, sel).ports[i];
                            const at = list.findIndex((x) => x.containerPort === port.containerPort);
                            const entry = {
                              containerPort: port.containerPort,
                              protocol: port.protocol ?? 'TCP',
                              kind: e.target.value || null,
                            };
                            if (at >= 0) list[at] = { ...list[at], ...entry };
                            else list.push(entry);
                            d.metadata.annotations = {
                              ...d.metadata.annotations,
                              [PORTS_ANNOTATION]: JSON.stringify(kinds),
                            };
                          })
                        }
                        options={[
                          { value: '', label: 'No Service' },
                          { value: 'ClusterIP', label: 'Cluster IP (inside the cluster)' },
                          { value: 'NodePort', label: 'Node port (on every node)' },
                          { value: 'LoadBalancer', label: 'Load balancer' },
                        ]}
                      />
                    </>
                  );
                }}
              />
            </Section>
          )}

          <Section title="Environment">
            <Rows
              label="variable"
              items={(c.env ?? []) as any[]}
              onAdd={() => setC((x) => (x.env = [...(x.env ?? []), { name: '', value: '' }]))}
              onRemove={(i) => setC((x) => (x.env.splice(i, 1), x.env.length || delete x.env))}
              render={(v, i) => <EnvRow v={v} i={i} onChange={(nv) => setC((x) => (x.env[i] = nv))} />}
            />
          </Section>

          <Section title="Resources">
            {(
              [
                ['requests', 'cpu', 'CPU request', '100m'],
                ['limits', 'cpu', 'CPU limit', '500m'],
                ['requests', 'memory', 'Memory request', '128Mi'],
                ['limits', 'memory', 'Memory limit', '512Mi'],
                ['limits', 'nvidia.com/gpu', 'GPU limit', '1'],
              ] as const
            ).map(([side, res, label, eg]) => (
              <Field
                key={label}
                label={label}
                placeholder={eg}
                value={c.resources?.[side]?.[res] ?? ''}
                onChange={(e) =>
                  setC((x) => {
                    const r = (x.resources ??= {});
                    const s = (r[side] ??= {});
                    if (e.target.value) s[res] = e.target.value;
                    else delete s[res];
                    if (!Object.keys(s).length) delete r[side];
                  })
                }
              />
            ))}
          </Section>

          <Section title="Health checks">
            {(['readinessProbe', 'livenessProbe', 'startupProbe'] as const).map((p) => (
              <ProbeFields
                key={p}
                which={p}
                probe={c[p]}
                onChange={(v) => setC((x) => (v ? (x[p] = v) : delete x[p]))}
              />
            ))}
          </Section>

          <Section title="Volumes">
            <Rows
              label="volume"
              items={(ps.volumes ?? []) as any[]}
              onAdd={() =>
                edit((d) => {
                  const p = podSpec(type, d);
                  const n = `vol-${(p.volumes?.length ?? 0) + 1}`;
                  p.volumes = [...(p.volumes ?? []), { name: n, emptyDir: {} }];
                  const x = container(type, d, sel);
                  x.volumeMounts = [...(x.volumeMounts ?? []), { name: n, mountPath: `/data/${n}` }];
                })
              }
              onRemove={(i) =>
                edit((d) => {
                  const p = podSpec(type, d);
                  const [gone] = p.volumes.splice(i, 1);
                  if (!p.volumes.length) delete p.volumes;
                  const x = container(type, d, sel);
                  x.volumeMounts = (x.volumeMounts ?? []).filter((m: any) => m.name !== gone.name);
                  if (!x.volumeMounts.length) delete x.volumeMounts;
                })
              }
              render={(v, i) => (
                <VolumeRow
                  v={v}
                  i={i}
                  mount={(c.volumeMounts ?? []).find((m: any) => m.name === v.name)}
                  onChange={(nv, mountPath) =>
                    edit((d) => {
                      podSpec(type, d).volumes[i] = nv;
                      const x = container(type, d, sel);
                      x.volumeMounts = (x.volumeMounts ?? []).filter((m: any) => m.name !== nv.name);
                      if (mountPath) x.volumeMounts.push({ name: nv.name, mountPath });
                    })
                  }
                />
              )}
            />
          </Section>

          <Section title="Security">
            <Field
              label="Run as user"
              type="number"
              min={0}
              value={c.securityContext?.runAsUser ?? ''}
              hint="a user id; the image's user when empty"
              onChange={(e) =>
                setC((x) => {
                  const sc = (x.securityContext ??= {});
                  if (e.target.value === '') delete sc.runAsUser;
                  else sc.runAsUser = Number(e.target.value);
                  if (!Object.keys(sc).length) delete x.securityContext;
                })
              }
            />
            {(['runAsNonRoot', 'readOnlyRootFilesystem', 'privileged'] as const).map((k) => (
              <label key={k} className="checkbox">
                <input
                  type="checkbox"
                  checked={c.securityContext?.[k] === true}
                  onChange={(e) =>
                    setC((x) => {
                      const sc = (x.securityContext ??= {});
                      if (e.target.checked) sc[k] = true;
                      else delete sc[k];
                      if (!Object.keys(sc).length) delete x.securityContext;
                    })
                  }
                />{' '}
                {k === 'runAsNonRoot'
                  ? 'Must not run as root'
                  : k === 'readOnlyRootFilesystem'
                    ? 'Read-only root filesystem'
                    : 'Privileged'}
              </label>
            ))}
          </Section>

          <Section title="Labels and annotations">
            {(['labels', 'annotations'] as const).map((k) => (
              <Field
                key={k}
                label={k === 'labels' ? 'Labels' : 'Annotations'}
                value={Object.entries((obj.metadata[k] ?? {}) as Record<string, string>)
                  .filter(([key]) => key !== PORTS_ANNOTATION)
                  .map(([key, v]) => `${key}=${v}`)
                  .join(', ')}
                hint="key=value pairs, separated by commas"
                onChange={(e) =>
                  edit((d) => {
                    const kept = k === 'annotations' && d.metadata.annotations?.[PORTS_ANNOTATION];
                    const pairs = e.target.value
                      .split(',')
                      .map((x) => x.trim())
                      .filter((x) => x.includes('='));
                    const map: Record<string, string> = Object.fromEntries(
                      pairs.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
                    );
                    if (kept) map[PORTS_ANNOTATION] = kept;
                    d.metadata[k] = map;
                  })
                }
              />
            ))}
          </Section>

          <Section title="Scheduling">
            <Field
              label="Node name"
              value={ps.nodeName ?? ''}
              onChange={(e) =>
                edit((d) =>
                  e.target.value ? (podSpec(type, d).nodeName = e.target.value) : delete podSpec(type, d).nodeName,
                )
              }
            />
            <Field
              label="Node selector"
              value={Object.entries(ps.nodeSelector ?? {})
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(', ')}
              hint="key=value pairs, separated by commas"
              onChange={(e) =>
                edit((d) => {
                  const pairs = e.target.value
                    .split(',')
                    .map((s) => s.trim())
                    .filter((s) => s.includes('='));
                  const p = podSpec(type, d);
                  if (pairs.length)
                    p.nodeSelector = Object.fromEntries(
                      pairs.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]),
                    );
                  else delete p.nodeSelector;
                })
              }
            />
            <Field
              label="Priority class"
              value={ps.priorityClassName ?? ''}
              onChange={(e) =>
                edit((d) =>
                  e.target.value
                    ? (podSpec(type, d).priorityClassName = e.target.value)
                    : delete podSpec(type, d).priorityClassName,
                )
              }
            />
          </Section>

          {type === 'deployment' && (
            <Section title="Upgrade strategy">
              <SelectField
                label="Strategy"
                value={obj.spec.strategy?.type ?? 'RollingUpdate'}
                onChange={(e) =>
                  edit(
                    (d) =>
                      (d.spec.strategy =
                        e.target.value === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate' }),
                  )
                }
                options={[
                  { value: 'RollingUpdate', label: 'Rolling: start new pods before stopping old ones' },
                  { value: 'Recreate', label: 'Recreate: stop all old pods, then start new ones' },
                ]}
              />
              {(obj.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
                (['maxSurge', 'maxUnavailable'] as const).map((k) => (
                  <Field
                    key={k}
                    label={k === 'maxSurge' ? 'Max surge' : 'Max unavailable'}
                    placeholder="25%"
                    value={obj.spec.strategy?.rollingUpdate?.[k] ?? ''}
                    onChange={(e) =>
                      edit((d) => {
                        const s = (d.spec.strategy ??= { type: 'RollingUpdate' });
                        const ru = (s.rollingUpdate ??= {});
                        const v = e.target.value;
                        if (v) ru[k] = /^\d+$/.test(v) ? Number(v) : v;
                        else delete ru[k];
                      })
                    }
                  />
                ))}
            </Section>
          )}
        </>
      )}
      <FormFooter
        error={error}
        submitLabel={creating ? 'Deploy' : 'Save'}
        busy={busy}
        onCancel={() => window.history.back()}
      />
    </form>
  );

  function writeKinds(d: any) {
    const kinds = portKinds(d);
    d.metadata.annotations = { ...d.metadata.annotations, [PORTS_ANNOTATION]: JSON.stringify(kinds) };
  }
}

/** Which container the sections below edit, and adding or removing one. */
function ContainerPicker(props: {
  pod: any;
  sel: Sel;
  onSelect(sel: Sel): void;
  onAdd(list: Sel['list'], sidecar: boolean): void;
  onRemove(): void;
}) {
  const { pod, sel } = props;
  const options = [
    ...((pod.initContainers ?? []) as any[]).map((c, index) => ({
      value: `initContainers:${index}`,
      label: `${c.name || '(unnamed)'} (${roleOf(c, 'initContainers')})`,
    })),
    ...((pod.containers ?? []) as any[]).map((c, index) => ({
      value: `containers:${index}`,
      label: c.name || '(unnamed)',
    })),
  ];
  const onlyApp = sel.list === 'containers' && (pod.containers ?? []).length <= 1;
  return (
    <div className="container-picker">
      <SelectField
        label="Container"
        value={`${sel.list}:${sel.index}`}
        onChange={(e) => {
          const [list, index] = e.target.value.split(':');
          props.onSelect({ list: list as Sel['list'], index: Number(index) });
        }}
        options={options}
      />
      <p className="muted">Init containers run, in order, before the others; sidecars start first and keep running.</p>
      <div className="toolbar">
        <Button onClick={() => props.onAdd('containers', false)}>Add container</Button>
        <Button onClick={() => props.onAdd('initContainers', false)}>Add init container</Button>
        <Button onClick={() => props.onAdd('initContainers', true)}>Add sidecar</Button>
        <Button variant="danger" disabled={onlyApp} onClick={props.onRemove}>
          Remove this container
        </Button>
      </div>
    </div>
  );
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <fieldset className="editor-section">
      <legend>{props.title}</legend>
      <div className="editor-grid">{props.children}</div>
    </fieldset>
  );
}

function Rows<T>(props: {
  label: string;
  items: T[];
  onAdd(): void;
  onRemove(i: number): void;
  render(item: T, i: number): ReactNode;
}) {
  return (
    <div className="editor-rows">
      {props.items.map((item, i) => (
        <div className="editor-row" key={i}>
          {props.render(item, i)}
          <Button className="btn-small" onClick={() => props.onRemove(i)} aria-label={`Remove ${props.label} ${i + 1}`}>
            Remove
          </Button>
        </div>
      ))}
      <Button className="btn-small" onClick={props.onAdd}>
        Add {props.label}
      </Button>
    </div>
  );
}

function JobFields(props: { job: any; onChange(k: string, v: number | undefined): void }) {
  return (
    <>
      {(
        [
          ['completions', 'Completions'],
          ['parallelism', 'Parallelism'],
          ['backoffLimit', 'Retries (backoff limit)'],
        ] as const
      ).map(([k, label]) => (
        <Field
          key={k}
          label={label}
          type="number"
          min={0}
          value={props.job[k] ?? ''}
          onChange={(e) => props.onChange(k, e.target.value === '' ? undefined : Number(e.target.value))}
        />
      ))}
    </>
  );
}

const ENV_SOURCES = [
  { value: 'value', label: 'Value' },
  { value: 'configMapKeyRef', label: 'ConfigMap key' },
  { value: 'secretKeyRef', label: 'Secret key' },
  { value: 'fieldRef', label: 'Pod field' },
  { value: 'resourceFieldRef', label: 'Container resource' },
];

function EnvRow(props: { v: any; i: number; onChange(v: any): void }) {
  const { v, i } = props;
  const source = v.valueFrom ? Object.keys(v.valueFrom)[0]! : 'value';
  const ref = v.valueFrom?.[source] ?? {};
  const set = (patch: any) => props.onChange({ name: v.name, valueFrom: { [source]: { ...ref, ...patch } } });
  return (
    <>
      <Field
        label={`Variable ${i + 1}`}
        value={v.name}
        onChange={(e) => props.onChange({ ...v, name: e.target.value })}
      />
      <SelectField
        label={`Source ${i + 1}`}
        value={source}
        options={ENV_SOURCES}
        onChange={(e) =>
          props.onChange(
            e.target.value === 'value'
              ? { name: v.name, value: '' }
              : {
                  name: v.name,
                  valueFrom: {
                    [e.target.value]:
                      e.target.value === 'fieldRef'
                        ? { fieldPath: 'metadata.name' }
                        : e.target.value === 'resourceFieldRef'
                          ? { resource: 'limits.cpu' }
                          : { name: '', key: '' },
                  },
                },
          )
        }
      />
      {source === 'value' && (
        <Field
          label={`Value ${i + 1}`}
          value={v.value ?? ''}
          onChange={(e) => props.onChange({ name: v.name, value: e.target.value })}
        />
      )}
      {(source === 'configMapKeyRef' || source === 'secretKeyRef') && (
        <>
          <Field
            label={`${source === 'secretKeyRef' ? 'Secret' : 'ConfigMap'} ${i + 1}`}
            value={ref.name ?? ''}
            onChange={(e) => set({ name: e.target.value })}
          />
          <Field label={`Key ${i + 1}`} value={ref.key ?? ''} onChange={(e) => set({ key: e.target.value })} />
        </>
      )}
      {source === 'fieldRef' && (
        <Field
          label={`Field ${i + 1}`}
          value={ref.fieldPath ?? ''}
          onChange={(e) => set({ fieldPath: e.target.value })}
        />
      )}
      {source === 'resourceFieldRef' && (
        <Field
          label={`Resource ${i + 1}`}
          value={ref.resource ?? ''}
          onChange={(e) => set({ resource: e.target.value })}
        />
      )}
    </>
  );
}

function ProbeFields(props: { which: string; probe: any; onChange(p: any): void }) {
  const p = props.probe;
  const kind = !p ? 'none' : p.httpGet ? 'http' : p.tcpSocket ? 'tcp' : p.exec ? 'command' : 'none';
  const title =
    props.which === 'readinessProbe' ? 'Readiness' : props.which === 'livenessProbe' ? 'Liveness' : 'Startup';
  return (
    <div className="editor-probe">
      <SelectField
        label={`${title} check`}
        value={kind}
        options={[
          { value: 'none', label: 'None' },
          { value: 'http', label: 'HTTP request' },
          { value: 'tcp', label: 'TCP connection' },
          { value: 'command', label: 'Command' },
        ]}
        onChange={(e) =>
          props.onChange(
            e.target.value === 'http'
              ? { httpGet: { path: '/', port: 80 } }
              : e.target.value === 'tcp'
                ? { tcpSocket: { port: 80 } }
                : e.target.value === 'command'
                  ? { exec: { command: ['true'] } }
                  : null,
          )
        }
      />
      {p?.httpGet && (
        <Field
          label={`${title} path`}
          value={p.httpGet.path ?? ''}
          onChange={(e) => props.onChange({ ...p, httpGet: { ...p.httpGet, path: e.target.value } })}
        />
      )}
      {(p?.httpGet || p?.tcpSocket) && (
        <Field
          label={`${title} port`}
          type="number"
          value={(p.httpGet ?? p.tcpSocket).port}
          onChange={(e) =>
            props.onChange(
              p.httpGet
                ? { ...p, httpGet: { ...p.httpGet, port: Number(e.target.value) } }
                : { ...p, tcpSocket: { port: Number(e.target.value) } },
            )
          }
        />
      )}
      {p?.exec && (
        <Field
          label={`${title} command`}
          value={(p.exec.command ?? []).join(' ')}
          onChange={(e) => props.onChange({ ...p, exec: { command: words(e.target.value) } })}
        />
      )}
    </div>
  );
}

const VOLUME_KINDS = [
  { value: 'emptyDir', label: 'Empty folder' },
  { value: 'persistentVolumeClaim', label: 'Existing claim (PVC)' },
  { value: 'configMap', label: 'ConfigMap' },
  { value: 'secret', label: 'Secret' },
  { value: 'hostPath', label: 'Node folder (hostPath)' },
];

function VolumeRow(props: { v: any; i: number; mount: any; onChange(v: any, mountPath: string): void }) {
  const { v, i, mount } = props;
  const kind = VOLUME_KINDS.find((k) => k.value in v)?.value ?? 'emptyDir';
  const source =
    kind === 'persistentVolumeClaim'
      ? v.persistentVolumeClaim.claimName
      : kind === 'configMap'
        ? v.configMap.name
        : kind === 'secret'
          ? v.secret.secretName
          : kind === 'hostPath'
            ? v.hostPath.path
            : '';
  const build = (k: string, src: string) => ({
    name: v.name,
    ...(k === 'emptyDir'
      ? { emptyDir: {} }
      : k === 'persistentVolumeClaim'
        ? { persistentVolumeClaim: { claimName: src } }
        : k === 'configMap'
          ? { configMap: { name: src } }
          : k === 'secret'
            ? { secret: { secretName: src } }
            : { hostPath: { path: src } }),
  });
  const path = mount?.mountPath ?? '';
  return (
    <>
      <SelectField
        label={`Volume ${i + 1}`}
        value={kind}
        options={VOLUME_KINDS}
        onChange={(e) => props.onChange(build(e.target.value, ''), path)}
      />
      {kind !== 'emptyDir' && (
        <Field
          label={`Source ${i + 1}`}
          value={source}
          onChange={(e) => props.onChange(build(kind, e.target.value), path)}
        />
      )}
      <Field label={`Mount path ${i + 1}`} value={path} onChange={(e) => props.onChange(v, e.target.value)} />
    </>
  );
}
