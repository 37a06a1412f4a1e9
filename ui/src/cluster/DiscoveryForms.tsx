/**
 * Forms for service discovery and load balancing, as Rancher offers them: a Service or DNS record
 * that resolves to a workload's pods, pods matching labels, an external hostname, another Service
 * (an alias) or external IP addresses; and an Ingress with rules, TLS from certificate Secrets and
 * a default backend. What the form builds is shown as YAML before it is sent, and can be taken on
 * as YAML. Everything is created through the cluster proxy as the user.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { api, errorMessage } from '../api/http';
import { navigate } from '../app/router';
import { Button } from '../components/Button';
import { Field, SelectField } from '../components/Field';
import { FormFooter } from '../components/FormFooter';
import CreateFromYaml from './CreateFromYaml';
import { proxyBase, type KubeObject } from './k8s';
import { collectionPath, detailRoute, kindById as findKind, type KindDef } from './kinds';
import { toYaml } from './YamlEditor';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects of several kinds */

const kindById = (id: string) => findKind(id)!;

/** The objects of one kind in a namespace, read once when the namespace changes. */
function useNamespaced(clusterId: string, kindId: string, namespace: string): KubeObject[] {
  const [items, setItems] = useState<KubeObject[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    api<{ items: KubeObject[] }>(
      'GET',
      `${proxyBase(clusterId)}${collectionPath(kindById(kindId), namespace)}`,
      undefined,
      { signal: abort.signal },
    ).then(
      (l) => setItems(l.items),
      () => setItems([]),
    );
    return () => abort.abort();
  }, [clusterId, kindId, namespace]);
  return items;
}

