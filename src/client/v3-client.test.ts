import { describe, expect, it } from 'vitest';
import { adminToken, startTestServer } from '../../test/helpers/server.js';
import { cluster } from '../schema/types/cluster.js';
import { token as tokenType } from '../schema/types/token.js';
import { user } from '../schema/types/user.js';
import { ConnectionError, V3Client, V3Error } from './v3-client.js';

const rejection = async (p: Promise<unknown>): Promise<V3Error> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(V3Error);
  return err as V3Error;
};

describe('V3Client against a real corral server', () => {
  it('maps errors, follows pages, authenticates by token, checks the certificate', async () => {
    const server = await startTestServer();
    const admin = server.client(await adminToken(server));

    // Token auth: no token is 401, a wrong one too, the admin's is accepted.
    expect((await rejection(server.client().list(user))).status).toBe(401);
    expect((await rejection(server.client('token-nope1:wrong').list(user))).status).toBe(401);
    const me = await admin.list<{ username: string }>(user, { username: 'admin' });
    expect(me.map((u) => u.username)).toEqual(['admin']);

    // 422 names the field.
    const bad = await rejection(admin.create(cluster, { name: 'Not_A_DNS_Label' }));
    expect(bad).toMatchObject({ status: 422, fieldName: 'name', request: 'POST /v3/clusters' });
    expect(bad.code).toMatch(/Invalid/);
    const unknown = await rejection(admin.create(user, { username: 'x', password: 'long-enough-pw-1', nope: 1 }));
    expect(unknown).toMatchObject({ status: 422, code: 'UnknownField', fieldName: 'nope' });

    // 404 for a missing resource; find() turns it into undefined.
    expect(await rejection(admin.get(user, 'u-absent'))).toMatchObject({ status: 404 });
    expect(await admin.find(user, 'u-absent')).toBeUndefined();

    // 409: a PUT carrying a stale resourceVersion.
    const u = await admin.create<{ id: string; resourceVersion: string }>(user, {
      username: 'paging-0',
      password: 'a-long-password-0',
    });
    await admin.update(user, u.id, { description: 'first' });
    const stale = await rejection(
      admin.update(user, u.id, { description: 'second', resourceVersion: u.resourceVersion }),
    );
    expect(stale.status).toBe(409);

    // Paging: five more users listed two per page come back whole, in as many pages as needed.
    for (let i = 1; i <= 5; i++)
      await admin.create(user, { username: `paging-${i}`, password: `a-long-password-${i}` });
    const first = await admin.page(user, { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.pagination?.next).toBeTruthy();
    const all = await admin.list<{ username: string }>(user, { limit: 2 });
    const names = all.map((x) => x.username).filter((n) => n.startsWith('paging-'));
    expect(names.sort()).toEqual(['paging-0', 'paging-1', 'paging-2', 'paging-3', 'paging-4', 'paging-5']);
    expect(new Set(all.map((x) => x.username)).size).toBe(all.length);

    // Actions: collection (changepassword via a new user's session) and resource (setpassword).
    const { token: session } = await admin.login('paging-1', 'a-long-password-1');
    const asUser = admin.withToken(session);
    await asUser.action(user, undefined, 'changepassword', {
      currentPassword: 'a-long-password-1',
      newPassword: 'another-password-1',
    });
    await admin.action(user, u.id, 'setpassword', { newPassword: 'set-by-admin-000' });
    await admin.login('paging-0', 'set-by-admin-000');

    // remove(): a token deleted stops working.
    const created = await asUser.create<{ id: string; token: string }>(tokenType, { description: 'short' });
    expect((await admin.withToken(created.token).list(user)).length).toBeGreaterThan(0);
    await asUser.remove(tokenType, created.id);
    expect((await rejection(admin.withToken(created.token).list(user))).status).toBe(401);

    // Without the server's CA the certificate is refused, with a message saying what to do.
    const err = await new V3Client({ url: server.url }).list(user).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/not trusted by the CA of this system/);
  });
});
