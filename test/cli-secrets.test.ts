import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { createCA, issueCertificate } from '../src/pki/index.js';
import { loggedInCli } from './helpers/cli.js';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

// `corral secrets …`: the built executable against a real server whose project secrets the
// controller copies into a real control plane's namespaces.
test('project secrets, registry credentials and certificates from the CLI: values go in, never come out', async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'clisec' })]);
  const admin = await adminToken(server);
  const clusterId = await registerDirect(server, admin, cp, 'clisec');
  const project = await server.call('/v3/projects', { token: admin, body: { name: 'shop', clusterId } });
  await server.call(`/v3/cluster/${clusterId}/namespaces`, {
    token: admin,
    body: { name: 'shop-web', projectId: project.json.id },
  });
  const { run, ok, home } = await loggedInCli(server, { test: admin }, await testDir('cli-sec'));
  const where = ['--cluster', 'clisec', '--project', 'shop'];

  await writeFile(join(home, 'password'), 'file-s3cret');
  const created = await ok([
    'secrets',
    'create',
    'db',
    '--from-literal',
    'user=app',
    '--from-file',
    `password=${join(home, 'password')}`,
    ...where,
  ]);
  expect(created).toContain('db');
  expect(created).not.toContain('file-s3cret');
  await ok(
    [
      'secrets',
      'create-registry',
      'pull',
      '--registry',
      'reg.example',
      '--username',
      'bot',
      '--password-stdin',
      ...where,
    ],
    'registry-t0ken\n',
  );
  const ca = await createCA({ commonName: 'shop-ca' });
  const leaf = await issueCertificate(ca, {
    commonName: 'shop.example',
    usages: ['server'],
    altNames: ['www.shop.example'],
  });
  await writeFile(join(home, 'tls.crt'), leaf.certPem);
  await writeFile(join(home, 'tls.key'), leaf.keyPem);
  await ok([
    'secrets',
    'create-certificate',
    'web-tls',
    '--cert',
    join(home, 'tls.crt'),
    '--key',
    join(home, 'tls.key'),
    ...where,
  ]);

  const listed = JSON.parse(await ok(['secrets', 'ls', ...where, '-o', 'json'])) as Record<string, unknown>[];
  expect(listed.map((s) => [s.name, s.kind, s.keys])).toEqual(
    expect.arrayContaining([
      ['db', 'secret', ['password', 'user']],
      ['pull', 'dockerCredential', ['.dockerconfigjson']],
      ['web-tls', 'certificate', ['tls.crt', 'tls.key']],
    ]),
  );
  const all = JSON.stringify(listed);
  for (const value of ['file-s3cret', 'registry-t0ken', 'PRIVATE KEY']) expect(all).not.toContain(value);

  const cert = parse(await ok(['secrets', 'get', 'web-tls', ...where, '-o', 'yaml'])) as Record<string, unknown>;
  expect(cert).toMatchObject({
    cn: 'shop.example',
    issuer: 'shop-ca',
    subjectAlternativeNames: ['www.shop.example'],
    expiresAt: new Date(new X509Certificate(leaf.certPem).validTo).toISOString(),
  });
  const table = await ok(['secrets', 'ls', ...where]);
  expect(table).toMatch(/web-tls\s.*shop\.example/);

  // The copies in the project's namespace carry the values.
  await eventually(async () => {
    const r = await kubectl(cp, 'get', 'secret', 'db', '-n', 'shop-web', '-o', 'jsonpath={.data.password}');
    expect(Buffer.from(r.stdout, 'base64').toString()).toBe('file-s3cret');
    const t = await kubectl(cp, 'get', 'secret', 'web-tls', '-n', 'shop-web', '-o', 'jsonpath={.type}');
    expect(t.stdout).toBe('kubernetes.io/tls');
  }, 'the copies in shop-web');

  const bad = await run(['secrets', 'create', 'x', '--from-literal', 'novalue', ...where]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--from-literal takes key=value');
  const mismatch = await run([
    'secrets',
    'create-certificate',
    'bad-tls',
    '--cert',
    join(home, 'tls.crt'),
    '--key',
    join(home, 'password'),
    ...where,
  ]);
  expect(mismatch.code).not.toBe(0);
  expect(mismatch.stderr).toContain('key');
  expect(mismatch.stderr).toContain('422');

  // Update: a description alone keeps the values; new values replace them; options of another kind are refused.
  expect(await ok(['secrets', 'update', 'db', '--description', 'the shop db', ...where, '-o', 'json'])).toContain(
    '"description": "the shop db"',
  );
  expect((await kubectl(cp, 'get', 'secret', 'db', '-n', 'shop-web', '-o', 'jsonpath={.data.user}')).stdout).toBe(
    Buffer.from('app').toString('base64'),
  );
  await ok(['secrets', 'update', 'db', '--from-literal', 'password=rotated', ...where]);
  await eventually(async () => {
    const r = await kubectl(cp, 'get', 'secret', 'db', '-n', 'shop-web', '-o', 'jsonpath={.data}');
    expect(JSON.parse(r.stdout)).toEqual({ password: Buffer.from('rotated').toString('base64') });
  }, 'the rotated copy');
  const wrongKind = await run(['secrets', 'update', 'db', '--cert', join(home, 'tls.crt'), ...where]);
  expect(wrongKind.stderr).toContain('--cert is not for a secret');
  const nothing = await run(['secrets', 'update', 'web-tls', ...where]);
  expect(nothing.stderr).toContain('nothing to change: give --description or new values (--cert, --key)');

  await ok(['secrets', 'rm', 'db', ...where]);
  expect((JSON.parse(await ok(['secrets', 'ls', ...where, '-o', 'json'])) as unknown[]).length).toBe(2);
  const gone = await run(['secrets', 'get', 'db', ...where]);
  expect(gone.stderr).toContain('has no secret "db"');
  expect((await ok(['secrets', 'create-certificate', '--help'])).toString()).toContain('--cert <file>');
});
