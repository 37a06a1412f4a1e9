import type { Cluster, ClusterRoleTemplateBinding, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { useLiveList } from '../live/useLiveList';
import { useSession } from '../app/session';

/** Cluster roles that let a member create projects (as the server's canCreateProjectIn). */
const PROJECT_CREATORS = new Set(['cluster-owner', 'cluster-member', 'projects-create']);

/**
 * What the signed-in user may do in a cluster, from what the API renders: the cluster's own links
 * (update means owner), the collections' createTypes (global permissions), and the user's own
 * cluster role bindings (the server allows cluster members to create projects).
 */
export function useClusterAccess(clusterId: string) {
  const { user } = useSession();
  const { items: clusters } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const cluster = clusters.find((c) => c.id === clusterId);
  const projects = useApi<V3Collection<unknown>>('/v3/projects?limit=1');
  const crtbs = useApi<V3Collection<ClusterRoleTemplateBinding>>(
    `/v3/clusterRoleTemplateBindings?clusterId=${encodeURIComponent(clusterId)}&userId=${encodeURIComponent(user.id)}`,
  );
  const owner = !!cluster?.links.update;
  const held = new Set((crtbs.data?.data ?? []).map((b) => b.roleTemplateId));
  return {
    cluster,
    owner,
    mayCreateProject: owner || !!projects.data?.createTypes?.project || [...held].some((r) => PROJECT_CREATORS.has(r)),
  };
}
