import { expect, test } from 'vitest';
import { freePort } from '../src/localcluster/ports.js';
import { adminToken, startTestServer } from './helpers/server.js';

// GitHub itself cannot be reached from the test machines, and a hand-made stand-in would test
// nothing real, so only what Corral decides on its own is tested here: the checks before enabling
// and their errors. The login against github.com is not tested (see docs/architecture.md).
test('GitHub: testAndApply checks the host first, with plain errors, and enables nothing on failure', async () => {
  const server = await startTestServer();
  const admin = await adminToken(server);
  const apply = (githubConfig: Record<string, unknown>) =>
    server.call('/v3/githubConfigs/github?action=testAndApply', { token: admin, body: { githubConfig } });

  const noClient = await apply({ hostname: '127.0.0.1:1' });
  expect(noClient.status).toBe(422);
  expect(noClient.json.fieldName).toBe('clientId');

  // A port nothing listens on (fetch refuses port 1 outright).
  const closed = `127.0.0.1:${await freePort()}`;
  const unreachable = await apply({ hostname: closed, clientId: 'Iv1.abc', clientSecret: 'shh-Gh7' });
  expect(unreachable.status, unreachable.text).toBe(502);
  expect(unreachable.json.message).toContain(`cannot reach GitHub at https://${closed}/api/v3`);

  // A host with a certificate from a private CA (this very server) is refused in words.
  const host = new URL(server.url).host;
  const untrusted = await apply({ hostname: host, clientId: 'Iv1.abc', clientSecret: 'shh-Gh7' });
  expect(untrusted.status, untrusted.text).toBe(422);
  expect(untrusted.json.fieldName).toBe('certificate');

  const bad = await apply({ hostname: 'https://github.com', clientId: 'Iv1.abc' });
  expect(bad.status).toBe(422);
  expect(bad.json.fieldName).toBe('hostname');

  const config = await server.call('/v3/githubConfigs/github', { token: admin });
  expect(config.json.enabled).toBe(false);
  expect(config.json).not.toHaveProperty('clientSecret');
  // Not enabled: no login starts.
  expect((await server.call('/v3-public/browserLogin/github')).status).toBe(422);
  expect(server.stderr()).not.toContain('shh-Gh7');
});
