import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { CORRAL_BIN, runProgram } from './helpers/cli.js';
import { bindGroupToReadConfigMaps, expectOnlyMemberReads, kubectlWith, registerDirect } from './helpers/clusters.js';
import { startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { everythingWritten } from './helpers/written.js';
import { ADMIN_PASSWORD, adminToken, startTestServer, type TestServer } from './helpers/server.js';
import { entry, openLdapConfigFor, startSlapd, SUFFIX, type Slapd } from './helpers/slapd.js';

const SERVICE_DN = `cn=corral-svc,ou=services,${SUFFIX}`;
const SERVICE_PASSWORD = 'service-account-secret-Xq7';
const PASSWORDS = { diradmin: 'dir-admin-pass-Kd2', alice: 'alice-pass-Wn4', bob: 'bob-pass-Zr8' };
const person = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;
const group = (cn: string) => `cn=${cn},ou=groups,${SUFFIX}`;
const principal = (kind: 'user' | 'group', dn: string) => `openldap_${kind}://${dn}`;

const DIRECTORY =
  entry(`ou=people,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'people' }) +
  entry(`ou=groups,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'groups' }) +
  entry(`ou=services,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'services' }) +
  entry(SERVICE_DN, {
    objectClass: ['person', 'simpleSecurityObject'],
    cn: 'corral-svc',
    sn: 'svc',
    userPassword: SERVICE_PASSWORD,
  }) +
  Object.entries(PASSWORDS)
    .map(([uid, pw]) =>
      entry(person(uid), {
        objectClass: 'inetOrgPerson',
        uid,
        cn: `${uid[0]!.toUpperCase()}${uid.slice(1)} Example`,
        sn: 'Example',
        userPassword: pw,
      }),
    )
    .join('') +
  entry(group('devs'), { objectClass: 'groupOfNames', cn: 'devs', member: person('alice') }) +
  // platform contains devs: alice is in it only when nested groups are counted.
  entry(group('platform'), { objectClass: 'groupOfNames', cn: 'platform', member: group('devs') }) +
  entry(group('ops'), { objectClass: 'groupOfNames', cn: 'ops', member: person('bob') });

const ldapConfig = (slapd: Slapd, over: Record<string, unknown> = {}) =>
  openLdapConfigFor(slapd, { dn: SERVICE_DN, password: SERVICE_PASSWORD }, over);

async function testAndApply(server: TestServer, token: string, config: Record<string, unknown>) {
  return server.call('/v3/openLdapConfigs/openldap?action=testAndApply', {
    token,
    body: { ldapConfig: config, username: 'diradmin', password: PASSWORDS.diradmin },
  });
}

const ldapLogin = (server: TestServer, username: string, password: string) =>
  server.call('/v3-public/openLdapProviders/openldap?action=login', { body: { username, password } });

async function loginToken(server: TestServer, username: keyof typeof PASSWORDS): Promise<string> {
  const r = await ldapLogin(server, username, PASSWORDS[username]);
  expect(r.status, r.text).toBe(201);
  return String(r.json.token);
}

async function userOf(server: TestServer, token: string): Promise<Record<string, any>> {
  const r = await server.call('/v3/users?me=true', { token });
  expect(r.status, r.text).toBe(200);
  return r.json.data[0];
}

test('OpenLDAP: a misconfigured directory is refused with a plain error, and nothing is enabled', async () => {
  const slapd = await startSlapd({ ldif: DIRECTORY });
  const server = await startTestServer();
  const admin = await adminToken(server);

  const wrongPassword = await testAndApply(server, admin, ldapConfig(slapd, { serviceAccountPassword: 'nope' }));
  expect(wrongPassword.status, wrongPassword.text).toBe(422);
  expect(wrongPassword.json.fieldName).toBe('serviceAccountPassword');
  expect(wrongPassword.json.message).toMatch(/refused the service account's name or password/);

  const wrongCa = await testAndApply(server, admin, ldapConfig(slapd, { certificate: slapd.otherCaPem }));
  expect(wrongCa.status).toBe(422);
  expect(wrongCa.json.fieldName).toBe('certificate');
  expect(wrongCa.json.message).toMatch(/not trusted/);

  const ldapsWrongCa = await testAndApply(
    server,
    admin,
    ldapConfig(slapd, { port: slapd.tlsPort, tls: true, startTLS: false, certificate: slapd.otherCaPem }),
  );
  expect(ldapsWrongCa.status).toBe(422);
  expect(ldapsWrongCa.json.fieldName).toBe('certificate');

  const closed = await testAndApply(server, admin, ldapConfig(slapd, { port: 1 }));
  expect(closed.status).toBe(502);
  expect(closed.json.message).toMatch(/cannot reach the directory at 127\.0\.0\.1/);

  const wrongUser = await server.call('/v3/openLdapConfigs/openldap?action=testAndApply', {
    token: admin,
    body: { ldapConfig: ldapConfig(slapd), username: 'diradmin', password: 'not-it' },
  });
  expect(wrongUser.status).toBe(422);
  expect(wrongUser.json.fieldName).toBe('password');

  const config = await server.call('/v3/openLdapConfigs/openldap', { token: admin });
  expect(config.json.enabled).toBe(false);
  const providers = await server.call('/v3-public/authProviders');
  expect(providers.json.data.map((p: { id: string }) => p.id)).toEqual(['local']);
  expect((await ldapLogin(server, 'alice', PASSWORDS.alice)).status).toBe(422);
  // Local login is untouched by all of it.
  expect(
    (
      await server.call('/v3-public/localProviders/local?action=login', {
        body: { username: 'admin', password: 'admin-password-changed-1' },
      })
    ).status,
  ).toBe(201);
  expect(await everythingWritten(server)).not.toContain(SERVICE_PASSWORD);

  // Hardening (issue 18): names with control or format characters are refused over HTTP, and
  // nothing is stored or claimed (the clean name stays free).
  const before = (await server.call('/v3/users', { token: admin })).json.data.length;
  for (const username of ['eve\u0000', 'eve\u202egnp.exe']) {
    const r = await server.call('/v3/users', { token: admin, body: { username, password: 'a-long-enough-password' } });
    expect(r.status, r.text).toBe(422);
    expect(r.json.fieldName).toBe('username');
  }
  const project = await server.call('/v3/projects', { token: admin, body: { name: 'a\u200bb', clusterId: 'c-none' } });
  expect(project.status).toBe(422);
  expect(project.json.fieldName).toBe('name');
  expect((await server.call('/v3/users', { token: admin })).json.data.length).toBe(before);
  expect(
    (await server.call('/v3/users', { token: admin, body: { username: 'eve', password: 'a-long-enough-password' } }))
      .status,
  ).toBe(201);
});

test('OpenLDAP over StartTLS: login, groups, search, access modes, refresh and disabling', async () => {
  const slapd = await startSlapd({ ldif: DIRECTORY });
  const server = await startTestServer();
  const admin = await adminToken(server);

  const applied = await testAndApply(server, admin, ldapConfig(slapd));
  expect(applied.status, applied.text).toBe(200);
  expect(applied.json.enabled).toBe(true);
  expect(applied.json).not.toHaveProperty('serviceAccountPassword');
  // The admin who tested became that directory person, and is allowed by name.
  expect(applied.json.allowedPrincipalIds).toContain(principal('user', person('diradmin')));
  expect((await userOf(server, admin)).principalIds).toContain(principal('user', person('diradmin')));
  const list = await server.call('/v3/authConfigs', { token: admin });
  expect(list.json.data.map((c: Record<string, unknown>) => [c.id, c.enabled])).toEqual([
    ['local', true],
    ['openldap', true],
    ['activedirectory', false],
    ['genericoidc', false],
    ['keycloakoidc', false],
    ['github', false],
    ['shibboleth', false],
    ['okta', false],
  ]);
  expect((await server.call('/v3-public/authProviders')).json.data.map((p: { id: string }) => p.id)).toEqual([
    'local',
    'openldap',
  ]);

  // Wrong password, unknown user: 401 with one message.
  expect((await ldapLogin(server, 'alice', 'wrong')).status).toBe(401);
  expect((await ldapLogin(server, 'nobody', 'wrong')).status).toBe(401);
  // A filter injection finds nobody.
  expect((await ldapLogin(server, '*', PASSWORDS.alice)).status).toBe(401);

  const alice = await loginToken(server, 'alice');
  const aliceUser = await userOf(server, alice);
  expect(aliceUser.name).toBe('Alice Example');
  expect(aliceUser.principalIds).toContain(principal('user', person('alice')));
  expect(aliceUser.groupPrincipalIds).toEqual([principal('group', group('devs'))]);
  // Logging in again is the same Corral user.
  const again = await loginToken(server, 'alice');
  expect((await userOf(server, again)).id).toBe(aliceUser.id);
  // Her own principals: herself and her group.
  const mine = await server.call('/v3/principals', { token: alice });
  expect(mine.json.data.map((p: Record<string, unknown>) => p.id).sort()).toEqual(
    [`local://${aliceUser.id}`, principal('user', person('alice')), principal('group', group('devs'))].sort(),
  );

  // The CLI logs in through the directory too.
  const home = await testDir('cli');
  await writeFile(join(home, 'ca.pem'), server.ca);
  const env = { CORRAL_CONFIG: join(home, 'config'), HOME: home };
  const cliLogin = (provider: string, password: string) =>
    runProgram(
      process.execPath,
      [
        CORRAL_BIN,
        'login',
        server.url,
        '--auth-provider',
        provider,
        '--username',
        'alice',
        '--password-stdin',
        '--cacert',
        join(home, 'ca.pem'),
      ],
      { env: { ...process.env, ...env }, input: `${password}\n` },
    );
  const viaCli = await cliLogin('openldap', PASSWORDS.alice);
  expect(viaCli.code, viaCli.stderr).toBe(0);
  expect(viaCli.stderr).toMatch(/Logged in to .* as alice/);
  const saved = parse(await readFile(env.CORRAL_CONFIG, 'utf8'));
  expect((await userOf(server, saved.servers[0].token)).id).toBe(aliceUser.id);
  expect((await cliLogin('openldap', 'wrong')).stderr).toMatch(/wrong username or password/);
  const unknown = await cliLogin('kerberos', PASSWORDS.alice);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/--auth-provider must be one of local, openldap, activedirectory/);

  // Search over the directory: users and groups.
  const groups = await server.call('/v3/principals?action=search', {
    token: admin,
    body: { name: 'dev', principalType: 'group' },
  });
  expect(groups.status, groups.text).toBe(200);
  expect(groups.json.data.map((p: Record<string, unknown>) => [p.id, p.name, p.principalType])).toEqual([
    [principal('group', group('devs')), 'devs', 'group'],
  ]);
  const users = await server.call('/v3/principals?action=search', { token: admin, body: { name: 'bo' } });
  expect(users.json.data.map((p: Record<string, unknown>) => p.id)).toEqual([principal('user', person('bob'))]);

  // Nested groups, once turned on, show at the next refresh.
  await server.call('/v3/settings/auth-user-info-max-age-seconds', {
    method: 'PUT',
    token: admin,
    body: { value: '1' },
  });
  const put = await server.call('/v3/openLdapConfigs/openldap', {
    method: 'PUT',
    token: admin,
    body: { nestedGroupMembershipEnabled: true },
  });
  expect(put.status, put.text).toBe(200);
  await eventually(async () => {
    const groups = (await userOf(server, alice)).groupPrincipalIds;
    expect([...groups].sort()).toEqual(
      [principal('group', group('devs')), principal('group', group('platform'))].sort(),
    );
  }, 'alice to be in platform through devs');
  // Connection settings cannot change without a new test.
  const sneaky = await server.call('/v3/openLdapConfigs/openldap', {
    method: 'PUT',
    token: admin,
    body: { servers: ['ldap.elsewhere.example'] },
  });
  expect(sneaky.status).toBe(422);
  expect(sneaky.json.message).toMatch(/testAndApply/);

  // Required: only bob's group may log in; alice's tokens go at the next refresh.
  const required = await server.call('/v3/openLdapConfigs/openldap', {
    method: 'PUT',
    token: admin,
    body: { accessMode: 'required', allowedPrincipalIds: [principal('group', group('ops'))] },
  });
  expect(required.status, required.text).toBe(200);
  expect((await ldapLogin(server, 'alice', PASSWORDS.alice)).status).toBe(403);
  const bob = await loginToken(server, 'bob');
  await eventually(async () => {
    expect((await server.call('/v3/users?me=true', { token: alice })).status).toBe(401);
  }, "alice's tokens to stop working");
  await server.call('/v3/openLdapConfigs/openldap', {
    method: 'PUT',
    token: admin,
    body: { accessMode: 'unrestricted' },
  });

  // Removed from the directory: bob's token stops working within one refresh.
  const aliceAgain = await loginToken(server, 'alice');
  await slapd.delete(person('bob'));
  await eventually(async () => {
    expect((await server.call('/v3/users?me=true', { token: bob })).status).toBe(401);
  }, "bob's token to stop working after his removal");
  expect((await ldapLogin(server, 'bob', PASSWORDS.bob)).status).toBe(401);
  expect((await server.call('/v3/users?me=true', { token: aliceAgain })).status).toBe(200);

  // Disabled provider: its sessions end at once; local login goes on.
  const disabled = await server.call('/v3/openLdapConfigs/openldap?action=disable', { token: admin, body: {} });
  expect(disabled.status, disabled.text).toBe(200);
  expect(disabled.json.enabled).toBe(false);
  expect((await server.call('/v3/users?me=true', { token: aliceAgain })).status).toBe(401);
  expect((await ldapLogin(server, 'alice', PASSWORDS.alice)).status).toBe(422);
  expect((await server.call('/v3/users?me=true', { token: admin })).status).toBe(200);
  expect(
    (
      await server.call('/v3-public/localProviders/local?action=login', {
        body: { username: 'admin', password: 'admin-password-changed-1' },
      })
    ).status,
  ).toBe(201);

  // No password of anyone in the logs, the audit log or the store.
  const written = await everythingWritten(server);
  for (const secret of [SERVICE_PASSWORD, ...Object.values(PASSWORDS), ADMIN_PASSWORD])
    expect(written).not.toContain(secret);
});

