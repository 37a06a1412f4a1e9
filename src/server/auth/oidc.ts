import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import * as client from 'openid-client';
import type { Store, StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import { listAll } from '../../store/list-all.js';
import type { SettingsReader, TypeBehavior } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import { parseCookies } from './credentials.js';
import { sessionReply, type LoginResult } from './login.js';
import {
  accessAllowed,
  principalsOf,
  readProviderConfig,
  userIdForPrincipal,
  isSamlProvider,
  type BrowserProviderName,
  type OidcProviderName,
} from './providers.js';
import type { DirectoryUser } from './ldap.js';
import { checkGithub, githubFlow } from './github.js';
import { providerConfigBehavior, syncDirectoryUser } from './directory.js';
import { randomSuffix } from './token-secret.js';
import { samlFlow, samlPaths } from './saml.js';

/** Where every OpenID provider sends people back (Rancher's path). */
export const CALLBACK_PATH = '/verify-auth';
/** Binds a login to the browser that started it, so nobody can finish it in someone else's. */
const BROWSER_COOKIE = 'R_OIDC';
/** Set by the CLI login's confirmation page; its button works only with it. */
const CLI_COOKIE = 'R_CLILOGIN';
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A login not finished in this time is refused (and its request removed at the next start). */
const REQUEST_TTL_MS = 10 * 60_000;
/** Logins in progress at once, over all providers. */
const MAX_PENDING = 1000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * A fetch for openid-client that trusts `ca` (the provider's private CA) and nothing else; the
 * global fetch cannot take a CA per request.
 */
function fetchTrusting(ca: string): client.CustomFetch {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: options.method,
          headers: options.headers,
          ca,
          minVersion: 'TLSv1.2',
          signal: options.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
            const status = res.statusCode ?? 502;
            const body = [204, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers }));
          });
        },
      );
      req.on('error', reject);
      req.end(options.body === undefined || options.body === null ? undefined : String(options.body));
    });
}

/** The first error code or message in an error and its causes. */
function causes(err: unknown): { code: string; message: string } {
  let code = '';
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (!code && typeof c === 'string' && !c.startsWith('OAUTH_')) code = c;
    if (e instanceof Error) messages.push(e.message);
  }
  return { code, message: messages.join(': ') };
}

/** What went wrong reaching a provider, in words and with a status a client can act on. */
export function providerError(err: unknown, issuer: string, what = 'the OpenID provider'): ApiError {
  if (err instanceof ApiError) return err;
  const { code, message } = causes(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code))
    return new ApiError(
      'InvalidValue',
      `the TLS certificate of ${issuer} is not trusted (${code}); put the CA that signed it in "certificate"`,
      'certificate',
    );
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code))
    return new ApiError('BadGateway', `cannot reach ${what} at ${issuer} (${code}); check its address`);
  if (/issuer/i.test(message) && /mismatch|unexpected|does not match/i.test(message))
    return new ApiError('InvalidValue', `the provider at ${issuer} names another issuer: ${message}`, 'issuer');
  return new ApiError('BadGateway', `${what} at ${issuer} answered with an error: ${message}`);
}

/** Reads the provider's discovery document and makes a client for it. */
export async function discover(spec: Record<string, unknown>, box: SecretBox): Promise<client.Configuration> {
  const issuer = String(spec.issuer ?? '');
  if (!issuer) throw new ApiError('MissingRequired', 'issuer is required', 'issuer');
  if (!spec.clientId) throw new ApiError('MissingRequired', 'clientId is required', 'clientId');
  const sealed = String(spec.clientSecret ?? '');
  const secret = sealed ? box.decrypt(sealed) : '';
  const ca = String(spec.certificate ?? '').trim();
  const fetcher = ca ? fetchTrusting(ca) : undefined;
  try {
    const config = await client.discovery(
      new URL(issuer),
      String(spec.clientId),
      undefined,
      secret ? client.ClientSecretBasic(secret) : client.None(),
      { ...(fetcher ? { [client.customFetch]: fetcher } : {}), timeout: 10 },
    );
    if (fetcher) config[client.customFetch] = fetcher;
    return config;
  } catch (err) {
    throw providerError(err, issuer);
  }
}

