import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { freePort } from '../../src/localcluster/ports.js';
import { testDir } from './control-plane.js';
import { runSsoTool } from './sso-process.js';
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
  const log = await runSsoTool(
    'oidc-provider',
    {
      ISSUER: issuer,
      LISTEN: `127.0.0.1:${port}`,
      TLS_CERT: join(dir, 'cert.pem'),
      TLS_KEY: join(dir, 'key.pem'),
      USERS_FILE: usersFile,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      REDIRECT_URI: opts.redirectUri,
    },
    /msg=serving/,
  );
  return { issuer, caPem: ca.certPem, clientId, clientSecret, setUsers, log };
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