/** "a=b, c=d" as labels; undefined when a pair is not key=value. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/).map((p) => p.trim())) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i <= 0) return undefined;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const list = (text: string) =>
  text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function Section(props: { title: string; children: ReactNode }) {
  return (
    <fieldset className="editor-section">
      <legend>{props.title}</legend>
      <div className="editor-grid">{props.children}</div>
    </fieldset>
  );
}

/** Form, a preview of the YAML it makes, or that YAML taken on for editing. */
function FormShell(props: {
  kind: KindDef;
  clusterId: string;
  namespace: string;
  title: string;
  build: () => { objects: KubeObject[] } | { error: string };
  submit: (objects: KubeObject[]) => Promise<KubeObject>;
  children: ReactNode;
}) {
  const [mode, setMode] = useState<'form' | 'yaml' | 'edit'>('form');
  /** What the cluster refused; the form's own checks are shown live once Create was tried. */
  const [error, setError] = useState<string>();
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const built = props.build();
  if (mode === 'edit' && 'objects' in built)
    return (
      <CreateFromYaml
        clusterId={props.clusterId}
        kind={props.kind}
        namespace={props.namespace}
        initialText={toYaml(built.objects[0]!)}
      />
    );
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setError(undefined);
    if ('error' in built) return;
    setBusy(true);
    setError(undefined);
    try {
      const created = await props.submit(built.objects);
      navigate(detailRoute(props.clusterId, props.kind, created));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  const tab = (id: 'form' | 'yaml', label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={mode === id}
      className={mode === id ? 'tab tab-active' : 'tab'}
      onClick={() => setMode(id)}
    >
      {label}
    </button>
  );
  return (
    <form className="workload-editor" onSubmit={(e) => void onSubmit(e)} aria-label={`${props.kind.singular} form`}>
      <div className="section-head">
        <h2>{props.title}</h2>
        <div role="tablist" className="tabs" aria-label="Editor view">
          {tab('form', 'Form')}
          {tab('yaml', 'YAML')}
        </div>
      </div>
      {mode === 'yaml' ? (
        'objects' in built ? (
          <>
            <pre className="yaml" aria-label={`YAML of the new ${props.kind.singular}`}>
              {built.objects.map((o) => toYaml(o)).join('---\n')}
            </pre>
            {built.objects.length === 1 && (
              <Button className="btn-small" onClick={() => setMode('edit')}>
                Edit as YAML
              </Button>
            )}
          </>
        ) : (
          <p className="error" role="alert">
            {built.error}
          </p>
        )
      ) : (
        props.children
      )}
      <FormFooter
        error={error ?? (tried && 'error' in built ? built.error : undefined)}
        submitLabel="Create"
        busy={busy}
        onCancel={() => window.history.back()}
      />
    </form>
  );
}

/** Every new object's first two fields. */
function NameAndNamespace(props: {
  name: string;
  setName(name: string): void;
  namespace: string;
  setNamespace(namespace: string): void;
  namespaces: string[];
}) {
  return (
    <>
      <Field label="Name" value={props.name} required onChange={(e) => props.setName(e.target.value)} />
      <SelectField
        label="Namespace"
        value={props.namespace}
        onChange={(e) => props.setNamespace(e.target.value)}
        options={[...new Set([props.namespace, ...props.namespaces])].map((n) => ({ value: n, label: n }))}
      />
    </>
  );
}

interface PortRow {
  name: string;
  port: string;
  targetPort: string;
  protocol: string;
  nodePort: string;
}
const emptyPort = (): PortRow => ({ name: '', port: '', targetPort: '', protocol: 'TCP', nodePort: '' });

type Target = 'workload' | 'selector' | 'hostname' | 'alias' | 'ips';

const TARGETS: { value: Target; label: string }[] = [
  { value: 'workload', label: 'The pods of a workload' },
  { value: 'selector', label: 'Pods matching labels' },
  { value: 'hostname', label: 'An external hostname' },
  { value: 'alias', label: 'Another Service (alias)' },
  { value: 'ips', label: 'External IP addresses' },
];

/** The pod labels a workload selects by. */
function workloadSelector(w: KubeObject): Record<string, string> | undefined {
  return w.spec?.selector?.matchLabels ?? w.spec?.jobTemplate?.spec?.selector?.matchLabels;
}

export function ServiceForm(props: { clusterId: string; namespace: string; namespaces: string[] }) {
  const kind = kindById('services');
  const [name, setName] = useState('');
  const [ns, setNs] = useState(props.namespace || props.namespaces[0] || 'default');
  const [target, setTarget] = useState<Target>('workload');
  const [type, setType] = useState('ClusterIP');
  const [workload, setWorkload] = useState('');
  const [labels, setLabels] = useState('');
  const [hostname, setHostname] = useState('');
  const [alias, setAlias] = useState('');
  const [ips, setIps] = useState('');
  const [ports, setPorts] = useState<PortRow[]>([emptyPort()]);
  const deployments = useNamespaced(props.clusterId, 'deployments', ns);
  const statefulsets = useNamespaced(props.clusterId, 'statefulsets', ns);
  const daemonsets = useNamespaced(props.clusterId, 'daemonsets', ns);
  const services = useNamespaced(props.clusterId, 'services', ns);
  const workloads = useMemo(
    () =>
      [
        ...deployments.map((w) => ['Deployment', w] as const),
        ...statefulsets.map((w) => ['StatefulSet', w] as const),
        ...daemonsets.map((w) => ['DaemonSet', w] as const),
      ].filter(([, w]) => workloadSelector(w)),
    [deployments, statefulsets, daemonsets],
  );
  const needsPorts = target !== 'hostname' && target !== 'alias';

  const build = (): { objects: KubeObject[] } | { error: string } => {
    if (!name) return { error: 'Give the Service a name.' };
    const metadata = { name, namespace: ns };
    const portList: any[] = [];
    for (const [i, p] of ports.entries()) {
      if (!p.port && !p.targetPort && !p.name) continue;
      const port = Number(p.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        return { error: `Port ${i + 1}: the port must be a number from 1 to 65535.` };
      const targetPort = p.targetPort ? (/^\d+$/.test(p.targetPort) ? Number(p.targetPort) : p.targetPort) : port;
      portList.push({
        ...(p.name ? { name: p.name } : {}),
        port,
        targetPort,
        protocol: p.protocol,
        ...(p.nodePort && (type === 'NodePort' || type === 'LoadBalancer') ? { nodePort: Number(p.nodePort) } : {}),
      });
    }
    if (needsPorts && portList.length === 0) return { error: 'Add at least one port.' };
    if (portList.length > 1 && portList.some((p) => !p.name))
      return { error: 'With more than one port, every port needs a name.' };
    const service = (spec: any): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata, spec });
    switch (target) {
      case 'workload': {
        const w = workloads.find(([k, o]) => `${k}/${o.metadata.name}` === workload);
        if (!w) return { error: 'Choose the workload whose pods the Service reaches.' };
        const selector = workloadSelector(w[1])!;
        return {
          objects: [
            service({ type: type === 'Headless' ? 'ClusterIP' : type, ...headless(type), selector, ports: portList }),
          ],
        };
      }
      case 'selector': {
        const selector = parseLabels(labels);
        if (!selector || Object.keys(selector).length === 0)
          return { error: 'Labels must be key=value pairs, separated by commas.' };
        return {
          objects: [
            service({ type: type === 'Headless' ? 'ClusterIP' : type, ...headless(type), selector, ports: portList }),
          ],
        };
      }
      case 'hostname':
        if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(hostname))
          return { error: 'The hostname must be a DNS name, such as db.example.com.' };
        return { objects: [service({ type: 'ExternalName', externalName: hostname })] };
      case 'alias':
        if (!alias) return { error: 'Choose the Service this name is an alias of.' };
        return {
          objects: [service({ type: 'ExternalName', externalName: `${alias}.${ns}.svc.cluster.local` })],
        };
      case 'ips': {
        const addresses = list(ips);
        if (addresses.length === 0) return { error: 'Give one or more IP addresses.' };
        const bad = addresses.find((a) => !/^(\d{1,3}\.){3}\d{1,3}$/.test(a) && !/^[0-9a-f:]+:[0-9a-f:]*$/i.test(a));
        if (bad) return { error: `${bad} is not an IP address.` };
        // A Service without a selector, and the Endpoints that give it its addresses (Rancher's way).
        return {
          objects: [
            service({ type: 'ClusterIP', ports: portList }),
            {
              apiVersion: 'v1',
              kind: 'Endpoints',
              metadata,
              subsets: [
                {
                  addresses: addresses.map((ip) => ({ ip })),
                  ports: portList.map((p) => ({
                    ...(p.name ? { name: p.name } : {}),
                    port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
                    protocol: p.protocol,
                  })),
                },
              ],
            },
          ],
        };
      }
    }
  };

  const submit = async (objects: KubeObject[]) => {
    const base = `${proxyBase(props.clusterId)}/api/v1/namespaces/${encodeURIComponent(ns)}`;
    const created = await api<KubeObject>('POST', `${base}/services`, objects[0]);
    if (objects[1]) {
      try {
        await api('POST', `${base}/endpoints`, objects[1]);
      } catch (err) {
        // All or nothing: a Service without its addresses would resolve to nothing.
        await api('DELETE', `${base}/services/${encodeURIComponent(name)}`).catch(() => undefined);
        throw err;
      }
    }
    return created;
  };

  const setPort = (i: number, change: Partial<PortRow>) =>
    setPorts((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));

  return (
    <FormShell
      kind={kind}
      clusterId={props.clusterId}
      namespace={ns}
      title="Create a Service or DNS record"
      build={build}
      submit={submit}
    >
      <Section title="General">
        <NameAndNamespace
          name={name}
          setName={setName}
          namespace={ns}
          setNamespace={setNs}
          namespaces={props.namespaces}
        />
        <SelectField
          label="Resolves to"
          value={target}
          onChange={(e) => setTarget(e.target.value as Target)}
          options={TARGETS}
        />
      </Section>
      <Section title="Target">
        {target === 'workload' && (
          <SelectField
            label="Workload"
            value={workload}
            onChange={(e) => setWorkload(e.target.value)}
            options={[
              { value: '', label: workloads.length ? 'Choose…' : `No workloads in ${ns}` },
              ...workloads.map(([k, w]) => ({
                value: `${k}/${w.metadata.name}`,
                label: `${w.metadata.name} (${k})`,
              })),
            ]}
          />
        )}
        {target === 'selector' && (
          <Field
            label="Pod labels"
            value={labels}
            placeholder="app=web, tier=front"
            onChange={(e) => setLabels(e.target.value)}
          />
        )}
        {target === 'hostname' && (
          <Field
            label="Hostname"
            value={hostname}
            placeholder="db.example.com"
            onChange={(e) => setHostname(e.target.value)}
          />
        )}
        {target === 'alias' && (
          <SelectField
            label="Service"
            value={alias}
            onChange={(e) => setAlias(e.target.value)}
            options={[
              { value: '', label: services.length ? 'Choose…' : `No Services in ${ns}` },
              ...services.map((s) => ({ value: s.metadata.name, label: s.metadata.name })),
            ]}
          />
        )}
        {target === 'ips' && (
          <Field
            label="IP addresses"
            value={ips}
            placeholder="203.0.113.10, 203.0.113.11"
            onChange={(e) => setIps(e.target.value)}
          />
        )}
        {(target === 'workload' || target === 'selector') && (
          <SelectField
            label="Service type"
            value={type}
            onChange={(e) => setType(e.target.value)}
            options={[
              { value: 'ClusterIP', label: 'Cluster IP (inside the cluster)' },
              { value: 'NodePort', label: 'Node port (on every node)' },
              { value: 'LoadBalancer', label: 'Load balancer' },
              { value: 'Headless', label: 'Headless (DNS to each pod)' },
            ]}
          />
        )}
      </Section>
      {needsPorts && (
        <Section title="Ports">
          <div className="editor-rows">
            {ports.map((p, i) => (
              <div className="editor-row" key={i}>
                <Field
                  label={`Port name ${i + 1}`}
                  value={p.name}
                  onChange={(e) => setPort(i, { name: e.target.value })}
                />
                <Field
                  label={`Port ${i + 1}`}
                  type="number"
                  value={p.port}
                  onChange={(e) => setPort(i, { port: e.target.value })}
                />
                <Field
                  label={`Target port ${i + 1}`}
                  value={p.targetPort}
                  placeholder="the same"
                  onChange={(e) => setPort(i, { targetPort: e.target.value })}
                />
                <SelectField
                  label={`Protocol ${i + 1}`}
                  value={p.protocol}
                  onChange={(e) => setPort(i, { protocol: e.target.value })}
                  options={['TCP', 'UDP', 'SCTP'].map((v) => ({ value: v, label: v }))}
                />
                {(type === 'NodePort' || type === 'LoadBalancer') && target !== 'ips' && (
                  <Field
                    label={`Node port ${i + 1}`}
                    type="number"
                    value={p.nodePort}
                    placeholder="any free one"
                    onChange={(e) => setPort(i, { nodePort: e.target.value })}
                  />
                )}
                <Button
                  className="btn-small"
                  aria-label={`Remove port ${i + 1}`}
                  onClick={() => setPorts((ps) => ps.filter((_, j) => j !== i))}
                >
                  Remove
                </Button>
              </div>
            ))}
            <Button className="btn-small" onClick={() => setPorts((ps) => [...ps, emptyPort()])}>
              Add port
            </Button>
          </div>
        </Section>
      )}
    </FormShell>
  );
}

