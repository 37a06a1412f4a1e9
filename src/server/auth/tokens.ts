import type { Store, StoredObject } from '../../store/types.js';
import { ActionReply, type ApiContext, type SettingsReader, type TypeBehavior } from '../api/context.js';
import { CLEAR_SESSION_COOKIES } from './credentials.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { ApiError } from '../http/errors.js';
import { tokenExpired } from './authenticate.js';
import { hashTokenSecret, newTokenSecret, randomSuffix } from './token-secret.js';

export type TokenKind = 'session' | 'apikey';

export interface IssueTokenOptions {
  userId: string;
  kind: TokenKind;
  /** Requested lifetime in ms; 0 asks for the maximum. */
  ttlMs: number;
  description?: string;
  clusterId?: string | null;
  /** The provider the user logged in through (default local), and their principal there. */
  authProvider?: string;
  userPrincipal?: string;
}

/** Clamps a requested lifetime to the server's maximum; sessions get the session lifetime. */
export async function tokenLifetimeMs(settings: SettingsReader, kind: TokenKind, ttlMs: number): Promise<number> {
  const maxMs = (await settings.getInt('auth-token-max-ttl-minutes')) * 60_000;
  const sessionMs = (await settings.getInt('auth-user-session-ttl-minutes')) * 60_000;
  const wanted = kind === 'session' ? ttlMs || sessionMs : ttlMs;
  if (maxMs === 0) return wanted; // 0: no maximum configured
  return wanted === 0 ? maxMs : Math.min(wanted, maxMs);
}

/** The spec and id of a new token, and the full `token-xxxxx:<secret>` to give out once. */
export async function newToken(settings: SettingsReader, opts: IssueTokenOptions) {
  const id = `token-${randomSuffix(5)}`;
  const secret = newTokenSecret();
  const ttl = await tokenLifetimeMs(settings, opts.kind, opts.ttlMs);
  const spec: Record<string, unknown> = {
    userId: opts.userId,
    kind: opts.kind,
    tokenHash: hashTokenSecret(secret),
    description: opts.description ?? '',
    ttl,
    expiresAt: ttl ? new Date(Date.now() + ttl).toISOString() : '',
    clusterId: opts.clusterId ?? null,
    authProvider: opts.authProvider ?? 'local',
    userPrincipal: opts.userPrincipal ?? `local://${opts.userId}`,
    isDerived: opts.kind === 'apikey',
    enabled: true,
  };
  return { id, spec, labels: { [USER_ID_LABEL]: opts.userId }, value: `${id}:${secret}` };
}

export async function issueToken(store: Store, settings: SettingsReader, opts: IssueTokenOptions) {
  const t = await newToken(settings, opts);
  const obj = await store.create({
    type: 'token',
    id: t.id,
    metadata: { name: t.id, labels: t.labels, annotations: {} },
    spec: t.spec,
  });
  return { obj, value: t.value };
}

const isOwn = (obj: StoredObject, ctx: ApiContext) => obj.spec.userId === ctx.auth.user.id;

export const tokenBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    // A cluster-scoped session cannot mint itself a key for everything.
    const scope = ctx.auth.token.spec.clusterId as string | null | undefined;
    if (scope && fields.clusterId !== scope) {
      throw new ApiError(
        'PermissionDenied',
        `a token limited to cluster ${scope} can only create keys for that cluster`,
      );
    }
    const t = await newToken(ctx.settings, {
      userId: ctx.auth.user.id,
      kind: 'apikey',
      ttlMs: Number(fields.ttl ?? 0),
      description: fields.description as string | undefined,
      clusterId: fields.clusterId as string | null | undefined,
      // A key made from a directory session goes when that provider is disabled or drops the user.
      authProvider: ctx.auth.token.spec.authProvider as string | undefined,
      userPrincipal: ctx.auth.token.spec.userPrincipal as string | undefined,
    });
    return { id: t.id, spec: t.spec, labels: t.labels, responseExtra: { token: t.value } };
  },
  ownerAllows: (verb, obj, ctx) => ['get', 'delete', 'create'].includes(verb) && isOwn(obj, ctx),
  ownListFilter: (ctx) => (obj) => isOwn(obj, ctx),
  ownListSelector: (ctx) => `${USER_ID_LABEL}=${ctx.auth.user.id}`,
  renderExtra: (obj, ctx) => ({
    name: obj.id,
    current: obj.id === ctx.auth.token.id,
    expired: tokenExpired(obj),
    token: undefined,
  }),
  collectionActions: {
    logout: async (_input, ctx) => {
      await ctx.store.delete('token', ctx.auth.token.id);
      return new ActionReply({}, { 'set-cookie': CLEAR_SESSION_COOKIES });
    },
  },
};
