import { f } from '../fields.js';
import { defineSubtype, defineType, type FieldDef } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

/** Rancher's access modes: who of a provider's people may log in at all. */
export const ACCESS_MODES = ['unrestricted', 'restricted', 'required'] as const;

const accessFields = {
  enabled: f.boolean({ readOnly: true, description: 'turned on by ?action=testAndApply, off by ?action=disable' }),
  accessMode: f.enum(ACCESS_MODES, {
    default: 'unrestricted',
    description:
      'unrestricted: anyone the provider knows; restricted and required: only allowedPrincipalIds (users or their groups)',
  }),
  allowedPrincipalIds: f.array(f.string({ maxLength: 1024 }), { default: [], max: 1000 }),
};

/** What every provider's configuration has: listed together at /v3/authConfigs, as in Rancher. */
export const authConfig = defineType({
  id: 'authConfig',
  plural: 'authConfigs',
  fields: {
    name: f.string({ readOnly: true }),
    ...accessFields,
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'enabled', 'accessMode'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'authconfigs' },
});

/**
 * A provider's configuration type: one object per provider (id = the provider name), read and
 * changed by admins, enabled only by `testAndApply` (which checks it first), turned off by `disable`.
 */
function providerConfigType<const F extends Record<string, FieldDef>>(
  id: string,
  plural: string,
  fields: F,
  testInput: string,
  where: string,
) {
  return defineType({
    id,
    plural,
    fields,
    resourceActions: {
      testAndApply: { input: testInput, output: id, verb: 'update' },
      disable: { output: id, verb: 'update' },
    },
    collectionMethods: ['GET'],
    resourceMethods: ['GET', 'PUT'],
    columns: ['id', 'enabled', where, 'accessMode'],
    authz: { apiGroup: MANAGEMENT_GROUP, resource: 'authconfigs' },
  });
}

/** The directory fields LDAP and Active Directory share; defaults differ per directory. */
function ldapFields(d: {
  port: number;
  userSearchAttribute: string;
  userLoginAttribute: string;
  userObjectClass: string;
  userNameAttribute: string;
  userMemberAttribute: string;
  userEnabledAttribute: string;
  userDisabledBitMask: number;
  groupObjectClass: string;
  groupDNAttribute: string;
  groupMemberUserAttribute: string;
}) {
  const s = (def: string, description?: string) => f.string({ default: def, maxLength: 1024, description });
  return {
    ...accessFields,
    servers: f.array(
      f.string({ maxLength: 253, pattern: /^[A-Za-z0-9.:[\]-]+$/, patternHint: 'must be a host name or address' }),
      {
        default: [],
        max: 10,
        description: 'host names or addresses, tried in order',
      },
    ),
    port: f.int({ default: d.port, min: 1, max: 65535 }),
    tls: f.boolean({ default: false, description: 'LDAPS: TLS from the first byte (port 636 usually)' }),
    startTLS: f.boolean({ default: false, label: 'StartTLS', description: 'upgrade a plain connection to TLS' }),
    certificate: f.string({
      default: '',
      maxLength: 65536,
      description: 'PEM of the CA that signed the server certificate (empty: the system CAs)',
    }),
    connectionTimeout: f.int({ default: 5000, min: 100, max: 60000, description: 'milliseconds' }),
    userSearchBase: f.string({ default: '', maxLength: 1024, description: 'DN under which users are searched' }),
    userSearchAttribute: s(d.userSearchAttribute, 'attributes searched, separated by |'),
    userSearchFilter: s('', 'an extra LDAP filter users must match, e.g. (department=ops)'),
    userLoginAttribute: s(d.userLoginAttribute),
    userObjectClass: s(d.userObjectClass),
    userNameAttribute: s(d.userNameAttribute),
    userMemberAttribute: s(d.userMemberAttribute),
    userEnabledAttribute: s(d.userEnabledAttribute),
    userDisabledBitMask: f.int({ default: d.userDisabledBitMask, min: 0 }),
    groupSearchBase: f.string({ default: '', maxLength: 1024, description: 'DN under which groups are searched' }),
    groupSearchAttribute: s('cn'),
    groupSearchFilter: s(''),
    groupObjectClass: s(d.groupObjectClass),
    groupNameAttribute: s('cn'),
    groupDNAttribute: s(d.groupDNAttribute),
    groupMemberUserAttribute: s(d.groupMemberUserAttribute),
    groupMemberMappingAttribute: s('member'),
    nestedGroupMembershipEnabled: f.boolean({ default: false, description: 'count groups of groups too' }),
  } satisfies Record<string, FieldDef>;
}

