import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { freePort } from '../../src/localcluster/ports.js';
import { packageRoot } from '../../src/util/package-root.js';
import { pollUntil } from '../../src/util/poll.js';
import { testDir } from './control-plane.js';
import type { HttpResponse } from './http.js';
import type { TestServer } from './server.js';

export interface OidcUser {
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  email: string;
  groups: string[];
}

export interface OidcProvider {
  issuer: string;
  caPem: string;
  clientId: string;
  clientSecret: string;
  /** Rewrites the provider's users (it reads them on every lookup). */
  setUsers(users: Record<string, OidcUser>): Promise<void>;
  log(): string;
}

/**
 * Runs the real OpenID provider from tools/sso (zitadel/oidc's OP) over HTTPS on a free loopback
 * port, with one confidential client whose redirect URI is Corral's /verify-auth; stopped when the
 * test ends.
 */
export async function startOidcProvider(opts: {
  redirectUri: string;
  users: Record<string, OidcUser>;
}): Promise<OidcProvider> {
  const dir = await testDir('oidc');
  const ca = await createCA({ commonName: 'test-oidc-ca' });
  const leaf = await issueCertificate(ca, { commonName: 'oidc', usages: ['server'], altNames: ['127.0.0.1'] });
  await Promise.all([writePem(join(dir, 'cert.pem'), leaf.certPem), writePem(join(dir, 'key.pem'), leaf.keyPem)]);
  const usersFile = join(dir, 'users.json');
  const setUsers = (users: Record<string, OidcUser>) => writeFile(usersFile, JSON.stringify(users));
  await setUsers(opts.users);
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}/`;
  const clientId = 'corral';
  const clientSecret = 'client-secret-of-the-test-provider';
  const bin = process.env.CORRAL_SSO_BIN_DIR ?? join(packageRoot(), '.cache', 'sso', 'bin');
  const child = spawn(join(bin, 'oidc-provider'), [], {
    env: {
      ISSUER: issuer,
      LISTEN: `127.0.0.1:${port}`,
      TLS_CERT: join(dir, 'cert.pem'),
      TLS_KEY: join(dir, 'key.pem'),
      USERS_FILE: usersFile,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      REDIRECT_URI: opts.redirectUri,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  let exit: number | null | undefined;
  child.once('exit', (code) => (exit = code));
  child.once('error', (err) => {
    log += `cannot run ${bin}/oidc-provider (npm run sso:build builds it): ${String(err)}`;
    exit = -1;
  });
  onTestFinished(async () => {
    if (exit !== undefined) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  });
  await pollUntil(
    async () => {
      if (!log.includes('msg=serving')) throw new Error('not serving yet');
    },
    {
      what: 'the OpenID provider to serve',
      timeoutMs: 20_000,
      intervalMs: 50,
      abortIf: () => {
        if (exit !== undefined) throw new Error(`oidc-provider exited with ${exit}:\n${log}`);
      },
    },
  );
  return { issuer, caPem: ca.certPem, clientId, clientSecret, setUsers, log: () => log };
}

/** Points Corral's provider (`oidcConfigs/genericoidc` or `keyCloakOIDCConfigs/keycloakoidc`) at `idp` and enables it. */
export async function enableOidc(
  server: TestServer,
  admin: string,
  idp: OidcProvider,
  config: 'oidcConfigs/genericoidc' | 'keyCloakOIDCConfigs/keycloakoidc',
  over: Record<string, unknown> = {},
): Promise<HttpResponse> {
  return server.call(`/v3/${config}?action=testAndApply`, {
    token: admin,
    body: {
      oidcConfig: {
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        certificate: idp.caPem,
        ...over,
      },
    },
  });
}
