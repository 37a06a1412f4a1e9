/**
 * The inside of one cluster, at /c/<clusterId>/<kind>[/<namespace>]/<name>: nodes, namespaces,
 * workloads, services, config and events, each a live table from the kinds table, and one page per
 * object (summary, YAML editor, logs, scale and redeploy), loaded on demand.
 */
import { lazy, Suspense, type ReactNode } from 'react';
import type { Cluster } from '../api/types';
import { Link, navigate, useRoute } from '../app/router';
import { ClusterUseSummary } from '../clusters/usage';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { CREATABLE_FROM_YAML, KINDS, kindById, WORKLOAD_TYPES, type KindDef } from './kinds';
import { NamespacesPage } from './NamespacesPage';
import { useCorralNamespaces } from './namespaces';
import { ResourceList } from './ResourceList';
import { useCan } from './useCan';
import './cluster.css';

// The object page carries the YAML parser and the editor: fetched when an object is opened.
const ObjectPage = lazy(() => import('./ObjectPage'));
const WorkloadEditor = lazy(() => import('./WorkloadEditor'));
const CreateFromYaml = lazy(() => import('./CreateFromYaml'));
const ServiceForm = lazy(() => import('./DiscoveryForms').then((m) => ({ default: m.ServiceForm })));
const IngressForm = lazy(() => import('./DiscoveryForms').then((m) => ({ default: m.IngressForm })));

const SECTIONS = ['Cluster', 'Workloads', 'Service discovery', 'Config and storage', 'Events'] as const;

export function ClusterView(props: { clusterId: string; path: string[] }) {
  const { clusterId, path } = props;
  const route = useRoute();
  const namespace = route.query.get('ns') ?? '';
  const search = namespace ? `?ns=${encodeURIComponent(namespace)}` : '';
  // Who may not list nodes (a project member) starts at the workloads, not at a refusal.
  const mayListNodes = useCan(clusterId, { verb: 'list', group: '', resource: 'nodes' });
  const [page = mayListNodes === false ? 'deployments' : 'nodes', ...rest] = path;
  const { items: clusters } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const cluster = clusters.find((c) => c.id === clusterId);
  const namespaces = useCorralNamespaces(clusterId);
  const kind = kindById(page);
  const base = `/c/${encodeURIComponent(clusterId)}`;

  let content: ReactNode;
  if (page === 'namespaces') {
    content = <NamespacesPage clusterId={clusterId} namespaces={namespaces} />;
  } else if (!kind) {
    content = (
      <p className="error" role="alert">
        There is no page “{page}” in a cluster. <Link to={base}>Go to the cluster’s nodes</Link>.
      </p>
    );
  } else if (rest[0] === '_new' && WORKLOAD_TYPES[kind.id]) {
    content = (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <WorkloadEditor
          clusterId={clusterId}
          kind={kind}
          namespace={namespace}
          namespaces={namespaces.items.map((n) => n.name)}
        />
      </Suspense>
    );
  } else if (rest[0] === '_new' && (kind.id === 'services' || kind.id === 'ingresses')) {
    const Form = kind.id === 'services' ? ServiceForm : IngressForm;
    content = (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Form clusterId={clusterId} namespace={namespace} namespaces={namespaces.items.map((n) => n.name)} />
      </Suspense>
    );
  } else if (rest[0] === '_new' && CREATABLE_FROM_YAML.has(kind.id)) {
    content = (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <CreateFromYaml clusterId={clusterId} kind={kind} namespace={namespace} />
      </Suspense>
    );
  } else if (rest[2] === 'edit' && WORKLOAD_TYPES[kind.id]) {
    content = (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <WorkloadEditor
          clusterId={clusterId}
          kind={kind}
          namespace={rest[0]!}
          name={rest[1]!}
          namespaces={namespaces.items.map((n) => n.name)}
        />
      </Suspense>
    );
  } else if (rest.length) {
    const [objNamespace, name] = kind.namespaced ? [rest[0], rest[1]] : [undefined, rest[0]];
    content = name ? (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <ObjectPage clusterId={clusterId} kind={kind} namespace={objNamespace} name={name} search={search} />
      </Suspense>
    ) : (
      <p className="error" role="alert">
        Incomplete address.
      </p>
    );
  } else {
    content = (
      <ResourceList
        clusterId={clusterId}
        kind={kind}
        namespace={namespace}
        search={search}
        namespaces={namespaces.items.map((n) => n.name)}
      />
    );
  }

  const showNamespaceFilter = page === 'namespaces' ? false : (kind?.namespaced ?? false) && rest.length === 0;
  const pickNamespace = (ns: string) => {
    const q = new URLSearchParams(route.query);
    if (ns) q.set('ns', ns);
    else q.delete('ns');
    const qs = q.toString();
    navigate(`${route.path}${qs ? `?${qs}` : ''}`, { replace: true });
  };

  return (
    <div className="cluster-view">
      <header className="cluster-head">
        <h1>
          {cluster?.name ?? clusterId}
          {cluster && <StateBadge state={cluster.state} title={cluster.transitioningMessage} />}
        </h1>
        {cluster && <ClusterUseSummary cluster={cluster} />}
        {showNamespaceFilter && (
          <div className="ns-filter">
            <label htmlFor="ns-filter">Namespace</label>
            <select id="ns-filter" value={namespace} onChange={(e) => pickNamespace(e.target.value)}>
              <option value="">All namespaces</option>
              {namespace && !namespaces.items.some((n) => n.name === namespace) && (
                <option value={namespace}>{namespace}</option>
              )}
              {namespaces.items
                .map((n) => n.name)
                .sort()
                .map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
            </select>
          </div>
        )}
      </header>
      <nav className="cluster-nav" aria-label="Cluster resources">
        {SECTIONS.map((section) => (
          <div key={section} className="cluster-nav-group" role="group" aria-label={section}>
            <span className="cluster-nav-heading" aria-hidden="true">
              {section}
            </span>
            <ul>
              {navItems(section).map((k) => (
                <li key={k.id}>
                  <Link
                    to={`${base}/${k.id}${k.namespaced ? search : ''}`}
                    aria-current={page === k.id ? 'page' : undefined}
                  >
                    {k.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="cluster-content">{content}</div>
    </div>
  );
}

function navItems(section: (typeof SECTIONS)[number]): Pick<KindDef, 'id' | 'label' | 'namespaced'>[] {
  const items: Pick<KindDef, 'id' | 'label' | 'namespaced'>[] = KINDS.filter((k) => k.section === section);
  if (section === 'Cluster') items.push({ id: 'namespaces', label: 'Namespaces', namespaced: false });
  return items;
}
