import { join } from 'node:path';
import { request } from 'node:https';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { freePort } from '../../src/localcluster/ports.js';
import { testDir } from './control-plane.js';
import { runSsoTool } from './sso-process.js';
import type { HttpResponse } from './http.js';
import type { TestServer } from './server.js';

export interface SamlUser {
  password: string;
  email: string;
  common_name: string;
  groups: string[];
}

/** The attribute Names crewjam's IdP sends (node-saml keys attributes by Name). */
export const SAML_ATTRS = {
  uid: 'urn:oid:0.9.2342.19200300.100.1.1',
  cn: 'urn:oid:2.5.4.3',
  groups: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.1',
};

export interface SamlIdp {
  url: string;
  caPem: string;
  metadata: string;
  /** Adds or replaces a user through samlidp's HTTP API. */
  putUser(name: string, user: SamlUser): Promise<void>;
  /** Registers a service provider from its metadata XML, as an IdP administrator would. */
  putService(id: string, metadataXml: string): Promise<void>;
  log(): string;
}

/** A PEM pair for Corral's SP side (spCert/spKey). */
export async function spKeyPair(): Promise<{ cert: string; key: string }> {
  const ca = await createCA({ commonName: 'corral-saml-sp', keyAlgorithm: 'rsa-2048' });
  return { cert: ca.certPem, key: ca.keyPem };
}

/**
 * Runs the real SAML IdP from tools/sso (crewjam/saml's samlidp) over HTTPS on a free loopback
 * port, signing with its own key pair; stopped when the test ends.
 */
export async function startSamlIdp(users: Record<string, SamlUser>): Promise<SamlIdp> {
  const dir = await testDir('saml');
  const ca = await createCA({ commonName: 'test-saml-ca' });
  const leaf = await issueCertificate(ca, { commonName: 'saml', usages: ['server'], altNames: ['127.0.0.1'] });
  const signing = await createCA({ commonName: 'test-saml-idp-signing', keyAlgorithm: 'rsa-2048' });
  await Promise.all([
    writePem(join(dir, 'cert.pem'), leaf.certPem),
    writePem(join(dir, 'key.pem'), leaf.keyPem),
    writePem(join(dir, 'signing.pem'), signing.certPem),
    writePem(join(dir, 'signing-key.pem'), signing.keyPem),
  ]);
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const log = await runSsoTool(
    'saml-idp',
    {
      BASE_URL: url,
      LISTEN: `127.0.0.1:${port}`,
      TLS_CERT: join(dir, 'cert.pem'),
      TLS_KEY: join(dir, 'key.pem'),
      SIGNING_CERT: join(dir, 'signing.pem'),
      SIGNING_KEY: join(dir, 'signing-key.pem'),
    },
    /INFO serving/,
  );
  const call = (method: string, path: string, body: string, type: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}${path}`, { method, ca: ca.certPem, headers: { 'content-type': type } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const ok = async (what: string, r: Promise<{ status: number; body: string }>) => {
    const res = await r;
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.body}\n${log()}`);
    return res.body;
  };
  const idp: SamlIdp = {
    url,
    caPem: ca.certPem,
    metadata: await ok('IdP metadata', call('GET', '/metadata', '', 'text/plain')),
    putUser: async (name, user) => {
      await ok(
        `PUT /users/${name}`,
        call('PUT', `/users/${name}`, JSON.stringify({ ...user, password: user.password }), 'application/json'),
      );
    },
    putService: async (id, xml) => {
      await ok(`PUT /services/${id}`, call('PUT', `/services/${id}`, xml, 'application/xml'));
    },
    log,
  };
  for (const [name, user] of Object.entries(users)) await idp.putUser(name, user);
  return idp;
}

/** Points Corral's SAML provider at `idp` and enables it; then registers Corral's SP metadata with the IdP. */
export async function enableSaml(
  server: TestServer,
  admin: string,
  idp: SamlIdp,
  config: 'shibbolethConfigs/shibboleth' | 'oktaConfigs/okta',
  sp: { cert: string; key: string },
  over: Record<string, unknown> = {},
): Promise<HttpResponse> {
  const res = await server.call(`/v3/${config}?action=testAndApply`, {
    token: admin,
    body: {
      samlConfig: {
        idpMetadataContent: idp.metadata,
        spCert: sp.cert,
        spKey: sp.key,
        uidField: SAML_ATTRS.uid,
        userNameField: SAML_ATTRS.uid,
        displayNameField: SAML_ATTRS.cn,
        groupsField: SAML_ATTRS.groups,
        ...over,
      },
    },
  });
  if (res.status === 200) {
    const provider = config.split('/')[1]!;
    const metadata = await server.call(`/v1-saml/${provider}/saml/metadata`);
    if (metadata.status !== 200) throw new Error(`SP metadata: ${metadata.status} ${metadata.text}`);
    await idp.putService(`corral-${provider}`, metadata.text);
  }
  return res;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] ?? m),
  );

/** The first form in an HTML page: where it posts and its inputs' values. */
export function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in: ${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    if (name) fields[name] = unescape(/value="([^"]*)"/.exec(m[0])?.[1] ?? '');
  }
  return { action: new URL(unescape(form[1]!), base).href, fields };
}