test('a RoleBinding to a directory group downstream lets its members in through the proxy, with real kubectl', async () => {
  const slapd = await startSlapd({ ldif: DIRECTORY });
  const server = await startTestServer();
  const admin = await adminToken(server);
  expect(
    (await testAndApply(server, admin, ldapConfig(slapd, { port: slapd.tlsPort, tls: true, startTLS: false }))).status,
  ).toBe(200);
  const cp = await startTestControlPlane();
  const clusterId = await registerDirect(server, admin, cp, 'groups');
  const kubeconfigOf = await bindGroupToReadConfigMaps(server, cp, clusterId, principal('group', group('devs')));
  const alice = await kubeconfigOf('alice', await loginToken(server, 'alice'));
  const bob = await kubeconfigOf('bob', await loginToken(server, 'bob'));

  await expectOnlyMemberReads(alice, bob);
  // The group grants reading, not more.
  expect((await kubectlWith(alice, 'delete', 'configmap', 'shared', '-n', 'default')).stderr).toMatch(/forbidden/i);

  // A Corral project binding to the group: its members work in the project's namespaces, and
  // Corral's own API counts them as project members.
  const project = await server.call('/v3/projects', { token: admin, body: { name: 'team', clusterId } });
  expect(project.status, project.text).toBe(201);
  const ns = await server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: admin,
    body: { name: 'team-web', projectId: project.json.id },
  });
  expect(ns.status, ns.text).toBe(201);
  const prtb = await server.call('/v3/projectRoleTemplateBindings', {
    token: admin,
    body: {
      projectId: project.json.id,
      groupPrincipalId: principal('group', group('devs')),
      roleTemplateId: 'project-member',
    },
  });
  expect(prtb.status, prtb.text).toBe(201);
  await eventually(async () => {
    const r = await kubectlWith(alice, 'create', 'configmap', 'made-by-alice', '-n', 'team-web');
    expect(r.stderr).toBe('');
  }, 'the project binding to devs to reach the cluster');
  expect((await kubectlWith(bob, 'get', 'configmaps', '-n', 'team-web')).stderr).toMatch(/forbidden/i);
  const aliceToken = (await readFile(alice, 'utf8')).match(/"token": "([^"]+)"/)![1]!;
  const seen = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: aliceToken });
  expect(seen.json.data.map((n: { name: string }) => n.name)).toEqual(['team-web']);

  // Taken out of the group in the directory: access ends at the next refresh, through the proxy too.
  await server.call('/v3/settings/auth-user-info-max-age-seconds', {
    method: 'PUT',
    token: admin,
    body: { value: '1' },
  });
  await slapd.modify(`dn: ${group('devs')}\nchangetype: modify\nreplace: member\nmember: ${person('diradmin')}\n`);
  await eventually(async () => {
    const r = await kubectlWith(alice, 'get', 'configmap', 'shared', '-n', 'default');
    expect(r.stderr).toMatch(/forbidden/i);
  }, 'alice to lose the group binding');
  expect((await kubectlWith(alice, 'get', 'configmaps', '-n', 'team-web')).stderr).toMatch(/forbidden/i);
  const after = await server.call(`/v3/cluster/${clusterId}/namespaces`, { token: aliceToken });
  // No longer a member of anything in the cluster: Corral does not even confirm it exists.
  expect(after.status, after.text).toBe(404);
});

