import type { Store, StoredObject } from '../../store/types.js';
import type { SettingsReader } from '../api/context.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import type { Registry } from '../controllers/kit/metrics.js';
import { StoreInformer } from '../controllers/kit/store-informer.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { StoreFollower } from '../store-follower.js';
import { revokeProviderTokens, updateGroups } from './directory.js';
import type { DirectoryUser } from './ldap.js';
import {
  accessAllowed,
  directoryFor,
  EXTERNAL_PROVIDERS,
  isDirectoryProvider,
  isExternalProvider,
  parsePrincipalId,
  principalsOf,
  readProviderConfig,
} from './providers.js';

const MAX_AGE_SETTING = 'auth-user-info-max-age-seconds';

/** The user's directory principal, if they have one: `{ provider, dn }`. */
export function directoryPrincipalOf(user: StoredObject) {
  for (const id of (user.spec.principalIds as string[] | undefined) ?? []) {
    const p = parsePrincipalId(id);
    if (p && p.kind === 'user' && isExternalProvider(p.provider)) return { provider: p.provider, dn: p.key };
  }
  return undefined;
}

/**
 * Brings one directory user's access in line with the directory now: their groups are re-read;
 * when the provider is disabled, the directory no longer has them (or marks them disabled), or the
 * access mode no longer admits them, their groups are emptied and every token from that provider
 * is deleted, so they lose access within one refresh. Level-triggered: safe to run at any time.
 */
export async function refreshDirectoryUser(
  store: Store,
  box: SecretBox,
  userId: string,
): Promise<'kept' | 'revoked' | 'none'> {
  const user = await store.get('user', userId);
  const principal = directoryPrincipalOf(user);
  if (!principal) return 'none';
  const config = await readProviderConfig(store, principal.provider);
  let found: DirectoryUser | undefined;
  let principals: { user: string; groups: string[] } | undefined;
  if (config.spec.enabled !== true) found = undefined;
  else if (isDirectoryProvider(principal.provider)) {
    found = await directoryFor(principal.provider, config, box).lookup(principal.dn);
    if (found) principals = principalsOf(principal.provider, found);
  } else {
    // OpenID and GitHub have no directory to ask between logins: the groups of the last login stand.
    found = { dn: principal.dn, name: String(user.spec.name ?? ''), loginName: '', groups: [] };
    principals = {
      user: `${principal.provider}_user://${principal.dn}`,
      groups: (user.spec.groupPrincipalIds as string[] | undefined) ?? [],
    };
  }
  const allowed = found && principals && (await accessAllowed(store, config.spec, principals, userId));
  if (!found || !allowed) {
    await revokeProviderTokens(store, principal.provider, userId);
    await updateGroups(store, userId, undefined, []);
    return 'revoked';
  }
  await updateGroups(store, userId, found.name, principals!.groups);
  return 'kept';
}

/** Runs refreshDirectoryUser for every directory user every `auth-user-info-max-age-seconds` (on the leader). */
export async function startGroupRefresh(deps: {
  store: Store;
  follower: StoreFollower;
  secretBox: SecretBox;
  settings: SettingsReader;
  log: Logger;
  registry?: Registry;
}): Promise<Controller> {
  const users = new StoreInformer(deps.store, 'user');
  const configs = Object.values(EXTERNAL_PROVIDERS).map((p) => new StoreInformer(deps.store, p.schema.id));
  const settings = new StoreInformer(deps.store, 'setting');
  for (const i of [users, settings, ...configs]) deps.follower.add(i);
  await Promise.all([users, settings, ...configs].map((i) => i.start()));
  const directoryUserIds = () =>
    users.cache
      .list()
      .filter((u) => directoryPrincipalOf(u))
      .map((u) => u.id);
  const controller = defineController({
    name: 'auth-group-refresh',
    log: deps.log,
    registry: deps.registry,
    maxConcurrent: 4,
    resyncMs: 60_000,
    resyncKeys: directoryUserIds,
    async reconcile(userId) {
      const outcome = await refreshDirectoryUser(deps.store, deps.secretBox, userId);
      if (outcome === 'revoked') deps.log.info('directory user lost access', { user: userId });
      if (outcome === 'none') return;
      return { requeueAfter: (await deps.settings.getInt(MAX_AGE_SETTING)) * 1000 };
    },
  });
  controller.watch(users, (u) => (directoryPrincipalOf(u) ? [u.id] : []));
  // A provider switched off or reconfigured: everyone of it is checked now, not at their next turn.
  for (const c of configs) controller.watch(c, () => directoryUserIds());
  // A shorter interval applies now, not after the longer one each user is already waiting out.
  controller.watch(settings, (s) => (s.id === MAX_AGE_SETTING ? directoryUserIds() : []));
  controller.start();
  return controller;
}
