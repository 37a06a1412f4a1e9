import { useEffect } from 'react';
import type { Cluster } from '../api/types';
import { AccountPage } from '../account/AccountPage';
import { RolesPage } from '../admin/RolesPage';
import { SettingsPage } from '../admin/SettingsPage';
import { AuthProvidersPage } from '../admin/AuthProvidersPage';
import { UsersPage } from '../admin/UsersPage';
import { ClusterView } from '../cluster/ClusterView';
import { AlertsPage } from '../alerts/AlertsPage';
import { AppPage } from '../catalog/AppPage';
import { MonitoringPage } from '../monitoring/MonitoringPage';
import { CatalogPage } from '../catalog/CatalogPage';
import { ChartPage } from '../catalog/ChartPage';
import { ClustersPage } from '../clusters/ClustersPage';
import { ClusterMembersPage } from '../projects/ClusterMembersPage';
import { ProjectPage } from '../projects/ProjectPage';
import { ProjectsPage } from '../projects/ProjectsPage';
import { useLiveList } from '../live/useLiveList';
import { Link, navigate, Redirect, useRoute } from './router';
import { useSession } from './session';

const LAST_CLUSTER = 'corral.lastCluster';

/** The cluster the page is about: the one in the URL, else the last one visited. */
function currentClusterId(segments: string[]): string | undefined {
  if (segments[0] === 'c' && segments[1]) return segments[1];
  if (segments[0] === 'clusters' && segments[1]) return segments[1];
  return localStorage.getItem(LAST_CLUSTER) ?? undefined;
}

export function Shell() {
  const { user, isAdmin, logOut } = useSession();
  const route = useRoute();
  const { items: clusters } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const clusterId = currentClusterId(route.segments);
  const cluster = clusters.find((c) => c.id === clusterId);

  useEffect(() => {
    if (cluster) localStorage.setItem(LAST_CLUSTER, cluster.id);
  }, [cluster]);

  const here = (prefix: string) => (route.path === prefix || route.path.startsWith(`${prefix}/`) ? 'page' : undefined);

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/clusters" className="brand" aria-label="Corral home">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Corral
        </Link>
        <div className="topbar-cluster">
          <label htmlFor="cluster-switcher">Cluster</label>
          <select
            id="cluster-switcher"
            value={cluster?.id ?? ''}
            onChange={(e) => e.target.value && navigate(`/c/${encodeURIComponent(e.target.value)}`)}
          >
            <option value="">— choose —</option>
            {clusters.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.state})
              </option>
            ))}
          </select>
        </div>
        <div className="topbar-user">
          <Link to="/account" aria-label={`Account of ${user.username}`}>
            {user.name || user.username}
          </Link>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void logOut()}>
            Log out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          <li>
            <Link to="/clusters" aria-current={route.path === '/clusters' ? 'page' : undefined}>
              Clusters
            </Link>
          </li>
          <li>
            <Link to="/catalog" aria-current={here('/catalog')}>
              Catalog
            </Link>
          </li>
        </ul>
        {cluster && (
          <>
            <h2 className="nav-heading" title={cluster.id}>
              {cluster.name}
            </h2>
            <ul>
              <li>
                <Link
                  to={`/c/${cluster.id}`}
                  aria-current={
                    route.path.startsWith(`/c/${cluster.id}/namespaces`) ? undefined : here(`/c/${cluster.id}`)
                  }
                >
                  Explore cluster
                </Link>
              </li>
              <li>
                <Link to={`/c/${cluster.id}/namespaces`} aria-current={here(`/c/${cluster.id}/namespaces`)}>
                  Namespaces
                </Link>
              </li>
              <li>
                <Link to={`/clusters/${cluster.id}/projects`} aria-current={here(`/clusters/${cluster.id}/projects`)}>
                  Projects
                </Link>
              </li>
              <li>
                <Link to={`/clusters/${cluster.id}/members`} aria-current={here(`/clusters/${cluster.id}/members`)}>
                  Cluster members
                </Link>
              </li>
              <li>
                <Link to={`/clusters/${cluster.id}/alerts`} aria-current={here(`/clusters/${cluster.id}/alerts`)}>
                  Alerts
                </Link>
              </li>
              <li>
                <Link
                  to={`/clusters/${cluster.id}/monitoring`}
                  aria-current={here(`/clusters/${cluster.id}/monitoring`)}
                >
                  Monitoring
                </Link>
              </li>
            </ul>
          </>
        )}
        {isAdmin && (
          <>
            <h2 className="nav-heading">Administration</h2>
            <ul>
              <li>
                <Link to="/admin/users" aria-current={here('/admin/users')}>
                  Users
                </Link>
              </li>
              <li>
                <Link to="/admin/roles" aria-current={here('/admin/roles')}>
                  Roles
                </Link>
              </li>
              <li>
                <Link to="/admin/settings" aria-current={here('/admin/settings')}>
                  Settings
                </Link>
              </li>
              <li>
                <Link to="/admin/auth" aria-current={here('/admin/auth')}>
                  Authentication
                </Link>
              </li>
            </ul>
          </>
        )}
        <h2 className="nav-heading">You</h2>
        <ul>
          <li>
            <Link to="/account" aria-current={here('/account')}>
              Account &amp; API keys
            </Link>
          </li>
        </ul>
      </nav>
      <main className="content" id="main">
        <Page segments={route.segments} isAdmin={isAdmin} />
      </main>
    </div>
  );
}

function Page(props: { segments: string[]; isAdmin: boolean }) {
  const [first, second, third, fourth] = props.segments;
  switch (first) {
    case 'clusters':
      if (!second) return <ClustersPage />;
      if (third === 'projects' && fourth && props.segments[4] === 'monitoring')
        return <MonitoringPage clusterId={second} projectId={fourth} />;
      if (third === 'projects' && fourth && props.segments[4] === 'apps' && props.segments[5])
        return <AppPage clusterId={second} projectId={fourth} appId={props.segments[5]} />;
      if (third === 'projects' && fourth) return <ProjectPage clusterId={second} projectId={fourth} />;
      if (third === 'projects') return <ProjectsPage clusterId={second} />;
      if (third === 'members') return <ClusterMembersPage clusterId={second} />;
      if (third === 'alerts') return <AlertsPage clusterId={second} />;
      if (third === 'monitoring') return <MonitoringPage clusterId={second} />;
      return <Redirect to={`/c/${second}`} />;
    case 'c':
      if (!second) return <Redirect to="/clusters" />;
      return <ClusterView clusterId={second} path={props.segments.slice(2)} />;
    case 'catalog':
      return second ? <ChartPage templateId={second} /> : <CatalogPage />;
    case 'account':
      return <AccountPage />;
    case 'admin':
      if (!props.isAdmin) return <NotFound />;
      if (second === 'users') return <UsersPage />;
      if (second === 'roles') return <RolesPage />;
      if (second === 'settings') return <SettingsPage />;
      if (second === 'auth') return <AuthProvidersPage />;
      return <Redirect to="/admin/users" />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <Link to="/clusters">Go to the clusters</Link>.
      </p>
    </section>
  );
}
