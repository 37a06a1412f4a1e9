import type { IncomingMessage } from 'node:http';
import { readJsonObject } from '../http/body.js';
import { ApiError } from '../http/errors.js';
import {
  collectionAction,
  createResource,
  deleteResource,
  getResource,
  resourceAction,
  updateResource,
} from './collection.js';
import { ActionReply, type ApiContext } from './context.js';
import type { Reply } from '../http/routes.js';
import { listResources } from './list.js';
import type { V3Registry } from './registry.js';
import { isTopLevel, type TypeDef } from '../../schema/schema.js';
import { schemasReply } from './schemas-endpoint.js';

export function v3Router(registry: V3Registry) {
  // Cluster-scoped types live under /v3/clusters/<id>/, not in the top-level collections.
  const topLevel = registry.types.filter(isTopLevel);
  const byPlural = new Map(topLevel.map((t) => [t.plural.toLowerCase(), t]));

  return async function route(req: IncomingMessage, url: URL, ctx: ApiContext): Promise<Reply> {
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts.length === 0) {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', `${method} is not allowed on /v3`);
      return { status: 200, body: root(topLevel, ctx.baseUrl) };
    }
    const [first, id, ...rest] = parts as [string, string | undefined, ...string[]];
    if (rest.length) throw new ApiError('NotFound', `no such path ${url.pathname}`);
    if (first.toLowerCase() === 'schemas') {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', 'schemas are read-only');
      return { status: 200, body: schemasReply(topLevel, ctx.baseUrl, `${ctx.baseUrl}/v3`, id) };
    }
    const schema = byPlural.get(first.toLowerCase());
    if (!schema) throw new ApiError('NotFound', `unknown type "${first}"; GET /v3 lists the collections`);
    const behavior = registry.behaviors[schema.id] ?? {};
    const action = url.searchParams.get('action');

    if (id === undefined) {
      if (method === 'GET') return { status: 200, body: await listResources(schema, behavior, ctx, url) };
      if (method === 'POST' && action) {
        const out = await collectionAction(schema, behavior, ctx, action, await readJsonObject(req));
        return out instanceof ActionReply
          ? { status: 200, body: out.body, headers: out.headers }
          : { status: 200, body: out };
      }
      if (method === 'POST')
        return { status: 201, body: await createResource(schema, behavior, ctx, await readJsonObject(req)) };
      throw new ApiError('MethodNotAllowed', `${method} is not allowed on /v3/${schema.plural}`);
    }
    if (method === 'GET') return { status: 200, body: await getResource(schema, behavior, ctx, id) };
    if (method === 'POST' && action) {
      return { status: 200, body: await resourceAction(schema, behavior, ctx, id, action, await readJsonObject(req)) };
    }
    if (method === 'PUT')
      return { status: 200, body: await updateResource(schema, behavior, ctx, id, await readJsonObject(req)) };
    if (method === 'DELETE') return { status: 200, body: await deleteResource(schema, behavior, ctx, id) };
    throw new ApiError('MethodNotAllowed', `${method} is not allowed on /v3/${schema.plural}/${id}`);
  };
}

function root(types: TypeDef[], baseUrl: string) {
  const links: Record<string, string> = { self: `${baseUrl}/v3`, schemas: `${baseUrl}/v3/schemas` };
  for (const t of types) links[t.plural] = `${baseUrl}/v3/${t.plural}`;
  return { type: 'apiRoot', id: 'v3', links };
}
