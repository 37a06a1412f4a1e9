import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { TypeBehavior } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import { providerConfigBehavior } from './directory.js';
import type { RedirectFlow } from './oidc.js';
import type { SamlProviderName } from './providers.js';

/**
 * The few DOM parts read from IdP metadata. xmldom is loaded untyped because its typings pull the
 * DOM lib into the Node project, where its WebCrypto types clash with Node's.
 */
interface XmlElement {
  localName: string;
  namespaceURI: string | null;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<XmlElement>;
}
interface XmlParser {
  new (opts: { locator: object; errorHandler: Record<'warning' | 'error' | 'fatalError', (msg: string) => void> }): {
    parseFromString(xml: string, type: string): { documentElement: XmlElement | null } | undefined;
  };
}
const { DOMParser } = createRequire(import.meta.url)('@xmldom/xmldom') as { DOMParser: XmlParser };

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** Rancher's SAML paths, under the address the browser sees. */
export const samlPaths = (provider: string) => ({
  metadata: `/v1-saml/${provider}/saml/metadata`,
  acs: `/v1-saml/${provider}/saml/acs`,
});

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  /** PEM certificates the IdP signs with. */
  certs: string[];
}

const bad = (message: string, field = 'idpMetadataContent') => new ApiError('InvalidValue', message, field);

/**
 * What Corral needs from the IdP's metadata: its entity ID, where to send AuthnRequests
 * (HTTP-Redirect) and the certificates its signatures must verify with. Only read here; the
 * signatures on assertions are verified by node-saml.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  if (!xml.trim()) throw bad('idpMetadataContent is required: paste the identity provider’s metadata XML');
  if (/<!DOCTYPE/i.test(xml)) throw bad('idpMetadataContent must not have a DOCTYPE');
  const errors: string[] = [];
  const doc = new DOMParser({
    locator: {},
    errorHandler: { warning: () => undefined, error: (m) => errors.push(m), fatalError: (m) => errors.push(m) },
  }).parseFromString(xml, 'text/xml');
  if (errors.length || !doc?.documentElement)
    throw bad(`idpMetadataContent is not well-formed XML: ${errors[0] ?? 'no root element'}`);
  const root = doc.documentElement;
  const entity =
    root.localName === 'EntityDescriptor' && root.namespaceURI === MD
      ? root
      : Array.from(root.getElementsByTagNameNS(MD, 'EntityDescriptor')).find(
          (e) => e.getElementsByTagNameNS(MD, 'IDPSSODescriptor').length > 0,
        );
  const idp = entity?.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0];
  if (!entity || !idp)
    throw bad('idpMetadataContent has no EntityDescriptor with an IDPSSODescriptor: is it the IdP’s metadata?');
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw bad('the IdP metadata’s EntityDescriptor has no entityID');
  const sso = Array.from(idp.getElementsByTagNameNS(MD, 'SingleSignOnService')).find(
    (s) => s.getAttribute('Binding') === REDIRECT_BINDING,
  );
  const ssoUrl = sso?.getAttribute('Location') ?? '';
  if (!/^https?:\/\/\S+$/.test(ssoUrl))
    throw bad('the IdP metadata has no SingleSignOnService with the HTTP-Redirect binding and an http(s) Location');
  const certs: string[] = [];
  for (const kd of Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of Array.from(kd.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const b64 = (c.textContent ?? '').replace(/\s+/g, '');
      const pem = `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
      try {
        new X509Certificate(pem);
      } catch {
        throw bad('a signing certificate in the IdP metadata cannot be read (X509Certificate is not base64 DER)');
      }
      certs.push(pem);
    }
  }
  if (!certs.length)
    throw bad(
      'the IdP metadata has no signing certificate (KeyDescriptor use="signing" with an X509Certificate); assertions could not be verified',
    );
  return { entityId, ssoUrl, certs };
}

/**
 * A PEM block with its line breaks back: a key pasted into a single-line (password) input loses
 * them, and the PEM reader then refuses it.
 */