/** Active Directory's own schema (Microsoft's, as Debian's slapd ships it in msuser.schema) in slapd. */
test("Active Directory's schema: sAMAccountName logins, nested groups, userAccountControl's disabled bit", async () => {
  const ad = (dn: string, cls: string, attrs: Record<string, string | string[]>) =>
    entry(dn, {
      objectClass: [cls, 'extensibleObject'],
      instanceType: '4',
      nTSecurityDescriptor: 'none',
      objectCategory: `CN=${cls === 'user' ? 'Person' : 'Group'},CN=Schema,CN=Configuration,${SUFFIX}`,
      ...attrs,
    });
  const users = `ou=Corp Users,${SUFFIX}`;
  const groups = `ou=Corp Groups,${SUFFIX}`;
  const u = (cn: string) => `cn=${cn},${users}`;
  const g = (cn: string) => `cn=${cn},${groups}`;
  const person = (cn: string, sam: string, password: string, uac = '512') =>
    ad(u(cn), 'user', {
      cn,
      sn: cn.split(' ').pop()!,
      displayName: cn,
      sAMAccountName: sam,
      userAccountControl: uac,
      userPassword: password,
    });
  // Debian's copy declares sAMAccountName without matching rules; AD compares it ignoring case.
  const schema = join(await testDir('ad-schema'), 'msuser.schema');
  const original = await readFile('/etc/ldap/schema/msuser.schema', 'utf8');
  const patched = original.replace(
    /(NAME 'sAMAccountName'\s+)SYNTAX/,
    '$1EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX',
  );
  expect(patched).not.toBe(original);
  await writeFile(schema, patched);
  const slapd = await startSlapd({
    schemas: [schema],
    ldif:
      entry(users, { objectClass: 'organizationalUnit', ou: 'Corp Users' }) +
      entry(groups, { objectClass: 'organizationalUnit', ou: 'Corp Groups' }) +
      person('Corral Service', 'svc-corral', SERVICE_PASSWORD) +
      person('Ada Admin', 'ada', PASSWORDS.diradmin) +
      person('John Doe', 'jdoe', PASSWORDS.alice) +
      person('Old Timer', 'old', PASSWORDS.bob, '514') +
      ad(g('Developers'), 'group', { cn: 'Developers', groupType: '-2147483646', member: u('John Doe') }) +
      ad(g('Engineering'), 'group', { cn: 'Engineering', groupType: '-2147483646', member: g('Developers') }),
  });
  const server = await startTestServer();
  const admin = await adminToken(server);
  const config = {
    servers: ['localhost'],
    port: slapd.tlsPort,
    tls: true,
    certificate: slapd.caPem,
    // slapd binds by DN only; real AD also takes user@domain or DOMAIN\user here.
    serviceAccountUsername: u('Corral Service'),
    serviceAccountPassword: SERVICE_PASSWORD,
    userSearchBase: users,
    groupSearchBase: groups,
    userNameAttribute: 'displayName',
    nestedGroupMembershipEnabled: true,
  };
  const applied = await server.call('/v3/activeDirectoryConfigs/activedirectory?action=testAndApply', {
    token: admin,
    body: { ldapConfig: config, username: 'ada', password: PASSWORDS.diradmin },
  });
  expect(applied.status, applied.text).toBe(200);
  expect(applied.json.userLoginAttribute).toBe('sAMAccountName');
  expect(applied.json.userDisabledBitMask).toBe(2);

  const login = (username: string, password: string) =>
    server.call('/v3-public/activeDirectoryProviders/activedirectory?action=login', { body: { username, password } });
  const john = await login('jdoe', PASSWORDS.alice);
  expect(john.status, john.text).toBe(201);
  const me = await userOf(server, john.json.token);
  expect(me.name).toBe('John Doe');
  expect(me.principalIds, JSON.stringify(me.principalIds)).toContain(`activedirectory_user://${u('John Doe')}`);
  expect([...me.groupPrincipalIds].sort()).toEqual(
    [`activedirectory_group://${g('Developers')}`, `activedirectory_group://${g('Engineering')}`].sort(),
  );
  // Disabled in the directory: refused with the same answer as a wrong password.
  expect((await login('old', PASSWORDS.bob)).status).toBe(401);

  // Rancher's refreshauthprovideraccess reads the groups now, not at the next refresh (an hour here).
  await slapd.modify(`dn: ${g('Developers')}\nchangetype: modify\nreplace: member\nmember: ${u('Ada Admin')}\n`);
  const refreshed = await server.call(`/v3/users/${me.id}?action=refreshauthprovideraccess`, {
    token: admin,
    body: {},
  });
  expect(refreshed.status, refreshed.text).toBe(200);
  expect(refreshed.json.groupPrincipalIds).toEqual([]);

  // Disabled in AD after logging in: the session ends within one refresh.
  await server.call('/v3/settings/auth-user-info-max-age-seconds', {
    method: 'PUT',
    token: admin,
    body: { value: '1' },
  });
  await slapd.modify(
    `dn: ${u('John Doe')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`,
  );
  await eventually(async () => {
    expect((await server.call('/v3/users?me=true', { token: john.json.token })).status).toBe(401);
  }, "a disabled AD account's session to end");
  expect(await everythingWritten(server)).not.toContain(PASSWORDS.alice);
});
