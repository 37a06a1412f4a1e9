import type { Store } from '../../store/types.js';
import { tokenExpired } from '../auth/authenticate.js';
import { listAll } from '../../store/list-all.js';
import type { Logger } from '../log.js';
import { defineController, type Controller } from './kit/controller.js';
import type { Registry } from './kit/metrics.js';

/**
 * Deletes expired tokens. Level-triggered: each pass reads every token and removes what is
 * expired now, so a missed pass or a restart loses nothing. Expired tokens are refused by
 * authentication anyway; this only keeps the store from growing.
 */
export async function reconcileExpiredTokens(store: Store, now = Date.now()): Promise<number> {
  const tokens = await listAll(store, 'token');
  const expired = tokens.filter((t) => tokenExpired(t, now));
  await Promise.all(expired.map((t) => store.delete('token', t.id).catch(() => undefined)));
  return expired.length;
}

/** Runs the cleanup every `intervalMs` (and at once) until stopped; the leader starts it. */
export function startTokenCleanup(deps: {
  store: Store;
  log: Logger;
  registry?: Registry;
  intervalMs?: number;
}): Controller {
  const controller = defineController({
    name: 'token-cleanup',
    log: deps.log,
    registry: deps.registry,
    resyncMs: deps.intervalMs ?? 60_000,
    // One key: a pass is over all tokens, so there is nothing to deduplicate finer.
    resyncKeys: () => ['tokens'],
    reconcile: async () => void (await reconcileExpiredTokens(deps.store)),
  });
  controller.start();
  return controller;
}
