import type { IncomingMessage } from 'node:http';
import type { StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { AuthInfo } from '../api/context.js';
import type { ObjectReader } from '../hot-objects.js';
import { ApiError } from '../http/errors.js';
import { CSRF_COOKIE, CSRF_HEADER, parseCookies, presentedCredential } from './credentials.js';
import { parseToken, secretMatches } from './token-secret.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function tokenExpired(token: StoredObject, now = Date.now()): boolean {
  const expiresAt = token.spec.expiresAt as string | undefined;
  return !!expiresAt && Date.parse(expiresAt) <= now;
}

const unauthorized = (message: string) => new ApiError('Unauthorized', message);

/**
 * Finds who is calling. Every check reads current state (the store, or HotObjects' reader, which
 * is exact), so a token deleted, expired, or whose user was disabled or deleted stops working
 * with the very next request.
 */
export async function authenticate(
  store: ObjectReader,
  req: IncomingMessage,
  opts: { clusterId?: string } = {},
): Promise<AuthInfo> {
  const presented = presentedCredential(req);
  if (!presented) throw unauthorized('log in, or send an API key as "Authorization: Bearer token-xxxxx:<secret>"');
  const parsed = parseToken(presented.value);
  if (!parsed) throw unauthorized('the credential is not of the form token-xxxxx:<secret>');
  let token: StoredObject;
  try {
    token = await store.get('token', parsed.id);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound')
      throw unauthorized('the token is not valid (unknown or deleted)');
    throw err;
  }
  // Same message as for an unknown token: do not confirm that an id exists.
  if (!secretMatches(String(token.spec.tokenHash ?? ''), parsed.secret))
    throw unauthorized('the token is not valid (unknown or deleted)');
  if (tokenExpired(token))
    throw unauthorized(`the token expired at ${String(token.spec.expiresAt)}; log in again or create a new API key`);
  const scope = token.spec.clusterId as string | undefined;
  if (scope && scope !== opts.clusterId) {
    throw unauthorized(`this token is limited to cluster ${scope} and cannot be used here`);
  }
  let user: StoredObject;
  try {
    user = await store.get('user', String(token.spec.userId));
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NotFound')
      throw unauthorized('the user of this token no longer exists');
    throw err;
  }
  if (user.spec.enabled === false) throw unauthorized('the user of this token is disabled');
  if (presented.via === 'cookie' && UNSAFE.has(req.method ?? 'GET')) checkCsrf(req);
  return { user, token, via: presented.via };
}

/**
 * Double-submit CSRF check for cookie sessions: a page on another origin can make the browser
 * send the cookie, but cannot read the CSRF cookie to echo it in a header.
 */
function checkCsrf(req: IncomingMessage): void {
  const cookie = parseCookies(req.headers.cookie).get(CSRF_COOKIE);
  const header = req.headers[CSRF_HEADER];
  if (!cookie || typeof header !== 'string' || header !== cookie) {
    throw new ApiError(
      'PermissionDenied',
      `cookie-authenticated changes need the ${CSRF_HEADER} header equal to the ${CSRF_COOKIE} cookie`,
    );
  }
}
