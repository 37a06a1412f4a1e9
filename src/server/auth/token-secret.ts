import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

// Rancher's alphabet for token secrets and generated names: no vowels (no words), no look-alikes.
const SECRET_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SECRET_LENGTH = 54;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

export function newTokenSecret(): string {
  return randomString(SECRET_ALPHABET, SECRET_LENGTH);
}

export function randomSuffix(length = 5): string {
  return randomString(ID_ALPHABET, length);
}

/**
 * Token secrets are 54 random characters (~256 bits): a fast hash is enough, since there is
 * nothing to guess. Only this hash is stored.
 */
export function hashTokenSecret(secret: string): string {
  return 'sha256:' + createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(storedHash: string, secret: string): boolean {
  const a = Buffer.from(storedHash);
  const b = Buffer.from(hashTokenSecret(secret));
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `token-xxxxx:<secret>` → its parts, or undefined when it is not of that form. */
export function parseToken(value: string): { id: string; secret: string } | undefined {
  const i = value.indexOf(':');
  if (i <= 0) return undefined;
  const id = value.slice(0, i);
  const secret = value.slice(i + 1);
  if (!/^token-[a-z0-9]{5,}$/.test(id) || !secret) return undefined;
  return { id, secret };
}
