import { listAll } from '../../store/list-all.js';
import type { Store, WatchEvent } from '../../store/types.js';
import type { FollowerListener } from '../store-follower.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';

export const CLUSTER_ID_LABEL = 'cattle.io/clusterId';

/** The role templates a user is bound to through one kind of binding, grouped by the binding's scope field. */
async function rolesByScope(
  store: Store,
  bindingType: 'clusterRoleTemplateBinding' | 'projectRoleTemplateBinding',
  scopeField: 'clusterId' | 'projectId',
  userId: string,
): Promise<Map<string, Set<string>>> {
  const bindings = await listAll(store, bindingType, `${USER_ID_LABEL}=${userId}`);
  // Bindings to the user's directory groups count too. Rarely many groups: read all and filter.
  const groups = await groupsOf(store, userId);
  if (groups.size) {
    const all = await listAll(store, bindingType);
    bindings.push(...all.filter((b) => groups.has(String(b.spec.groupPrincipalId ?? ''))));
  }
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    const scope = String(b.spec[scopeField]);
    if (!out.has(scope)) out.set(scope, new Set());
    out.get(scope)!.add(String(b.spec.roleTemplateId));
  }
  return out;
}

async function groupsOf(store: Store, userId: string): Promise<Set<string>> {
  const user = await store.get('user', userId).catch(() => undefined);
  return new Set((user?.spec.groupPrincipalIds as string[] | undefined) ?? []);
}

export const isMember = (m: Map<string, Set<string>>, clusterId: string) => m.has(clusterId);
export const isOwner = (m: Map<string, Set<string>>, clusterId: string) =>
  m.get(clusterId)?.has('cluster-owner') ?? false;

const BINDING_TYPES = new Set(['clusterRoleTemplateBinding', 'projectRoleTemplateBinding']);

/**
 * Each user's cluster and project memberships, cached per user and dropped whenever any binding
 * changes anywhere (the store follower tells every replica), as UserRules does for global roles.
 * Without it every cluster-scoped request read all of the caller's bindings: 2,000 for an owner
 * of 2,000 clusters, on each `GET /v3/clusters`.
 */
export class Memberships implements FollowerListener {
  private readonly cache = new Map<string, Map<string, Set<string>>>();
  private generation = 0;

  constructor(private readonly store: Store) {}

  onEvent(event: WatchEvent): void {
    if (BINDING_TYPES.has(event.object.type)) this.onReset();
    // A user's directory groups changed (login or refresh): their group bindings may differ.
    else if (event.object.type === 'user') this.forget(event.object.id);
  }

  onReset(): void {
    this.generation++;
    this.cache.clear();
  }

  private forget(userId: string): void {
    this.generation++;
    for (const t of BINDING_TYPES) this.cache.delete(`${t}/${userId}`);
  }

  /** The cluster role templates the user is bound to, by cluster id. Do not modify the result. */
  cluster(userId: string): Promise<Map<string, Set<string>>> {
    return this.lookup('clusterRoleTemplateBinding', 'clusterId', userId);
  }

  /** The project role templates the user is bound to, by project id. Do not modify the result. */
  project(userId: string): Promise<Map<string, Set<string>>> {
    return this.lookup('projectRoleTemplateBinding', 'projectId', userId);
  }

  private async lookup(
    bindingType: 'clusterRoleTemplateBinding' | 'projectRoleTemplateBinding',
    scopeField: 'clusterId' | 'projectId',
    userId: string,
  ): Promise<Map<string, Set<string>>> {
    const key = `${bindingType}/${userId}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const generation = this.generation;
    const roles = await rolesByScope(this.store, bindingType, scopeField, userId);
    // A change that landed while we were reading must not be hidden by a stale entry.
    if (generation === this.generation) this.cache.set(key, roles);
    return roles;
  }
}
