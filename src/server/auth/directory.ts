import type { Store, StoredObject } from '../../store/types.js';
import { listAll } from '../../store/list-all.js';
import type { TypeDef } from '../../schema/schema.js';
import type { ApiContext, SettingsReader, TypeBehavior } from '../api/context.js';
import { validateInput } from '../api/validate.js';
import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { DirectoryUser } from './ldap.js';
import { loginOptions, PasswordAttempts, sessionReply, type LoginInput, type LoginResult } from './login.js';
import {
  accessAllowed,
  claimPrincipal,
  DIRECTORY_PROVIDERS,
  directoryFor,
  EXTERNAL_PROVIDERS,
  isExternalProvider,
  principalsOf,
  providerTokens,
  readProviderConfig,
  userIdForPrincipal,
  writeProviderConfig,
  type DirectoryProviderName,
  type ExternalProviderName,
} from './providers.js';
import { bindDefaultRoles } from './users.js';
import { randomSuffix } from './token-secret.js';

/**
 * Makes the Corral user of a directory person match what the directory says now: created on
 * first login (one per principal, with the default global roles), display name and groups
 * refreshed. Groups live on the user (`groupPrincipalIds`) because the proxy reads users from
 * memory on every request and impersonates them.
 */
export async function syncDirectoryUser(
  store: Store,
  provider: ExternalProviderName,
  found: DirectoryUser,
): Promise<StoredObject> {
  const principals = principalsOf(provider, found);
  let userId = await userIdForPrincipal(store, principals.user);
  if (!userId) {
    const id = `u-${randomSuffix(5)}`;
    await claimPrincipal(store, principals.user, id);
    // Another replica may have won the claim for the same person: use theirs.
    userId = (await userIdForPrincipal(store, principals.user)) ?? id;
    if (userId === id) {
      const user = await store.create({
        type: 'user',
        id,
        metadata: { name: id, labels: {}, annotations: {} },
        spec: {
          // External users have no local username or password, as in Rancher.
          username: '',
          name: found.name,
          description: '',
          enabled: true,
          mustChangePassword: false,
          principalIds: [principals.user, `local://${id}`],
          groupPrincipalIds: principals.groups,
          groupsRefreshedAt: new Date().toISOString(),
        },
      });
      await bindDefaultRoles(store, id, id);
      return user;
    }
  }
  return updateGroups(store, userId, found.name, principals.groups);
}

