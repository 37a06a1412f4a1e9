import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'R_SESS';
export const CSRF_COOKIE = 'CSRF';
export const CSRF_HEADER = 'x-api-csrf';

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

export interface PresentedCredential {
  value: string;
  via: 'bearer' | 'basic' | 'cookie';
}

/** The credential a request presents, from the Authorization header or else the session cookie. */
export function presentedCredential(req: IncomingMessage): PresentedCredential | undefined {
  const header = req.headers.authorization;
  if (header) {
    const [scheme, rest] = [header.slice(0, header.indexOf(' ')), header.slice(header.indexOf(' ') + 1).trim()];
    if (/^bearer$/i.test(scheme)) return { value: rest, via: 'bearer' };
    if (/^basic$/i.test(scheme)) return { value: Buffer.from(rest, 'base64').toString('utf8'), via: 'basic' };
    return undefined;
  }
  const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  return cookie ? { value: cookie, via: 'cookie' } : undefined;
}

/** Set-Cookie values that end a browser session. */
export const CLEAR_SESSION_COOKIES = [
  `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`,
  `${CSRF_COOKIE}=; Path=/; Max-Age=0; Secure; SameSite=Lax`,
];
