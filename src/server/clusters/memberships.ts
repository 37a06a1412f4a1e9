import { listAll } from '../../store/list-all.js';
import type { Store } from '../../store/types.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';

export const CLUSTER_ID_LABEL = 'cattle.io/clusterId';

/** The role templates a user is bound to through one kind of binding, grouped by the binding's scope field. */
export async function rolesByScope(
  store: Store,
  bindingType: 'clusterRoleTemplateBinding' | 'projectRoleTemplateBinding',
  scopeField: 'clusterId' | 'projectId',
  userId: string,
): Promise<Map<string, Set<string>>> {
  const bindings = await listAll(store, bindingType, `${USER_ID_LABEL}=${userId}`);
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    const scope = String(b.spec[scopeField]);
    if (!out.has(scope)) out.set(scope, new Set());
    out.get(scope)!.add(String(b.spec.roleTemplateId));
  }
  return out;
}

/** The cluster role templates a user is bound to, by cluster id. */
export const clusterMemberships = (store: Store, userId: string) =>
  rolesByScope(store, 'clusterRoleTemplateBinding', 'clusterId', userId);

export const isMember = (m: Map<string, Set<string>>, clusterId: string) => m.has(clusterId);
export const isOwner = (m: Map<string, Set<string>>, clusterId: string) =>
  m.get(clusterId)?.has('cluster-owner') ?? false;