export const openLdapConfig = providerConfigType(
  'openLdapConfig',
  'openLdapConfigs',
  {
    ...ldapFields({
      port: 389,
      userSearchAttribute: 'uid|sn|givenName',
      userLoginAttribute: 'uid',
      userObjectClass: 'inetOrgPerson',
      userNameAttribute: 'cn',
      userMemberAttribute: 'memberOf',
      userEnabledAttribute: '',
      userDisabledBitMask: 0,
      groupObjectClass: 'groupOfNames',
      groupDNAttribute: 'entryDN',
      groupMemberUserAttribute: 'entryDN',
    }),
    serviceAccountDistinguishedName: f.string({ default: '', maxLength: 1024 }),
    serviceAccountPassword: f.password({ writeOnly: true, description: 'stored encrypted; never shown' }),
  },
  'ldapTestAndApplyInput',
  'servers',
);

export const activeDirectoryConfig = providerConfigType(
  'activeDirectoryConfig',
  'activeDirectoryConfigs',
  {
    ...ldapFields({
      port: 389,
      userSearchAttribute: 'sAMAccountName|sn|givenName',
      userLoginAttribute: 'sAMAccountName',
      userObjectClass: 'person',
      userNameAttribute: 'name',
      userMemberAttribute: 'memberOf',
      userEnabledAttribute: 'userAccountControl',
      userDisabledBitMask: 2,
      groupObjectClass: 'group',
      groupDNAttribute: 'distinguishedName',
      groupMemberUserAttribute: 'distinguishedName',
    }),
    defaultLoginDomain: f.string({
      default: '',
      maxLength: 256,
      description: 'NetBIOS domain added to bare usernames',
    }),
    serviceAccountUsername: f.string({
      default: '',
      maxLength: 1024,
      description: 'user@domain, DOMAIN\\user or a DN',
    }),
    serviceAccountPassword: f.password({ writeOnly: true, description: 'stored encrypted; never shown' }),
  },
  'ldapTestAndApplyInput',
  'servers',
);

/**
 * Rancher's testAndApply: the whole configuration to try, and one directory user's credentials.
 * Only when the service account binds and that user logs in is the configuration saved and
 * enabled, and that user's principal linked to the caller, so the admin cannot lock themself out.
 */
export const ldapTestAndApplyInput = defineSubtype({
  id: 'ldapTestAndApplyInput',
  fields: {
    ldapConfig: f.json<Record<string, unknown>>({ required: true }),
    username: f.string({ required: true, maxLength: 256 }),
    password: f.password({ required: true }),
    enabled: f.boolean({ default: true }),
  },
});

/** The body of `/v3-public/<provider>Providers/<id>?action=login` for a directory login. */
export const ldapLoginInput = defineSubtype({
  id: 'ldapLoginInput',
  fields: {
    username: f.string({ required: true, maxLength: 256 }),
    password: f.password({ required: true }),
    responseType: f.string({ maxLength: 64 }),
    ttl: f.int({ min: 0 }),
    description: f.string({ maxLength: 1024 }),
  },
});

/** What OpenID Connect providers share (Rancher's oidcConfig, which keyCloakOIDCConfig extends). */
function oidcFields() {
  return {
    ...accessFields,
    clientId: f.string({ default: '', maxLength: 1024, label: 'Client ID' }),
    clientSecret: f.password({ writeOnly: true, description: 'stored encrypted; never shown' }),
    issuer: f.string({
      default: '',
      maxLength: 2048,
      pattern: /^(https:\/\/\S+)?$/,
      patternHint: 'must be an https:// URL (discovery is read from <issuer>/.well-known/openid-configuration)',
    }),
    scope: f.string({ default: 'openid profile email', maxLength: 1024 }),
    groupsClaim: f.string({ default: 'groups', maxLength: 256, description: 'the claim listing the groups' }),
    certificate: f.string({
      default: '',
      maxLength: 65536,
      description: "PEM of the CA that signed the provider's certificate (empty: the system CAs)",
    }),
    rancherUrl: f.string({
      readOnly: true,
      description: 'the redirect URI to register with the provider: <server-url>/verify-auth',
    }),
  } satisfies Record<string, FieldDef>;
}

export const oidcConfig = providerConfigType(
  'oidcConfig',
  'oidcConfigs',
  oidcFields(),
  'oidcTestAndApplyInput',
  'issuer',
);

