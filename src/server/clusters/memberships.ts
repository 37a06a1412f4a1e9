import { listAll } from '../../store/list-all.js';
import type { Store } from '../../store/types.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';

export const CLUSTER_ID_LABEL = 'cattle.io/clusterId';

/** The cluster role templates a user is bound to, by cluster id. */
export async function clusterMemberships(store: Store, userId: string): Promise<Map<string, Set<string>>> {
  const bindings = await listAll(store, 'clusterRoleTemplateBinding', `${USER_ID_LABEL}=${userId}`);
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    const clusterId = String(b.spec.clusterId);
    if (!out.has(clusterId)) out.set(clusterId, new Set());
    out.get(clusterId)!.add(String(b.spec.roleTemplateId));
  }
  return out;
}

export const isMember = (m: Map<string, Set<string>>, clusterId: string) => m.has(clusterId);
export const isOwner = (m: Map<string, Set<string>>, clusterId: string) =>
  m.get(clusterId)?.has('cluster-owner') ?? false;
