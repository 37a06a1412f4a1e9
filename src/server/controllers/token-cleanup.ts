import type { Store } from '../../store/types.js';
import { tokenExpired } from '../auth/authenticate.js';
import { listAll } from '../../store/list-all.js';

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