export const keyCloakOIDCConfig = providerConfigType(
  'keyCloakOIDCConfig',
  'keyCloakOIDCConfigs',
  oidcFields(),
  'oidcTestAndApplyInput',
  'issuer',
);

/** Checks discovery (issuer reachable, trusted, consistent) before saving and enabling. */
export const oidcTestAndApplyInput = defineSubtype({
  id: 'oidcTestAndApplyInput',
  fields: {
    oidcConfig: f.json<Record<string, unknown>>({ required: true }),
    enabled: f.boolean({ default: true }),
  },
});

/** Rancher's githubConfig: github.com or a GitHub Enterprise Server by host name. */
export const githubConfig = providerConfigType(
  'githubConfig',
  'githubConfigs',
  {
    ...accessFields,
    hostname: f.string({
      default: 'github.com',
      maxLength: 253,
      pattern: /^[A-Za-z0-9.-]+(:\d+)?$/,
      patternHint: 'must be a host name (github.com, or your GitHub Enterprise Server), optionally with :port',
    }),
    tls: f.boolean({ default: true, label: 'TLS', description: 'https (turn off only for a test server)' }),
    clientId: f.string({ default: '', maxLength: 256, label: 'Client ID' }),
    clientSecret: f.password({ writeOnly: true, description: 'stored encrypted; never shown' }),
    rancherUrl: f.string({
      readOnly: true,
      description: "the OAuth app's callback URL to register: <server-url>/verify-auth",
    }),
  },
  'githubTestAndApplyInput',
  'hostname',
);

/** Checks that the GitHub host answers before saving and enabling. */
export const githubTestAndApplyInput = defineSubtype({
  id: 'githubTestAndApplyInput',
  fields: {
    githubConfig: f.json<Record<string, unknown>>({ required: true }),
    enabled: f.boolean({ default: true }),
  },
});

/**
 * What SAML 2.0 providers share (Rancher's SamlConfig: shibbolethConfig, oktaConfig, ...). Corral
 * is the service provider: `spCert`/`spKey` sign its AuthnRequests, the IdP's metadata gives its
 * SSO URL and signing certificate. The *Field settings name SAML attributes (their Name, as the
 * IdP sends it); an empty uidField takes the assertion's NameID.
 */
function samlFields() {
  const attr = (def: string, description: string) => f.string({ default: def, maxLength: 1024, description });
  return {
    ...accessFields,
    idpMetadataContent: f.string({
      default: '',
      maxLength: 262144,
      label: 'IdP metadata',
      description: "the identity provider's SAML metadata XML (its EntityDescriptor)",
    }),
    spCert: f.string({
      default: '',
      maxLength: 65536,
      label: 'SP certificate',
      description: "PEM certificate of Corral's SAML key, published in its metadata",
    }),
    spKey: f.password({ writeOnly: true, label: 'SP private key', description: 'PEM; stored encrypted; never shown' }),
    uidField: attr('', 'attribute holding the unique user id (empty: the NameID)'),
    userNameField: attr('', 'attribute holding the login name (empty: the user id)'),
    displayNameField: attr('', 'attribute holding the display name (empty: the login name)'),
    groupsField: attr('', 'attribute listing the groups (empty: no groups)'),
    rancherApiHost: f.string({
      default: '',
      maxLength: 2048,
      pattern: /^(https:\/\/[^/\s]+)?$/,
      patternHint: "must be https://host[:port], the server's address as the browser sees it (empty: this request's)",
    }),
    entityID: f.string({
      default: '',
      maxLength: 2048,
      label: 'SP entity ID',
      description: 'empty: <rancherApiHost>/v1-saml/<provider>/saml/metadata',
    }),
  } satisfies Record<string, FieldDef>;
}

export const shibbolethConfig = providerConfigType(
  'shibbolethConfig',
  'shibbolethConfigs',
  samlFields(),
  'samlTestAndApplyInput',
  'rancherApiHost',
);

export const oktaConfig = providerConfigType(
  'oktaConfig',
  'oktaConfigs',
  samlFields(),
  'samlTestAndApplyInput',
  'rancherApiHost',
);

/** Checks the IdP metadata (signing certificate, SSO URL) and the SP key pair before saving and enabling. */
export const samlTestAndApplyInput = defineSubtype({
  id: 'samlTestAndApplyInput',
  fields: {
    samlConfig: f.json<Record<string, unknown>>({ required: true }),
    enabled: f.boolean({ default: true }),
  },
});
