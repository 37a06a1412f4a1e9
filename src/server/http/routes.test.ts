import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { routeTable, type Route } from './routes.js';

/** A response that records what was written, enough for sendJson/sendText. */
function recorder() {
  const out = { status: 0, headers: {} as Record<string, unknown>, body: '' };
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, unknown>) {
      out.status = status;
      out.headers = headers;
    },
    end(body: string) {
      out.body = body;
    },
  } as unknown as ServerResponse;
  return { res, out };
}

const request = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers, socket: {} }) as unknown as IncomingMessage;

async function call(table: ReturnType<typeof routeTable<string>>, method: string, path: string) {
  const { res, out } = recorder();
  await table(request(method), res, new URL(path, 'https://corral.invalid'));
  return out;
}

describe('routeTable', () => {
  const calls: string[] = [];
  const routes: Route<string>[] = [
    { path: '/public', auth: 'public', handle: ({ auth }) => ({ status: 200, body: { auth: auth ?? null } }) },
    {
      methods: ['GET'],
      path: '/v3/clusters/:clusterId/namespaces/:name?',
      ignoreCase: true,
      auth: 'user',
      handle: ({ params, auth }) => ({ status: 200, body: { params, auth } }),
    },
    {
      path: '/v3/*',
      auth: 'user',
      handle: ({ params }) => ({
        status: 201,
        body: { rest: params.rest },
        headers: { 'set-cookie': ['a=; Max-Age=0'] },
      }),
    },
    {
      path: '/stream',
      auth: 'self',
      handle: ({ res }) => {
        res.writeHead(202, {});
        res.end('streamed');
      },
    },
  ];
  const table = routeTable(routes, async (req) => {
    calls.push(req.method ?? '');
    if (req.method === 'DELETE') throw new ApiError('Unauthorized', 'no credential');
    return 'u-alice';
  });

  it('runs the authentication hook only for user routes and hands its result to the handler', async () => {
    calls.length = 0;
    expect(JSON.parse((await call(table, 'GET', '/public')).body)).toEqual({ auth: null });
    expect(calls).toEqual([]);
    const ns = await call(table, 'GET', '/V3/clusters/c-1/namespaces/team%2Da');
    expect(JSON.parse(ns.body)).toEqual({ params: { clusterId: 'c-1', name: 'team-a' }, auth: 'u-alice' });
    expect(calls).toEqual(['GET']);
  });

  it('leaves optional segments out of params and passes the rest of a wildcard path', async () => {
    expect(JSON.parse((await call(table, 'GET', '/v3/clusters/c-1/namespaces')).body).params).toEqual({
      clusterId: 'c-1',
    });
    const r = await call(table, 'POST', '/v3/tokens');
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body)).toEqual({ rest: 'tokens' });
    expect(r.headers['set-cookie']).toEqual(['a=; Max-Age=0']);
  });

  it('falls through to a later route when the method does not match', async () => {
    // POST on the namespaces path is not the namespaces route's: the /v3/* route takes it.
    const r = await call(table, 'POST', '/v3/clusters/c-1/namespaces');
    expect(JSON.parse(r.body)).toEqual({ rest: 'clusters/c-1/namespaces' });
  });

  it('refuses when authentication fails, before the handler runs', async () => {
    await expect(call(table, 'DELETE', '/v3/tokens/x')).rejects.toMatchObject({ code: 'Unauthorized' });
  });

  it('lets a handler write its own response', async () => {
    const r = await call(table, 'GET', '/stream');
    expect([r.status, r.body]).toEqual([202, 'streamed']);
  });

  it('answers 405 for a known path with another method, 404 for an unknown path', async () => {
    const strict = routeTable<string>(
      [{ methods: ['GET'], path: '/only-get', auth: 'public', handle: () => ({ status: 200, body: {} }) }],
      async () => 'x',
    );
    await expect(call(strict, 'PUT', '/only-get')).rejects.toMatchObject({ code: 'MethodNotAllowed' });
    await expect(call(strict, 'GET', '/nowhere')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('refuses a malformed escape in a path segment with a clear error', async () => {
    await expect(call(table, 'GET', '/v3/clusters/c-1/namespaces/%E0%A4%A')).rejects.toMatchObject({
      code: 'InvalidFormat',
    });
  });
});
