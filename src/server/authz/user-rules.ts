import type { Store, WatchEvent } from '../../store/types.js';
import { listAll } from '../../store/list-all.js';
import type { FollowerListener } from '../store-follower.js';
import type { PolicyRule } from './policy-rule.js';

export const USER_ID_LABEL = 'cattle.io/userId';
export const GLOBAL_ROLE_LABEL = 'cattle.io/globalRoleId';

/**
 * The global rules each user holds, from their global role bindings. Cached per user and dropped
 * whenever any global role or binding changes anywhere (the store follower tells every replica),
 * so that a revoked role stops working at once without a lookup chain on every request.
 */
export class UserRules implements FollowerListener {
  private readonly cache = new Map<string, PolicyRule[]>();
  private generation = 0;

  constructor(private readonly store: Store) {}

  onEvent(event: WatchEvent): void {
    if (event.object.type === 'globalRole' || event.object.type === 'globalRoleBinding') this.onReset();
  }

  onReset(): void {
    this.generation++;
    this.cache.clear();
  }

  async rulesFor(userId: string): Promise<PolicyRule[]> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    const generation = this.generation;
    const bindings = await listAll(this.store, 'globalRoleBinding', `${USER_ID_LABEL}=${userId}`);
    const roles = await Promise.all(
      bindings.map((b) => this.store.get('globalRole', String(b.spec.globalRoleId)).catch(() => undefined)),
    );
    const rules = roles.flatMap((r) => (r?.spec.rules as PolicyRule[] | undefined) ?? []);
    // A change that landed while we were reading must not be hidden by a stale cache entry.
    if (generation === this.generation) this.cache.set(userId, rules);
    return rules;
  }
}