const headless = (type: string) => (type === 'Headless' ? { clusterIP: 'None' } : {});

interface RuleRow {
  host: string;
  path: string;
  pathType: string;
  service: string;
  port: string;
}
const emptyRule = (): RuleRow => ({ host: '', path: '/', pathType: 'Prefix', service: '', port: '' });

export function IngressForm(props: { clusterId: string; namespace: string; namespaces: string[] }) {
  const kind = kindById('ingresses');
  const [name, setName] = useState('');
  const [ns, setNs] = useState(props.namespace || props.namespaces[0] || 'default');
  const [ingressClass, setIngressClass] = useState('');
  const [rules, setRules] = useState<RuleRow[]>([emptyRule()]);
  const [tls, setTls] = useState<{ secret: string; hosts: string }[]>([]);
  const [defaultService, setDefaultService] = useState('');
  const [defaultPort, setDefaultPort] = useState('');
  const services = useNamespaced(props.clusterId, 'services', ns);
  const secrets = useNamespaced(props.clusterId, 'secrets', ns);
  const certificates = secrets.filter((s) => s.type === 'kubernetes.io/tls');
  const serviceOptions = (empty: string) => [
    { value: '', label: services.length ? empty : `No Services in ${ns}` },
    ...services.map((s) => ({ value: s.metadata.name, label: s.metadata.name })),
  ];
  const backend = (service: string, port: string, what: string): any | { error: string } => {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      return { error: `${what}: the port must be a number from 1 to 65535.` };
    return { service: { name: service, port: { number: n } } };
  };

  const build = (): { objects: KubeObject[] } | { error: string } => {
    if (!name) return { error: 'Give the Ingress a name.' };
    const spec: any = {};
    if (ingressClass) spec.ingressClassName = ingressClass;
    const byHost = new Map<string, any[]>();
    for (const [i, r] of rules.entries()) {
      if (!r.service && !r.host) continue;
      if (!r.service) return { error: `Rule ${i + 1}: choose the Service it sends to.` };
      if (!r.path.startsWith('/')) return { error: `Rule ${i + 1}: the path must start with /.` };
      const b = backend(r.service, r.port, `Rule ${i + 1}`);
      if ('error' in b) return b;
      const paths = byHost.get(r.host) ?? [];
      paths.push({ path: r.path, pathType: r.pathType, backend: b });
      byHost.set(r.host, paths);
    }
    if (byHost.size) spec.rules = [...byHost].map(([host, paths]) => ({ ...(host ? { host } : {}), http: { paths } }));
    if (defaultService) {
      const b = backend(defaultService, defaultPort, 'Default backend');
      if ('error' in b) return b;
      spec.defaultBackend = b;
    }
    if (!spec.rules && !spec.defaultBackend) return { error: 'Add a rule or a default backend.' };
    const tlsList = tls.filter((t) => t.secret);
    if (tlsList.length) spec.tls = tlsList.map((t) => ({ secretName: t.secret, hosts: list(t.hosts) }));
    return {
      objects: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: ns }, spec }],
    };
  };

  const submit = (objects: KubeObject[]) =>
    api<KubeObject>('POST', `${proxyBase(props.clusterId)}${collectionPath(kind, ns)}`, objects[0]);
  const setRule = (i: number, change: Partial<RuleRow>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));

  return (
    <FormShell
      kind={kind}
      clusterId={props.clusterId}
      namespace={ns}
      title="Create an Ingress"
      build={build}
      submit={submit}
    >
      <Section title="General">
        <NameAndNamespace
          name={name}
          setName={setName}
          namespace={ns}
          setNamespace={setNs}
          namespaces={props.namespaces}
        />
        <Field
          label="Ingress class"
          value={ingressClass}
          placeholder="the cluster's default"
          onChange={(e) => setIngressClass(e.target.value)}
        />
      </Section>
      <Section title="Rules">
        <div className="editor-rows">
          {rules.map((r, i) => (
            <div className="editor-row" key={i}>
              <Field
                label={`Host ${i + 1}`}
                value={r.host}
                placeholder="any host"
                onChange={(e) => setRule(i, { host: e.target.value })}
              />
              <Field label={`Path ${i + 1}`} value={r.path} onChange={(e) => setRule(i, { path: e.target.value })} />
              <SelectField
                label={`Path type ${i + 1}`}
                value={r.pathType}
                onChange={(e) => setRule(i, { pathType: e.target.value })}
                options={['Prefix', 'Exact', 'ImplementationSpecific'].map((v) => ({ value: v, label: v }))}
              />
              <SelectField
                label={`Target Service ${i + 1}`}
                value={r.service}
                onChange={(e) => setRule(i, { service: e.target.value })}
                options={serviceOptions('Choose…')}
              />
              <Field
                label={`Target port ${i + 1}`}
                type="number"
                value={r.port}
                onChange={(e) => setRule(i, { port: e.target.value })}
              />
              <Button
                className="btn-small"
                aria-label={`Remove rule ${i + 1}`}
                onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
              >
                Remove
              </Button>
            </div>
          ))}
          <Button className="btn-small" onClick={() => setRules((rs) => [...rs, emptyRule()])}>
            Add rule
          </Button>
        </div>
      </Section>
      <Section title="Default backend">
        <div className="editor-rows">
          <div className="editor-row">
            <SelectField
              label="Default Service"
              value={defaultService}
              onChange={(e) => setDefaultService(e.target.value)}
              options={serviceOptions('None')}
            />
            <Field
              label="Default port"
              type="number"
              value={defaultPort}
              onChange={(e) => setDefaultPort(e.target.value)}
            />
          </div>
        </div>
      </Section>
      <Section title="Certificates">
        <div className="editor-rows">
          {tls.map((t, i) => (
            <div className="editor-row" key={i}>
              <SelectField
                label={`Certificate ${i + 1}`}
                value={t.secret}
                onChange={(e) => setTls((ts) => ts.map((x, j) => (j === i ? { ...x, secret: e.target.value } : x)))}
                options={[
                  {
                    value: '',
                    label: certificates.length ? 'Choose…' : `No certificates (kubernetes.io/tls Secrets) in ${ns}`,
                  },
                  ...certificates.map((s) => ({ value: s.metadata.name, label: s.metadata.name })),
                ]}
              />
              <Field
                label={`Certificate hosts ${i + 1}`}
                value={t.hosts}
                placeholder="shop.example.com"
                onChange={(e) => setTls((ts) => ts.map((x, j) => (j === i ? { ...x, hosts: e.target.value } : x)))}
              />
            </div>
          ))}
          <Button className="btn-small" onClick={() => setTls((ts) => [...ts, { secret: '', hosts: '' }])}>
            Add certificate
          </Button>
        </div>
      </Section>
    </FormShell>
  );
}
