import { createHash } from 'node:crypto';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { ApiContext, SettingsReader, TypeBehavior } from '../api/context.js';
import { escalationCheck, EscalationError } from '../authz/authorizer.js';
import { listAll } from '../../store/list-all.js';
import { GLOBAL_ROLE_LABEL, USER_ID_LABEL, type UserRules } from '../authz/user-rules.js';
import { ApiError } from '../http/errors.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import { randomSuffix } from './token-secret.js';
import { releasePrincipals } from './providers.js';
import { refreshDirectoryUser } from './group-refresh.js';

/**
 * Usernames are unique: a claim object keyed by a hash of the username is created first, and the
 * store's create-if-absent makes that atomic across replicas.
 */
const claimId = (username: string) => 'username-' + createHash('sha256').update(username).digest('hex').slice(0, 40);

export async function claimUsername(store: Store, username: string, userId: string): Promise<void> {
  try {
    await store.create({
      type: 'usernameClaim',
      id: claimId(username),
      metadata: { name: claimId(username) },
      spec: { username, userId },
    });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'AlreadyExists') {
      throw new ApiError('NotUnique', `username "${username}" is already taken`, 'username');
    }
    throw err;
  }
}

export async function userIdForUsername(store: Store, username: string): Promise<string | undefined> {
  try {
    return String((await store.get('usernameClaim', claimId(username))).spec.userId);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

async function releaseUsername(store: Store, username: string): Promise<void> {
  await store.delete('usernameClaim', claimId(username)).catch(() => undefined);
}

export async function bindGlobalRole(store: Store, userId: string, globalRoleId: string, creatorId?: string) {
  return store.create({
    type: 'globalRoleBinding',
    metadata: {
      generateName: 'globalrolebinding-',
      labels: { [USER_ID_LABEL]: userId, [GLOBAL_ROLE_LABEL]: globalRoleId },
      annotations: creatorId ? { 'field.cattle.io/creatorId': creatorId } : {},
    },
    spec: { globalRoleId, userId },
  });
}

export interface NewUser {
  username: string;
  password: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  mustChangePassword?: boolean;
}

/** Creates a local user with a hashed password, claiming the username first. */
export async function createUser(
  store: Store,
  settings: SettingsReader,
  input: NewUser,
  labels: Record<string, string> = {},
  creatorId?: string,
) {
  checkPasswordPolicy(input.password, await settings.getInt('password-min-length'), input.username, 'password');
  const id = `u-${randomSuffix(5)}`;
  await claimUsername(store, input.username, id);
  try {
    return await store.create({
      type: 'user',
      id,
      metadata: { name: id, labels, annotations: creatorId ? { 'field.cattle.io/creatorId': creatorId } : {} },
      spec: {
        username: input.username,
        name: input.name ?? '',
        description: input.description ?? '',
        enabled: input.enabled ?? true,
        mustChangePassword: input.mustChangePassword ?? false,
        passwordHash: await hashPassword(input.password),
        principalIds: [`local://${id}`],
      },
    });
  } catch (err) {
    await releaseUsername(store, input.username);
    throw err;
  }
}

/** Bindings to every global role marked newUserDefault. */
export async function bindDefaultRoles(store: Store, userId: string, creatorId: string): Promise<void> {
  const roles = await listAll(store, 'globalRole');
  await Promise.all(
    roles.filter((r) => r.spec.newUserDefault === true).map((r) => bindGlobalRole(store, userId, r.id, creatorId)),
  );
}

/**
 * Acting on another user (changing their password, disabling or deleting them) needs every
 * permission they hold: otherwise a users-manage holder could take over an admin account.
 */
async function checkActorCovers(ctx: ApiContext, rules: UserRules, target: StoredObject): Promise<void> {
  if (target.id === ctx.auth.user.id) return;
  try {
    escalationCheck(ctx.rules, await rules.rulesFor(target.id));
  } catch (err) {
    if (err instanceof EscalationError) {
      throw new ApiError('PermissionDenied', `user ${target.id} holds permissions you do not; ${err.message}`);
    }
    throw err;
  }
}

export function userBehavior(rules: UserRules): TypeBehavior {
  return {
    create: (fields, ctx, labels) => createUserFromApi(fields, ctx, labels),
    ownerAllows: (verb, obj, ctx) => verb === 'get' && obj.id === ctx.auth.user.id,
    ownListFilter: (ctx) => (obj) => obj.id === ctx.auth.user.id,
    renderExtra: (obj, ctx) => ({ me: obj.id === ctx.auth.user.id }),
    async prepareUpdate(existing, fields, ctx) {
      await checkActorCovers(ctx, rules, existing);
      if (existing.id === ctx.auth.user.id && fields.enabled === false) {
        throw new ApiError('NotUpdatable', 'you cannot disable your own user', 'enabled');
      }
      return { ...existing.spec, ...fields };
    },
    async beforeDelete(existing, ctx) {
      if (existing.id === ctx.auth.user.id) throw new ApiError('InvalidAction', 'you cannot delete your own user');
      await checkActorCovers(ctx, rules, existing);
    },
    async afterDelete(existing, ctx) {
      // Everything that gave the user access goes with them.
      const [tokens, bindings] = await Promise.all([
        listAll(ctx.store, 'token', `${USER_ID_LABEL}=${existing.id}`),
        listAll(ctx.store, 'globalRoleBinding', `${USER_ID_LABEL}=${existing.id}`),
      ]);
      await Promise.all([...tokens, ...bindings].map((o) => ctx.store.delete(o.type, o.id).catch(() => undefined)));
      if (existing.spec.username) await releaseUsername(ctx.store, String(existing.spec.username));
      await releasePrincipals(ctx.store, existing);
    },
    resourceActions: {
      async setpassword(obj, input, ctx) {
        await checkActorCovers(ctx, rules, obj);
        const password = String(input.newPassword);
        checkPasswordPolicy(password, await ctx.settings.getInt('password-min-length'), String(obj.spec.username));
        const updated = await ctx.store.update({
          ...obj,
          spec: { ...obj.spec, passwordHash: await hashPassword(password) },
        });
        return updated;
      },
      /** Rancher's: read the user's groups from their provider now, instead of at the next refresh. */
      async refreshauthprovideraccess(obj, _input, ctx) {
        await refreshDirectoryUser(ctx.store, ctx.services.secretBox, obj.id);
        return ctx.store.get('user', obj.id);
      },
    },
    collectionActions: {
      async changepassword(input, ctx) {
        const user = await ctx.store.get('user', ctx.auth.user.id);
        if (!(await verifyPassword(user.spec.passwordHash as string, String(input.currentPassword)))) {
          throw new ApiError('InvalidValue', 'the current password is wrong', 'currentPassword');
        }
        const password = String(input.newPassword);
        if (password === input.currentPassword) {
          throw new ApiError('InvalidValue', 'the new password must differ from the current one', 'newPassword');
        }
        checkPasswordPolicy(password, await ctx.settings.getInt('password-min-length'), String(user.spec.username));
        await ctx.store.update({
          ...user,
          spec: { ...user.spec, passwordHash: await hashPassword(password), mustChangePassword: false },
        });
      },
    },
  };
}

/** POST /v3/users: validated fields in, a user with its default global roles out. */
async function createUserFromApi(
  fields: Record<string, unknown>,
  ctx: ApiContext,
  labels: Record<string, string>,
): Promise<StoredObject> {
  const user = await createUser(
    ctx.store,
    ctx.settings,
    {
      username: String(fields.username),
      password: String(fields.password),
      name: fields.name as string | undefined,
      description: fields.description as string | undefined,
      enabled: fields.enabled as boolean | undefined,
      mustChangePassword: fields.mustChangePassword as boolean | undefined,
    },
    labels,
    ctx.auth.user.id,
  );
  await bindDefaultRoles(ctx.store, user.id, ctx.auth.user.id);
  return user;
}
