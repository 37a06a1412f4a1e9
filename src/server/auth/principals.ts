import type { StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { listAll } from '../../store/list-all.js';

import { ApiError } from '../http/errors.js';
import { render } from '../api/collection.js';
import { principal } from '../../schema/types/index.js';
import { searchDirectories } from './directory.js';
import { parsePrincipalId } from './providers.js';

const LOCAL = 'local://';

/** A local user seen as a principal (`local://u-xxxxx`), the shape Rancher's auth providers give. */
function asPrincipal(user: StoredObject, ctx: ApiContext): StoredObject {
  const id = `${LOCAL}${user.id}`;
  return {
    type: 'principal',
    id,
    metadata: { ...user.metadata, name: id, labels: {}, annotations: {} },
    spec: {
      name: user.spec.name || user.spec.username,
      loginName: user.spec.username,
      principalType: 'user',
      provider: 'local',
      me: user.id === ctx.auth.user.id,
      memberOf: false,
    },
    status: {},
  };
}

/** A directory user or group as a principal; its name is what the directory calls it, else the DN's first value. */
function directoryPrincipal(
  id: string,
  p: { provider: string; kind: 'user' | 'group'; name?: string; loginName?: string },
  ctx: ApiContext,
): StoredObject {
  const key = parsePrincipalId(id)?.key ?? id;
  // A DN's first value (cn=devs,… → devs); an OpenID group or subject as it is.
  const fallback = /^[^=,]+=((?:\\,|[^,])*)/.exec(key)?.[1] ?? key;
  const own = principalsOfCaller(ctx);
  return {
    type: 'principal',
    id,
    metadata: {
      name: id,
      labels: {},
      annotations: {},
      resourceVersion: '',
      uid: '',
      creationTimestamp: ctx.auth.user.metadata.creationTimestamp,
      finalizers: [],
    },
    spec: {
      name: p.name || fallback,
      loginName: p.loginName || fallback,
      principalType: p.kind,
      provider: p.provider,
      me: p.kind === 'user' && own.has(id),
      memberOf: p.kind === 'group' && own.has(id),
    },
    status: {},
  };
}

/** The caller's principals: their local one, directory ones, and their groups'. */
function principalsOfCaller(ctx: ApiContext): Set<string> {
  const spec = ctx.auth.user.spec;
  return new Set([
    `${LOCAL}${ctx.auth.user.id}`,
    ...((spec.principalIds as string[] | undefined) ?? []),
    ...((spec.groupPrincipalIds as string[] | undefined) ?? []),
  ]);
}

export const principalBehavior: TypeBehavior = {
  ownerAllows: (verb, obj, ctx) => ['get', 'list'].includes(verb) && principalsOfCaller(ctx).has(obj.id),
  ownListFilter: (ctx) => (obj) => principalsOfCaller(ctx).has(obj.id),
  /** The caller's own principals (theirs and their groups'), as in Rancher; others are found with ?action=search. */
  async list(ctx) {
    const out = [asPrincipal(ctx.auth.user, ctx)];
    for (const id of principalsOfCaller(ctx)) {
      const parsed = parsePrincipalId(id);
      if (parsed && parsed.provider !== 'local') out.push(directoryPrincipal(id, parsed, ctx));
    }
    return out;
  },
  async get(id, ctx) {
    const parsed = parsePrincipalId(id);
    if (parsed && parsed.provider !== 'local') return directoryPrincipal(id, parsed, ctx);
    if (!id.startsWith(LOCAL)) throw new ApiError('NotFound', `principal "${id}" not found`);
    try {
      return asPrincipal(await ctx.store.get('user', id.slice(LOCAL.length)), ctx);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound')
        throw new ApiError('NotFound', `principal "${id}" not found`);
      throw err;
    }
  },
  collectionActions: {
    async search(input, ctx) {
      const kind = input.principalType as 'user' | 'group' | undefined;
      const needle = String(input.name ?? '').toLowerCase();
      const users = kind === 'group' ? [] : await listAll(ctx.store, 'user');
      const found = users
        // Directory users are found in their directory, with its current names.
        .filter((u) => u.spec.enabled !== false && u.spec.username)
        .filter((u) => !needle || `${u.spec.username} ${u.spec.name}`.toLowerCase().includes(needle))
        .slice(0, 100)
        .map((u) => asPrincipal(u, ctx));
      const external = await searchDirectories(ctx.store, ctx.services.secretBox, String(input.name ?? ''), kind);
      for (const e of external) {
        const id = `${e.provider}_${e.kind}://${e.dn}`;
        found.push(directoryPrincipal(id, e, ctx));
      }
      return collection(found, ctx);
    },
  },
};

function collection(items: StoredObject[], ctx: ApiContext) {
  return {
    type: 'collection',
    resourceType: 'principal',
    data: items.map((p) => render(principal, principalBehavior, p, ctx)),
  };
}
