import { createHash } from 'node:crypto';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import { listAll } from '../../store/list-all.js';
import {
  activeDirectoryConfig,
  authConfig,
  githubConfig,
  keyCloakOIDCConfig,
  oidcConfig,
  oktaConfig,
  openLdapConfig,
  shibbolethConfig,
} from '../../schema/types/auth-config.js';
import type { TypeDef } from '../../schema/schema.js';
import type { SecretBox } from '../secrets/encryption.js';
import { validateInput } from '../api/validate.js';
import { ApiError } from '../http/errors.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { LdapDirectory, type DirectoryUser, type LdapSettings } from './ldap.js';

/** The directory providers, by Rancher's provider name (the config's id and the principal id prefix). */
export const DIRECTORY_PROVIDERS = {
  openldap: { schema: openLdapConfig, publicType: 'openLdapProvider', publicPlural: 'openLdapProviders' },
  activedirectory: {
    schema: activeDirectoryConfig,
    publicType: 'activeDirectoryProvider',
    publicPlural: 'activeDirectoryProviders',
  },
} as const;
export type DirectoryProviderName = keyof typeof DIRECTORY_PROVIDERS;
export const isDirectoryProvider = (name: string): name is DirectoryProviderName =>
  Object.hasOwn(DIRECTORY_PROVIDERS, name);

/** OpenID Connect providers: Rancher's generic one and its Keycloak-flavoured one. */
export const OIDC_PROVIDERS = {
  genericoidc: { schema: oidcConfig, publicType: 'oidcProvider', publicPlural: 'oidcProviders' },
  keycloakoidc: {
    schema: keyCloakOIDCConfig,
    publicType: 'keyCloakOIDCProvider',
    publicPlural: 'keyCloakOIDCProviders',
  },
} as const;
export type OidcProviderName = keyof typeof OIDC_PROVIDERS;

/** SAML 2.0 identity providers, one implementation (saml.ts) under Rancher's names. */
export const SAML_PROVIDERS = {
  shibboleth: { schema: shibbolethConfig, publicType: 'shibbolethProvider', publicPlural: 'shibbolethProviders' },
  okta: { schema: oktaConfig, publicType: 'oktaProvider', publicPlural: 'oktaProviders' },
} as const;
export type SamlProviderName = keyof typeof SAML_PROVIDERS;
export const isSamlProvider = (name: string): name is SamlProviderName => Object.hasOwn(SAML_PROVIDERS, name);

/** Providers whose login happens on their own site, in a browser, and comes back to /verify-auth (SAML: its ACS). */
export const BROWSER_PROVIDERS = {
  ...OIDC_PROVIDERS,
  github: { schema: githubConfig, publicType: 'githubProvider', publicPlural: 'githubProviders' },
  ...SAML_PROVIDERS,
} as const;
export type BrowserProviderName = keyof typeof BROWSER_PROVIDERS;
export const isBrowserProvider = (name: string): name is BrowserProviderName => Object.hasOwn(BROWSER_PROVIDERS, name);

/** Every provider besides local, by name. */
export const EXTERNAL_PROVIDERS = { ...DIRECTORY_PROVIDERS, ...BROWSER_PROVIDERS };
export type ExternalProviderName = keyof typeof EXTERNAL_PROVIDERS;
export const isExternalProvider = (name: string): name is ExternalProviderName =>
  Object.hasOwn(EXTERNAL_PROVIDERS, name);

/** Rancher's principal ids: `openldap_user://<dn>`, `activedirectory_group://<dn>`. */
export const userPrincipalId = (provider: string, dn: string) => `${provider}_user://${dn}`;
export const groupPrincipalId = (provider: string, dn: string) => `${provider}_group://${dn}`;

export function parsePrincipalId(id: string): { provider: string; kind: 'user' | 'group'; key: string } | undefined {
  // GitHub's groups are organizations and teams (github_org://<id>, github_team://<id>), as in Rancher.
  const m = /^([a-z]+)_(user|group|org|team):\/\/(.+)$/.exec(id);
  if (m) return { provider: m[1]!, kind: m[2] === 'user' ? 'user' : 'group', key: m[3]! };
  const local = /^local:\/\/(.+)$/.exec(id);
  return local ? { provider: 'local', kind: 'user', key: local[1]! } : undefined;
}

/** The stored configuration, or its defaults when never saved (a disabled provider). */
export async function readProviderConfig(store: Store, provider: ExternalProviderName): Promise<StoredObject> {
  const schema: TypeDef = EXTERNAL_PROVIDERS[provider].schema;
  try {
    return await store.get(schema.id, provider);
  } catch (err) {
    if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
  }
  const now = new Date().toISOString();
  return {
    type: schema.id,
    id: provider,
    metadata: {
      name: provider,
      labels: {},
      annotations: {},
      resourceVersion: '',
      uid: '',
      creationTimestamp: now,
      finalizers: [],
    },
    spec: { ...validateInput(schema, {}, 'create').fields, enabled: false },
    status: {},
  };
}

/** Saves a configuration whether or not it was stored before (create-if-absent, else compare-and-swap). */
export async function writeProviderConfig(store: Store, existing: StoredObject, spec: Record<string, unknown>) {
  if (!existing.metadata.resourceVersion) {
    return store.create({
      type: existing.type,
      id: existing.id,
      metadata: { name: existing.id, labels: {}, annotations: {} },
      spec,
    });
  }
  return store.update({ ...existing, spec });
}

