import { Link } from '../app/router';
import { useClusterAccess } from './clusterAccess';
import { MembersPanel } from './MembersPanel';

export function ClusterMembersPage(props: { clusterId: string }) {
  const { cluster, owner } = useClusterAccess(props.clusterId);
  return (
    <section>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/clusters">Clusters</Link> /{' '}
        <Link to={`/c/${props.clusterId}`}>{cluster?.name ?? props.clusterId}</Link> / Members
      </nav>
      <h1>Members of {cluster?.name ?? props.clusterId}</h1>
      <MembersPanel scope={{ kind: 'cluster', id: props.clusterId, mayAdd: owner }} />
    </section>
  );
}