function pemLines(pem: string): string {
  const m = /-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----/.exec(pem);
  if (!m) return pem;
  const body = m[2]!
    .replace(/\s+/g, '')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${m[1]}-----\n${body}\n-----END ${m[1]}-----\n`;
}

/** Checks the SP pair and returns the key in PEM; a wrong pair is a 422 naming the field. */
function spKeyPair(spec: Record<string, unknown>, box: SecretBox): { cert: string; key: string } {
  const cert = String(spec.spCert ?? '').trim();
  const sealed = String(spec.spKey ?? '');
  if (!cert)
    throw new ApiError('MissingRequired', 'spCert is required: a PEM certificate for Corral’s SAML key', 'spCert');
  if (!sealed) throw new ApiError('MissingRequired', 'spKey is required: the PEM private key of spCert', 'spKey');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ApiError('InvalidValue', 'spCert is not a PEM certificate', 'spCert');
  }
  const key = pemLines(box.decrypt(sealed));
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('mismatch');
  } catch {
    throw new ApiError('InvalidValue', 'spKey is not the PEM private key of spCert', 'spKey');
  }
  return { cert, key };
}

/** The SP's own addresses: from rancherApiHost, else the address this request came to. */
function spAddresses(provider: SamlProviderName, spec: Record<string, unknown>, baseUrl: string) {
  const host = String(spec.rancherApiHost ?? '') || baseUrl;
  const paths = samlPaths(provider);
  return {
    entityId: String(spec.entityID ?? '') || `${host}${paths.metadata}`,
    acsUrl: `${host}${paths.acs}`,
  };
}

/** The AuthnRequest ID of a login, made from its nonce so the response's InResponseTo can be checked. */
const requestIdFor = (nonce: string) => `_${nonce}`;

/**
 * node-saml for one login. Its cache holds exactly the one AuthnRequest ID this login sent, so
 * InResponseTo is checked against the stored login (any replica), not a process's memory.
 */
function samlFor(
  provider: SamlProviderName,
  spec: Record<string, unknown>,
  box: SecretBox,
  baseUrl: string,
  nonce: string,
): SAML {
  const idp = parseIdpMetadata(String(spec.idpMetadataContent ?? ''));
  spKeyPair(spec, box);
  const sp = spAddresses(provider, spec, baseUrl);
  const expected = requestIdFor(nonce);
  const cache: CacheProvider = {
    saveAsync: async (k, value) => (k === expected ? { value, createdAt: Date.now() } : null),
    getAsync: async (k) => (k === expected ? new Date().toISOString() : null),
    removeAsync: async (k) => k,
  };
  return new SAML({
    entryPoint: idp.ssoUrl,
    idpIssuer: idp.entityId,
    idpCert: idp.certs,
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    // AuthnRequests go unsigned: an IdP that shows a login form re-posts the request without its
    // redirect signature (crewjam's does), and then refuses it for the SP's advertised key.
    // Rancher's rule: the assertion itself must be signed; a signed envelope around an unsigned
    // assertion is not enough.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: 10 * 60_000,
    cacheProvider: cache,
    generateUniqueId: () => expected,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    acceptedClockSkewMs: 60_000,
  });
}

/** One attribute's values (node-saml keys attributes by their Name). */
function values(profile: Profile, name: string): string[] {
  if (!name) return [];
  const v = profile[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}

/** A browser login through a SAML IdP: AuthnRequest by redirect, the signed response posted to the ACS. */
export function samlFlow(
  provider: SamlProviderName,
  spec: Record<string, unknown>,
  box: SecretBox,
  baseUrl: string,
): RedirectFlow {
  return {
    async authorizationUrl(p) {
      return samlFor(provider, spec, box, baseUrl, p.nonce).getAuthorizeUrlAsync(p.state, undefined, {});
    },
    async finish(p) {
      let profile: Profile | null;
      try {
        ({ profile } = await samlFor(provider, spec, box, baseUrl, p.nonce).validatePostResponseAsync({
          SAMLResponse: p.form?.SAMLResponse ?? '',
        }));
      } catch (err) {
        // node-saml's message says which check failed (signature, InResponseTo, audience, time).
        throw new ApiError('Unauthorized', `the SAML response was refused: ${(err as Error).message}`);
      }
      if (!profile) throw new ApiError('Unauthorized', 'the SAML response was a logout, not a login');
      const uid = values(profile, String(spec.uidField ?? ''))[0] ?? profile.nameID;
      if (!uid) throw new ApiError('Unauthorized', `the SAML assertion has no ${String(spec.uidField || 'NameID')}`);
      const loginName = values(profile, String(spec.userNameField ?? ''))[0] ?? uid;
      const name = values(profile, String(spec.displayNameField ?? ''))[0] ?? loginName;
      const groups = values(profile, String(spec.groupsField ?? ''));
      return { dn: uid, name, loginName, groups: groups.map((g) => ({ dn: g, name: g, loginName: g })) };
    },
  };
}

/** Corral's SP metadata for a provider, from its stored pair (the IdP registers Corral with it). */
export function spMetadata(
  provider: SamlProviderName,
  spec: Record<string, unknown>,
  box: SecretBox,
  baseUrl: string,
): string {
  if (!spec.spCert || !spec.spKey)
    throw new ApiError(
      'NotFound',
      `${provider} has no SP certificate and key yet; set spCert and spKey with ?action=testAndApply first`,
    );
  const { cert } = spKeyPair(spec, box);
  const sp = spAddresses(provider, spec, baseUrl);
  const saml = new SAML({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: cert,
    wantAssertionsSigned: true,
    identifierFormat: null,
  });
  // No KeyDescriptor: AuthnRequests are unsigned (see samlFor) and assertions come signed, not
  // encrypted, so an advertised SP key would only make IdPs demand signed requests.
  return saml.generateServiceProviderMetadata(null, null);
}

/** shibbolethConfig / oktaConfig: testAndApply reads the IdP metadata and checks the SP pair. */
export function samlConfigBehavior(provider: SamlProviderName): TypeBehavior {
  return providerConfigBehavior(provider, {
    connectionFields: ['idpMetadataContent', 'spCert', 'spKey', 'rancherApiHost', 'entityID'],
    secretField: 'spKey',
    inputField: 'samlConfig',
    async test(candidate, _input, ctx) {
      parseIdpMetadata(String(candidate.spec.idpMetadataContent ?? ''));
      spKeyPair(candidate.spec, ctx.services.secretBox);
      return { ...candidate.spec, rancherApiHost: String(candidate.spec.rancherApiHost || ctx.baseUrl) };
    },
  });
}
