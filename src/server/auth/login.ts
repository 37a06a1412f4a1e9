import { randomBytes } from 'node:crypto';
import type { Store, StoredObject } from '../../store/types.js';
import type { SettingsReader } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import { CSRF_COOKIE, SESSION_COOKIE } from './credentials.js';
import { verifyPassword } from './passwords.js';
import { FailureLimiter } from './rate-limit.js';
import { issueToken } from './tokens.js';
import { userIdForUsername } from './users.js';

export interface LoginInput {
  username?: unknown;
  password?: unknown;
  responseType?: unknown;
  ttl?: unknown;
  description?: unknown;
}

export interface LoginResult {
  status: number;
  body: Record<string, unknown>;
  cookies: string[];
}

const FAILURE_WINDOW_MS = 5 * 60_000;

/**
 * What every username/password login shares: both must be given, and failed attempts are limited
 * per client address and username and per username overall, so neither one client nor many can
 * guess a password quickly. `scope` keeps one provider's failures apart from another's.
 */
export class PasswordAttempts {
  private readonly perClient = new FailureLimiter(5, FAILURE_WINDOW_MS);
  private readonly perUser = new FailureLimiter(20, FAILURE_WINDOW_MS);

  begin(input: LoginInput, remoteAddress: string, scope = '') {
    if (typeof input.username !== 'string' || !input.username)
      throw new ApiError('MissingRequired', 'username is required', 'username');
    if (typeof input.password !== 'string' || !input.password)
      throw new ApiError('MissingRequired', 'password is required', 'password');
    const userKey = `${scope}${input.username.toLowerCase()}`;
    const clientKey = `${remoteAddress}|${userKey}`;
    refuseWhileLimited(this.perClient, clientKey, this.perUser, userKey);
    return {
      username: input.username,
      password: input.password,
      /** Counts the failure and answers with the one message for a wrong name or password. */
      failed: (): never => {
        this.perClient.fail(clientKey);
        this.perUser.fail(userKey);
        throw new ApiError('Unauthorized', 'wrong username or password');
      },
      succeeded: () => this.perClient.reset(clientKey),
    };
  }
}

/** Local username/password login. */
export class LocalLogin {
  private readonly attempts = new PasswordAttempts();

  constructor(
    private readonly store: Store,
    private readonly settings: SettingsReader,
  ) {}

  async login(input: LoginInput, remoteAddress: string): Promise<LoginResult> {
    const attempt = this.attempts.begin(input, remoteAddress);
    const options = loginOptions(input);
    const userId = await userIdForUsername(this.store, attempt.username);
    const user = userId ? await this.store.get('user', userId).catch(() => undefined) : undefined;
    const ok = await verifyPassword(user?.spec.passwordHash as string | undefined, attempt.password);
    if (!ok || !user) return attempt.failed();
    if (user.spec.enabled === false) throw new ApiError('Unauthorized', 'this user is disabled; ask an administrator');
    attempt.succeeded();
    return sessionReply(this.store, this.settings, user, options, {
      provider: 'local',
      principalId: `local://${user.id}`,
    });
  }
}

export interface LoginOptions {
  responseType: string;
  ttl: number;
  description: string;
}

/** What every provider's login accepts besides the credentials. */
export function loginOptions(input: LoginInput): LoginOptions {
  const responseType = String(input.responseType ?? 'token');
  // `kubeconfig` and `kubeconfig_<clusterId>`: what Rancher's `rancher token` credential plugin asks for.
  if (!['token', 'cookie', 'json'].includes(responseType) && !/^kubeconfig(_[a-z0-9-]+)?$/.test(responseType)) {
    throw new ApiError('InvalidOption', 'responseType must be token, cookie or kubeconfig', 'responseType');
  }
  const ttl = input.ttl === undefined ? 0 : input.ttl;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) {
    throw new ApiError('InvalidType', 'ttl must be a whole number of milliseconds', 'ttl');
  }
  return {
    responseType,
    ttl,
    description: typeof input.description === 'string' ? input.description : 'login session',
  };
}

/** 429 with Retry-After while either limiter refuses more attempts. */
function refuseWhileLimited(a: FailureLimiter, aKey: string, b: FailureLimiter, bKey: string): void {
  const wait = Math.max(a.retryAfterMs(aKey), b.retryAfterMs(bKey));
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    throw new ApiError('TooManyRequests', `too many failed logins; try again in ${seconds} s`, undefined, {
      'retry-after': String(seconds),
    });
  }
}

/** A new session for a user who just proved who they are, as a token or as cookies. */
export async function sessionReply(
  store: Store,
  settings: SettingsReader,
  user: StoredObject,
  options: LoginOptions,
  via: { provider: string; principalId: string },
): Promise<LoginResult> {
  const { obj, value } = await issueToken(store, settings, {
    userId: user.id,
    kind: 'session',
    ttlMs: options.ttl,
    description: options.description,
    authProvider: via.provider,
    userPrincipal: via.principalId,
  });
  if (options.responseType === 'cookie') {
    const maxAge = Math.floor(Number(obj.spec.ttl) / 1000);
    const csrf = randomBytes(16).toString('hex');
    return {
      status: 200,
      body: {},
      cookies: [
        `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`,
        // Readable by the page on purpose: it sends it back as a header (double-submit CSRF).
        `${CSRF_COOKIE}=${csrf}; Path=/; Max-Age=${maxAge}; Secure; SameSite=Lax`,
      ],
    };
  }
  return {
    status: 201,
    body: {
      type: 'token',
      id: obj.id,
      name: obj.id,
      token: value,
      userId: user.id,
      ttl: obj.spec.ttl,
      expiresAt: obj.spec.expiresAt,
      mustChangePassword: user.spec.mustChangePassword === true,
    },
    cookies: [],
  };
}