/** The settings a directory client needs from a stored spec; the service password is decrypted here only. */
export function ldapSettings(
  provider: DirectoryProviderName,
  spec: Record<string, unknown>,
  box: SecretBox,
): LdapSettings {
  const sealed = String(spec.serviceAccountPassword ?? '');
  const str = (k: string) => String(spec[k] ?? '');
  return {
    servers: (spec.servers as string[] | undefined) ?? [],
    port: Number(spec.port ?? 389),
    tls: spec.tls === true,
    startTLS: spec.startTLS === true,
    certificate: str('certificate'),
    connectionTimeout: Number(spec.connectionTimeout ?? 5000),
    bindName: provider === 'openldap' ? str('serviceAccountDistinguishedName') : adBindName(spec),
    bindPassword: sealed ? box.decrypt(sealed) : '',
    userSearchBase: str('userSearchBase'),
    userSearchAttribute: str('userSearchAttribute'),
    userSearchFilter: str('userSearchFilter'),
    userLoginAttribute: str('userLoginAttribute'),
    userObjectClass: str('userObjectClass'),
    userNameAttribute: str('userNameAttribute'),
    userEnabledAttribute: str('userEnabledAttribute'),
    userDisabledBitMask: Number(spec.userDisabledBitMask ?? 0),
    groupSearchBase: str('groupSearchBase'),
    groupSearchAttribute: str('groupSearchAttribute'),
    groupSearchFilter: str('groupSearchFilter'),
    groupObjectClass: str('groupObjectClass'),
    groupNameAttribute: str('groupNameAttribute'),
    groupMemberMappingAttribute: str('groupMemberMappingAttribute'),
    nestedGroupMembershipEnabled: spec.nestedGroupMembershipEnabled === true,
    defaultLoginDomain: str('defaultLoginDomain'),
  };
}

/** AD accepts user@domain, DOMAIN\user or a DN; a bare name gets the default login domain, as Rancher does. */
function adBindName(spec: Record<string, unknown>): string {
  const name = String(spec.serviceAccountUsername ?? '');
  const domain = String(spec.defaultLoginDomain ?? '');
  if (!domain || /[@\\=]/.test(name)) return name;
  return `${domain}\\${name}`;
}

export function directoryFor(provider: DirectoryProviderName, config: StoredObject, box: SecretBox): LdapDirectory {
  return new LdapDirectory(ldapSettings(provider, config.spec, box));
}

/** The principal ids a directory user holds: their own, then their groups'. */
export function principalsOf(provider: string, u: DirectoryUser): { user: string; groups: string[] } {
  return {
    user: userPrincipalId(provider, u.dn),
    groups: u.groups.map((g) => g.principalId ?? groupPrincipalId(provider, g.dn)),
  };
}

/**
 * Rancher's access modes. `required`: only the allowed principals (the user or one of their
 * groups). `restricted`: those, and anyone already given a cluster or project role (themselves or
 * through a group). `unrestricted`: anyone the directory knows.
 */
export async function accessAllowed(
  store: Store,
  spec: Record<string, unknown>,
  principals: { user: string; groups: string[] },
  userId?: string,
): Promise<boolean> {
  const mode = String(spec.accessMode ?? 'unrestricted');
  if (mode === 'unrestricted') return true;
  const mine = new Set([principals.user, ...principals.groups]);
  const allowed = (spec.allowedPrincipalIds as string[] | undefined) ?? [];
  if (allowed.some((p) => mine.has(p) || (userId && p === `local://${userId}`))) return true;
  if (mode !== 'restricted') return false;
  for (const type of ['clusterRoleTemplateBinding', 'projectRoleTemplateBinding']) {
    const bindings = await listAll(store, type);
    if (
      bindings.some(
        (b) =>
          (userId && b.spec.userId === userId) ||
          mine.has(String(b.spec.groupPrincipalId ?? '')) ||
          mine.has(String(b.spec.userPrincipalId ?? '')),
      )
    )
      return true;
  }
  return false;
}

/** One user per external principal, across replicas: the store's create-if-absent is the lock. */
const principalClaimId = (principalId: string) =>
  'principal-' + createHash('sha256').update(principalId).digest('hex').slice(0, 40);

export async function userIdForPrincipal(store: Store, principalId: string): Promise<string | undefined> {
  try {
    return String((await store.get('principalClaim', principalClaimId(principalId))).spec.userId);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

/** Links `principalId` to `userId`; refuses when it already belongs to another user. */
export async function claimPrincipal(store: Store, principalId: string, userId: string): Promise<void> {
  try {
    await store.create({
      type: 'principalClaim',
      id: principalClaimId(principalId),
      metadata: { name: principalClaimId(principalId) },
      spec: { principalId, userId },
    });
  } catch (err) {
    if (!(err instanceof StoreError && err.code === 'AlreadyExists')) throw err;
    const owner = await userIdForPrincipal(store, principalId);
    if (owner !== userId)
      throw new ApiError('Conflict', `${principalId} already belongs to user ${owner ?? '(unknown)'}`);
  }
}

export async function releasePrincipals(store: Store, user: StoredObject): Promise<void> {
  for (const p of (user.spec.principalIds as string[] | undefined) ?? []) {
    if (p.startsWith('local://')) continue;
    await store.delete('principalClaim', principalClaimId(p)).catch(() => undefined);
  }
}

/** Every token a provider issued (sessions from its logins, keys derived from them). */
export async function providerTokens(store: Store, provider: string, userId?: string): Promise<StoredObject[]> {
  const tokens = await listAll(store, 'token', userId ? `${USER_ID_LABEL}=${userId}` : undefined);
  return tokens.filter((t) => t.spec.authProvider === provider);
}

export { authConfig };