/** Writes a user's groups (and display name) when they changed; compare-and-swap, retried on conflict. */
export async function updateGroups(
  store: Store,
  userId: string,
  name: string | undefined,
  groups: string[],
): Promise<StoredObject> {
  for (let attempt = 0; ; attempt++) {
    const user = await store.get('user', userId);
    const same =
      JSON.stringify(user.spec.groupPrincipalIds ?? []) === JSON.stringify(groups) &&
      (name === undefined || !user.spec.name || user.spec.name === name);
    const spec = {
      ...user.spec,
      ...(name !== undefined && !user.spec.name ? { name } : {}),
      groupPrincipalIds: groups,
      groupsRefreshedAt: new Date().toISOString(),
    };
    if (same) return user;
    try {
      return await store.update({ ...user, spec });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** `/v3-public/openLdapProviders/openldap?action=login` and the Active Directory one. */
export class DirectoryLogin {
  private readonly attempts = new PasswordAttempts();

  constructor(
    private readonly store: Store,
    private readonly settings: SettingsReader,
    private readonly box: SecretBox,
  ) {}

  async login(provider: DirectoryProviderName, input: LoginInput, remoteAddress: string): Promise<LoginResult> {
    const attempt = this.attempts.begin(input, remoteAddress, `${provider}|`);
    const options = loginOptions(input);
    const config = await readProviderConfig(this.store, provider);
    if (config.spec.enabled !== true)
      throw new ApiError('InvalidAction', `${provider} login is not enabled on this server; log in another way`);
    let found: DirectoryUser | undefined;
    try {
      found = await directoryFor(provider, config, this.box).authenticate(attempt.username, attempt.password);
    } catch (err) {
      // The person can fix none of the configuration; say the directory is the problem.
      const message = err instanceof Error ? err.message : String(err);
      throw new ApiError('BadGateway', `cannot check the password with the ${provider} directory: ${message}`);
    }
    if (!found) return attempt.failed();
    attempt.succeeded();
    const principals = principalsOf(provider, found);
    const existingId = await userIdForPrincipal(this.store, principals.user);
    if (!(await accessAllowed(this.store, config.spec, principals, existingId)))
      throw new ApiError(
        'PermissionDenied',
        'you are not among the users and groups allowed to log in here; ask an administrator',
      );
    const user = await syncDirectoryUser(this.store, provider, found);
    if (user.spec.enabled === false) throw new ApiError('Unauthorized', 'this user is disabled; ask an administrator');
    return sessionReply(this.store, this.settings, user, options, { provider, principalId: principals.user });
  }
}

/** Providers the login page offers (`/v3-public/authProviders`), local first. */
export async function publicProviders(store: Store): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [{ id: 'local', type: 'localProvider' }];
  for (const name of Object.keys(EXTERNAL_PROVIDERS) as ExternalProviderName[]) {
    const config = await readProviderConfig(store, name);
    if (config.spec.enabled === true) out.push({ id: name, type: EXTERNAL_PROVIDERS[name].publicType });
  }
  return out;
}

/** Connection settings: changing them while enabled would skip testAndApply's checks. */
const DIRECTORY_CONNECTION_FIELDS = [
  'servers',
  'port',
  'tls',
  'startTLS',
  'certificate',
  'serviceAccountDistinguishedName',
  'serviceAccountUsername',
  'serviceAccountPassword',
  'userSearchBase',
  'userLoginAttribute',
];

/**
 * The behaviour every provider configuration shares: one object, id = the provider name, stored
 * on first read; its secret field sealed; connection fields changeable only through testAndApply
 * (`test` checks a candidate spec and returns what to save); disable ends the provider's sessions.
 */
export function providerConfigBehavior(
  provider: ExternalProviderName,
  opts: {
    connectionFields: string[];
    secretField: string;
    inputField: string;
    test(candidate: StoredObject, input: Record<string, unknown>, ctx: ApiContext): Promise<Record<string, unknown>>;
  },
): TypeBehavior {
  const schema: TypeDef = EXTERNAL_PROVIDERS[provider].schema;
  const connection = new Set(opts.connectionFields);
  const notFound = (id: string) => new ApiError('NotFound', `${schema.id} "${id}" not found (it is "${provider}")`);
  return {
    async get(id, ctx) {
      if (id !== provider) throw notFound(id);
      return materialize(ctx.store, provider);
    },
    async list(ctx) {
      return [await materialize(ctx.store, provider)];
    },
    async prepareUpdate(existing, fields, ctx) {
      const changed = Object.keys(fields).filter(
        (k) => connection.has(k) && JSON.stringify(fields[k]) !== JSON.stringify(existing.spec[k]),
      );
      if (existing.spec.enabled === true && changed.length)
        throw new ApiError(
          'InvalidAction',
          `${changed.join(', ')} cannot change while ${provider} is enabled; use ?action=testAndApply, which checks them first`,
          changed[0],
        );
      const spec = { ...existing.spec, ...fields };
      const secret = fields[opts.secretField];
      if (typeof secret === 'string') spec[opts.secretField] = ctx.services.secretBox.encrypt(secret);
      return spec;
    },
    resourceActions: {
      async testAndApply(obj, input, ctx) {
        const body = (input[opts.inputField] ?? {}) as Record<string, unknown>;
        const fields = validateInput(schema, body, 'create').fields;
        const secret = fields[opts.secretField];
        // An unchanged configuration sent back from a GET has no secret: keep the stored one.
        const sealed =
          typeof secret === 'string' && secret ? ctx.services.secretBox.encrypt(secret) : obj.spec[opts.secretField];
        const candidate = { ...obj, spec: { ...fields, [opts.secretField]: sealed, enabled: input.enabled !== false } };
        const spec = await opts.test(candidate, input, ctx);
        return writeProviderConfig(ctx.store, await readProviderConfig(ctx.store, provider), spec);
      },
      async disable(obj, _input, ctx) {
        const saved = await writeProviderConfig(ctx.store, obj, { ...obj.spec, enabled: false });
        await revokeProviderTokens(ctx.store, provider);
        return saved;
      },
    },
  };
}

/** openLdapConfig / activeDirectoryConfig. */
export function directoryConfigBehavior(provider: DirectoryProviderName): TypeBehavior {
  return providerConfigBehavior(provider, {
    connectionFields: DIRECTORY_CONNECTION_FIELDS,
    secretField: 'serviceAccountPassword',
    inputField: 'ldapConfig',
    async test(candidate, input, ctx) {
      const spec = candidate.spec;
      const directory = directoryFor(provider, candidate, ctx.services.secretBox);
      await directory.check();
      const found = await directory.authenticate(String(input.username), String(input.password));
      if (!found)
        throw new ApiError(
          'InvalidValue',
          `the directory did not accept "${String(input.username)}" with that password (or found no single such user under userSearchBase with ${String(spec.userLoginAttribute)}); test with a directory user`,
          'password',
        );
      const principals = principalsOf(provider, found);
      // The tester becomes that directory person here, so enabling cannot lock them out.
      await claimPrincipal(ctx.store, principals.user, ctx.auth.user.id);
      await linkPrincipal(ctx, principals.user, principals.groups);
      const allowed = new Set((spec.allowedPrincipalIds as string[] | undefined) ?? []);
      allowed.add(principals.user);
      return { ...spec, allowedPrincipalIds: [...allowed] };
    },
  });
}

async function linkPrincipal(ctx: ApiContext, principalId: string, groups: string[]): Promise<void> {
  const user = await ctx.store.get('user', ctx.auth.user.id);
  const ids = new Set((user.spec.principalIds as string[] | undefined) ?? []);
  ids.add(principalId);
  await ctx.store.update({
    ...user,
    spec: {
      ...user.spec,
      principalIds: [...ids],
      groupPrincipalIds: groups,
      groupsRefreshedAt: new Date().toISOString(),
    },
  });
}

/**
 * The stored configuration, saving the defaults first if it never was: updates and actions then
 * compare-and-swap on a real object. Only admins' reads get here, never the public login page.
 */
export async function materialize(store: Store, provider: ExternalProviderName): Promise<StoredObject> {
  const config = await readProviderConfig(store, provider);
  if (config.metadata.resourceVersion) return config;
  return writeProviderConfig(store, config, config.spec).catch(() => readProviderConfig(store, provider));
}

/** Ends every session and key a provider issued. */
export async function revokeProviderTokens(store: Store, provider: string, userId?: string): Promise<number> {
  const tokens = await providerTokens(store, provider, userId);
  await Promise.all(tokens.map((t) => store.delete('token', t.id).catch(() => undefined)));
  return tokens.length;
}

/** `/v3/authConfigs`: every provider's on/off and access mode, local always on. */
export const authConfigBehavior: TypeBehavior = {
  async list(ctx) {
    const out: StoredObject[] = [localConfig()];
    for (const name of Object.keys(EXTERNAL_PROVIDERS) as ExternalProviderName[])
      out.push(asAuthConfig(await readProviderConfig(ctx.store, name)));
    return out;
  },
  async get(id, ctx) {
    if (id === 'local') return localConfig();
    if (!isExternalProvider(id)) throw new ApiError('NotFound', `authConfig "${id}" not found`);
    return asAuthConfig(await readProviderConfig(ctx.store, id));
  },
};

function asAuthConfig(config: StoredObject): StoredObject {
  return {
    ...config,
    type: 'authConfig',
    spec: {
      name: config.id,
      enabled: config.spec.enabled === true,
      accessMode: config.spec.accessMode,
      allowedPrincipalIds: config.spec.allowedPrincipalIds ?? [],
    },
  };
}

function localConfig(): StoredObject {
  return {
    type: 'authConfig',
    id: 'local',
    metadata: {
      name: 'local',
      labels: {},
      annotations: {},
      resourceVersion: '',
      uid: '',
      creationTimestamp: new Date(0).toISOString(),
      finalizers: [],
    },
    spec: { name: 'local', enabled: true, accessMode: 'unrestricted', allowedPrincipalIds: [] },
    status: {},
  };
}

/** Directory users and groups matching `name`, from every enabled directory. */
export async function searchDirectories(
  store: Store,
  box: SecretBox,
  name: string,
  kind: 'user' | 'group' | undefined,
): Promise<{ provider: DirectoryProviderName; kind: 'user' | 'group'; dn: string; name: string; loginName: string }[]> {
  const out = [];
  for (const provider of Object.keys(DIRECTORY_PROVIDERS) as DirectoryProviderName[]) {
    const config = await readProviderConfig(store, provider);
    if (config.spec.enabled !== true) continue;
    const dir = directoryFor(provider, config, box);
    for (const k of kind ? [kind] : (['user', 'group'] as const)) {
      for (const e of await dir.search(name, k)) out.push({ provider, kind: k, ...e });
    }
  }
  return out;
}

/** Users linked to a directory principal of `provider`. */
export async function directoryUsers(store: Store, provider: string): Promise<StoredObject[]> {
  const users = await listAll(store, 'user');
  return users.filter((u) =>
    ((u.spec.principalIds as string[] | undefined) ?? []).some((p) => p.startsWith(`${provider}_user://`)),
  );
}
