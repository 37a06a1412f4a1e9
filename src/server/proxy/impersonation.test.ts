import { expect, test } from 'vitest';
import type { AuthInfo } from '../api/context.js';
import { downstreamHeaders } from './impersonation.js';

const auth = {
  user: { id: 'u-bob12', spec: { username: 'bob' } },
  token: { id: 'token-abcde', spec: {} },
  via: 'bearer',
} as unknown as AuthInfo;

test('the user is impersonated, and the client cannot claim anyone else or pass credentials', () => {
  const out = downstreamHeaders(
    {
      authorization: 'Bearer token-abcde:secret',
      cookie: 'R_SESS=token-abcde:secret',
      'x-api-csrf': 'x',
      'impersonate-user': 'admin',
      'impersonate-group': 'system:masters',
      'impersonate-uid': '0',
      'impersonate-extra-scopes': 'all',
      'x-remote-user': 'admin',
      accept: 'application/json',
      'user-agent': 'kubectl',
    },
    auth,
  );
  expect(out).toEqual({
    accept: 'application/json',
    'user-agent': 'kubectl',
    'impersonate-user': 'u-bob12',
    'impersonate-group': ['system:authenticated', 'system:cattle:authenticated'],
    'impersonate-extra-principalid': 'local://u-bob12',
    'impersonate-extra-username': 'bob',
    'impersonate-extra-requesttokenid': 'token-abcde',
  });
  expect(JSON.stringify(out)).not.toContain('secret');
});

test('headers named in Connection are dropped before impersonation is added (CVE-2021-31999)', () => {
  const out = downstreamHeaders(
    { connection: 'Impersonate-User, Impersonate-Group, Accept', accept: 'x', 'x-kept': 'y' },
    auth,
  );
  expect(out.connection).toBeUndefined();
  expect(out.accept).toBeUndefined();
  expect(out['x-kept']).toBe('y');
  expect(out['impersonate-user']).toBe('u-bob12');
  expect(out['impersonate-group']).toEqual(['system:authenticated', 'system:cattle:authenticated']);
});

test('a directory user is impersonated with their groups and their directory principal', () => {
  const dirUser = {
    user: {
      id: 'u-carl1',
      spec: {
        username: '',
        name: 'Carl',
        groupPrincipalIds: [
          'openldap_group://cn=devs,ou=groups,dc=example,dc=org',
          'openldap_group://cn=caf\u00e9',
          'x\u4e16',
        ],
      },
    },
    token: { id: 'token-fghij', spec: { userPrincipal: 'openldap_user://uid=carl,ou=people,dc=example,dc=org' } },
    via: 'bearer',
  } as unknown as AuthInfo;
  const out = downstreamHeaders({ 'impersonate-group': 'system:masters' }, dirUser);
  expect(out['impersonate-group']).toEqual([
    'system:authenticated',
    'system:cattle:authenticated',
    'openldap_group://cn=devs,ou=groups,dc=example,dc=org',
    'openldap_group://cn=caf\u00e9',
  ]);
  expect(out['impersonate-extra-principalid']).toBe('openldap_user://uid=carl,ou=people,dc=example,dc=org');
  expect(out['impersonate-extra-username']).toBe('Carl');
});
