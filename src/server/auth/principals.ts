import type { StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { listAll } from '../../store/list-all.js';

import { ApiError } from '../http/errors.js';
import { render } from '../api/collection.js';
import { principal } from '../../schema/types/index.js';

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

export const principalBehavior: TypeBehavior = {
  ownerAllows: (verb, obj, ctx) => ['get', 'list'].includes(verb) && obj.id === `${LOCAL}${ctx.auth.user.id}`,
  ownListFilter: (ctx) => (obj) => obj.id === `${LOCAL}${ctx.auth.user.id}`,
  /** The caller's own principals, as in Rancher; others are found with ?action=search. */
  async list(ctx) {
    return [asPrincipal(ctx.auth.user, ctx)];
  },
  async get(id, ctx) {
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
      if (input.principalType === 'group') return collection([], ctx);
      const needle = String(input.name ?? '').toLowerCase();
      const users = await listAll(ctx.store, 'user');
      const found = users
        .filter((u) => u.spec.enabled !== false)
        .filter((u) => !needle || `${u.spec.username} ${u.spec.name}`.toLowerCase().includes(needle))
        .slice(0, 100)
        .map((u) => asPrincipal(u, ctx));
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