/** One provider's side of a browser login: where to send the person, and who came back. */
export interface RedirectFlow {
  authorizationUrl(p: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeChallenge: string;
    scope: string;
  }): Promise<string>;
  /** Exchanges what the provider sent back (code, state) for the person and their groups. */
  finish(p: {
    currentUrl: URL;
    /** What the provider posted back (SAML's SAMLResponse and RelayState). */
    form?: Record<string, string>;
    redirectUri: string;
    verifier: string;
    state: string;
    nonce: string;
  }): Promise<DirectoryUser>;
}

/**
 * OpenID Connect through openid-client: PKCE, state and nonce checked, the ID token's signature
 * and claims verified, then userinfo for the profile and the groups claim.
 */
async function oidcFlow(spec: Record<string, unknown>, box: SecretBox): Promise<RedirectFlow> {
  const oidc = await discover(spec, box);
  const issuer = String(spec.issuer);
  return {
    async authorizationUrl(p) {
      return client.buildAuthorizationUrl(oidc, {
        redirect_uri: p.redirectUri,
        scope: p.scope || 'openid',
        state: p.state,
        nonce: p.nonce,
        code_challenge: p.codeChallenge,
        code_challenge_method: 'S256',
      }).href;
    },
    async finish(p) {
      let claims: Record<string, unknown>;
      try {
        const tokens = await client.authorizationCodeGrant(oidc, p.currentUrl, {
          pkceCodeVerifier: p.verifier,
          expectedState: p.state,
          expectedNonce: p.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims()!;
        const info = await client.fetchUserInfo(oidc, tokens.access_token, idClaims.sub);
        claims = { ...idClaims, ...info };
      } catch (err) {
        throw providerError(err, issuer);
      }
      const rawGroups = claims[String(spec.groupsClaim || 'groups')];
      const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
      const loginName = String(claims.preferred_username ?? claims.email ?? claims.sub);
      const name =
        String(claims.name ?? '') ||
        [claims.given_name, claims.family_name].filter((x) => typeof x === 'string' && x).join(' ') ||
        loginName;
      return { dn: String(claims.sub), name, loginName, groups: groups.map((g) => ({ dn: g, name: g, loginName: g })) };
    },
  };
}

function flowFor(
  provider: BrowserProviderName,
  spec: Record<string, unknown>,
  box: SecretBox,
  baseUrl: string,
): Promise<RedirectFlow> {
  if (isSamlProvider(provider)) return Promise.resolve(samlFlow(provider, spec, box, baseUrl));
  return provider === 'github' ? Promise.resolve(githubFlow(spec, box)) : oidcFlow(spec, box);
}

/**
 * Where the provider sends the browser back, and so the path the browser-binding cookie is sent
 * to. SAML IdPs post there from their own site: only a SameSite=None cookie survives that POST.
 */
function returnPath(provider: BrowserProviderName): { path: string; sameSite: 'Lax' | 'None' } {
  return isSamlProvider(provider)
    ? { path: samlPaths(provider).acs, sameSite: 'None' }
    : { path: CALLBACK_PATH, sameSite: 'Lax' };
}

export interface StartedLogin {
  requestId: string;
  /** Where the browser goes: the provider's authorization endpoint. */
  authorizationUrl: string;
  /** The cookie binding the login to this browser. */
  cookie: string;
}

/**
 * Browser logins (OpenID Connect, GitHub: authorization code flow with PKCE (S256), state and nonce; SAML: an
 * AuthnRequest whose ID and RelayState stand in for the nonce and state). A login in
 * progress is a store object (any replica may receive the callback) holding the PKCE verifier
 * sealed, and hashes of the browser binding and, for the CLI, of its poll secret.
 */
export class BrowserLogin {
  constructor(
    private readonly store: Store,
    private readonly settings: SettingsReader,
    private readonly box: SecretBox,
  ) {}

  private async enabledConfig(provider: BrowserProviderName): Promise<StoredObject> {
    const config = await readProviderConfig(this.store, provider);
    if (config.spec.enabled !== true)
      throw new ApiError('InvalidAction', `${provider} login is not enabled on this server; log in another way`);
    return config;
  }

  /** Starts a login; `cli` also returns a secret the CLI polls with for the resulting token. */
  async start(provider: BrowserProviderName, baseUrl: string, opts: { cli?: boolean } = {}) {
    const config = await this.enabledConfig(provider);
    const flow = await flowFor(provider, config.spec, this.box, baseUrl);
    // Starting is unauthenticated: bound what anyone can make the server keep.
    if ((await this.removeExpired()) >= MAX_PENDING)
      throw new ApiError('TooManyRequests', 'too many logins in progress; try again in a few minutes', undefined, {
        'retry-after': '60',
      });
    const requestId = `login-${randomSuffix(12)}`;
    const verifier = client.randomPKCECodeVerifier();
    const state = `${requestId}.${client.randomState()}`;
    const nonce = client.randomNonce();
    const authorizationUrl = await flow.authorizationUrl({
      redirectUri: `${baseUrl}${CALLBACK_PATH}`,
      scope: String(config.spec.scope ?? ''),
      state,
      nonce,
      codeChallenge: await client.calculatePKCECodeChallenge(verifier),
    });
    const browserKey = randomBytes(24).toString('hex');
    const pollSecret = opts.cli ? randomBytes(24).toString('hex') : '';
    await this.store.create({
      type: 'browserLoginRequest',
      id: requestId,
      metadata: { name: requestId },
      spec: {
        provider,
        verifier: this.box.encrypt(verifier),
        stateHash: sha256(state),
        nonce,
        authorizationUrl,
        // The CLI's login is bound to the first browser that opens its URL.
        browserKeyHash: opts.cli ? '' : sha256(browserKey),
        pollSecretHash: pollSecret ? sha256(pollSecret) : '',
        expiresAt: new Date(Date.now() + REQUEST_TTL_MS).toISOString(),
        result: '',
      },
    });
    return {
      requestId,
      authorizationUrl,
      cookie: this.browserCookie(provider, requestId, browserKey),
      pollSecret,
      loginUrl: `${baseUrl}/v3-public/browserLogin/${provider}?request=${requestId}`,
    };
  }

  private browserCookie(provider: BrowserProviderName, requestId: string, key: string): string {
    const maxAge = Math.floor(REQUEST_TTL_MS / 1000);
    const back = returnPath(provider);
    return `${BROWSER_COOKIE}=${requestId}.${key}; Path=${back.path}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=${back.sameSite}`;
  }

  /**
   * Someone could run `corral login` and send its URL to another person, who would then log the
   * sender in. So the URL first shows a page saying a command line asks to log in, with a button;
   * the button's link works only with a cookie that showing the page set (double submit), so a
   * link straight past the page does not work in anyone else's browser.
   */
  cliConfirmation(
    provider: string,
    requestId: string,
    url: URL,
    cookieHeader: string | undefined,
  ): { page?: string; cookie: string } {
    const given = url.searchParams.get('confirm') ?? '';
    const held = parseCookies(cookieHeader).get(CLI_COOKIE) ?? '';
    if (given && held && same(sha256(given), sha256(held))) return { cookie: '' };
    const nonce = randomBytes(18).toString('hex');
    const next = `/v3-public/browserLogin/${encodeURIComponent(provider)}?request=${encodeURIComponent(requestId)}&confirm=${nonce}`;
    const page = `<!doctype html><meta charset="utf-8"><title>Corral: command-line login</title>
<h1>Log in the Corral command line?</h1>
<p>A <code>corral login</code> command asks to log in as you through ${escapeHtml(provider)}.
Continue only if you just ran it yourself: whoever ran it gets your access.</p>
<p><a href="${escapeHtml(next)}">Continue to ${escapeHtml(provider)}</a></p>
`;
    return {
      page,
      cookie: `${CLI_COOKIE}=${nonce}; Path=/v3-public/browserLogin; Max-Age=600; HttpOnly; Secure; SameSite=Strict`,
    };
  }

  /** Refuses an unknown or expired login before anything else happens to it. */
  async checkRequest(requestId: string): Promise<void> {
    await this.request(requestId);
  }

  /** The CLI's URL opened in a browser: binds the login to that browser, once, and goes on to the provider. */
  async resume(requestId: string): Promise<{ authorizationUrl: string; cookie: string }> {
    const req = await this.request(requestId);
    if (req.spec.browserKeyHash)
      throw new ApiError('Conflict', 'this login was already opened in a browser; start again');
    const browserKey = randomBytes(24).toString('hex');
    await this.store.update({ ...req, spec: { ...req.spec, browserKeyHash: sha256(browserKey) } });
    return {
      authorizationUrl: String(req.spec.authorizationUrl),
      cookie: this.browserCookie(String(req.spec.provider) as BrowserProviderName, requestId, browserKey),
    };
  }

  private async request(requestId: string): Promise<StoredObject> {
    let req: StoredObject;
    try {
      req = await this.store.get('browserLoginRequest', requestId);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound')
        throw new ApiError('NotFound', 'this login is unknown or finished; start again');
      throw err;
    }
    if (Date.parse(String(req.spec.expiresAt)) <= Date.now())
      throw new ApiError('InvalidAction', 'this login took longer than 10 minutes; start again');
    return req;
  }

  /** Removes logins past their time; returns how many are still in progress. */
  private async removeExpired(): Promise<number> {
    const all = await listAll(this.store, 'browserLoginRequest');
    const old = all.filter((r) => Date.parse(String(r.spec.expiresAt)) <= Date.now());
    await Promise.all(old.map((r) => this.store.delete(r.type, r.id).catch(() => undefined)));
    return all.length - old.length;
  }

  /**
   * The provider sent the browser back: checks the browser binding, exchanges the code (PKCE,
   * state, nonce, ID token signature via openid-client), reads the groups claim, and logs the
   * person in. For the CLI the token is kept (sealed) for its poll instead of becoming cookies.
   */
  async callback(
    url: URL,
    cookieHeader: string | undefined,
    baseUrl: string,
    /** A SAML IdP's POST to its ACS: which provider's ACS, and the form. */
    posted?: { provider: BrowserProviderName; form: Record<string, string> },
  ): Promise<{ cli: boolean; result: LoginResult }> {
    const error = url.searchParams.get('error');
    if (error)
      throw new ApiError(
        'Unauthorized',
        `the provider refused the login: ${error} ${url.searchParams.get('error_description') ?? ''}`.trim(),
      );
    // SAML carries the state as RelayState in the posted form.
    const state = (posted ? posted.form.RelayState : url.searchParams.get('state')) ?? '';
    const requestId = state.split('.')[0] ?? '';
    const req = await this.request(requestId);
    if (posted ? req.spec.provider !== posted.provider : isSamlProvider(String(req.spec.provider)))
      throw new ApiError(
        'InvalidAction',
        `this login was started with ${String(req.spec.provider)}, not here; start again`,
      );
    const [cookieId, key] = (parseCookies(cookieHeader).get(BROWSER_COOKIE) ?? '').split('.');
    if (
      cookieId !== requestId ||
      !key ||
      !req.spec.browserKeyHash ||
      !same(sha256(key), String(req.spec.browserKeyHash)) ||
      !same(sha256(state), String(req.spec.stateHash))
    )
      throw new ApiError('PermissionDenied', 'this login was started in another browser; start again here');
    if (req.spec.used === true) throw new ApiError('Conflict', 'this login was already used; start again');
    // One use only, whatever happens next: compare-and-swap, so two racing callbacks cannot both pass.
    const claimed = await this.store.update({ ...req, spec: { ...req.spec, used: true } }).catch(() => {
      throw new ApiError('Conflict', 'this login was already used; start again');
    });
    const provider = String(req.spec.provider) as BrowserProviderName;
    const config = await this.enabledConfig(provider);
    const flow = await flowFor(provider, config.spec, this.box, baseUrl);
    const found = await flow.finish({
      form: posted?.form,
      currentUrl: new URL(`${baseUrl}${CALLBACK_PATH}${url.search}`),
      redirectUri: `${baseUrl}${CALLBACK_PATH}`,
      verifier: this.box.decrypt(String(req.spec.verifier)),
      state,
      nonce: String(req.spec.nonce),
    });
    const principals = principalsOf(provider, found);
    if (
      !(await accessAllowed(this.store, config.spec, principals, await userIdForPrincipal(this.store, principals.user)))
    )
      throw new ApiError(
        'PermissionDenied',
        'you are not among the users and groups allowed to log in here; ask an administrator',
      );
    const user = await syncDirectoryUser(this.store, provider, found);
    if (user.spec.enabled === false) throw new ApiError('Unauthorized', 'this user is disabled; ask an administrator');
    const cli = !!req.spec.pollSecretHash;
    const result = await sessionReply(
      this.store,
      this.settings,
      user,
      { responseType: cli ? 'token' : 'cookie', ttl: 0, description: cli ? 'corral CLI login' : 'login session' },
      { provider, principalId: principals.user },
    );
    if (cli) {
      // Kept sealed for the CLI's poll, which takes it once.
      await this.store.update({
        ...claimed,
        spec: { ...claimed.spec, result: this.box.encrypt(String(result.body.token)) },
      });
    } else {
      await this.store.delete(claimed.type, claimed.id).catch(() => undefined);
    }
    return { cli, result };
  }

  /** The CLI asks whether its login finished: the token once, then the request is gone. */
  async poll(requestId: string, pollSecret: string): Promise<{ done: boolean; token?: string }> {
    const req = await this.request(requestId);
    if (!req.spec.pollSecretHash || !same(sha256(pollSecret), String(req.spec.pollSecretHash)))
      throw new ApiError('PermissionDenied', 'wrong poll secret for this login');
    if (!req.spec.result) return { done: false };
    await this.store.delete(req.type, req.id);
    return { done: true, token: this.box.decrypt(String(req.spec.result)) };
  }
}

/**
 * oidcConfig / keyCloakOIDCConfig. testAndApply checks discovery (reachable, trusted, the issuer
 * it claims) and fills in the redirect URI to register; the client secret is first used at the
 * first login, where a wrong one shows as the provider's refusal.
 */
export function oidcConfigBehavior(provider: OidcProviderName): TypeBehavior {
  return providerConfigBehavior(provider, {
    connectionFields: ['issuer', 'clientId', 'clientSecret', 'certificate'],
    secretField: 'clientSecret',
    inputField: 'oidcConfig',
    async test(candidate, _input, ctx) {
      await discover(candidate.spec, ctx.services.secretBox);
      return { ...candidate.spec, rancherUrl: `${ctx.baseUrl}${CALLBACK_PATH}` };
    },
  });
}

/** githubConfig: testAndApply checks the host answers as GitHub's API, and gives the callback URL to register. */
export const githubConfigBehavior: TypeBehavior = providerConfigBehavior('github', {
  connectionFields: ['hostname', 'tls', 'clientId', 'clientSecret'],
  secretField: 'clientSecret',
  inputField: 'githubConfig',
  async test(candidate, _input, ctx) {
    await checkGithub(candidate.spec);
    return { ...candidate.spec, rancherUrl: `${ctx.baseUrl}${CALLBACK_PATH}` };
  },
});
