import type { Store, StoredObject } from '../../store/types.js';
import type { PolicyRule } from './policy-rule.js';

export const USER_ID_LABEL = 'cattle.io/userId';
export const GLOBAL_ROLE_LABEL = 'cattle.io/globalRoleId';

/**
 * The global rules each user holds, from their global role bindings. Cached per user and dropped
 * whenever any global role or binding changes anywhere (the store's watch tells every replica),
 * so that a revoked role stops working at once without a lookup chain on every request.
 */
export class UserRules {
  private readonly cache = new Map<string, PolicyRule[]>();
  private readonly abort = new AbortController();
  private generation = 0;

  constructor(private readonly store: Store) {}

  /** Starts following changes; call once at startup. */
  async start(): Promise<void> {
    const from = await this.store.currentRevision();
    void this.follow(from);
  }

  private async follow(from: string): Promise<void> {
    let revision = from;
    while (!this.abort.signal.aborted) {
      try {
        for await (const event of this.store.watch({ resourceVersion: revision, signal: this.abort.signal })) {
          revision = event.object.metadata.resourceVersion;
          if (event.object.type === 'globalRole' || event.object.type === 'globalRoleBinding') this.invalidate();
        }
      } catch {
        // History gone or store hiccup: forget everything and follow from now.
        this.invalidate();
        if (this.abort.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 500));
        try {
          revision = await this.store.currentRevision();
        } catch {
          // try again on the next turn
        }
      }
    }
  }

  invalidate(): void {
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

  stop(): void {
    this.abort.abort();
  }
}

export async function listAll(store: Store, type: string, labelSelector?: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(type, { labelSelector, limit: 1000, continue: cont });
    out.push(...page.items);
    cont = page.continue;
  } while (cont);
  return out;
}
