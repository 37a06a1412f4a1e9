import { hash, verify } from '@node-rs/argon2';
import { ApiError } from '../http/errors.js';

// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): memory-hard, ~50 ms here.
const ARGON2ID = 2;
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (!stored) {
    // Spend the same time as a real check, so that a missing user is not told apart by timing.
    await hash(password, PARAMS);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export function checkPasswordPolicy(
  password: string,
  minLength: number,
  username?: string,
  field = 'newPassword',
): void {
  if (password.length < minLength) {
    throw new ApiError('MinLengthExceeded', `password must be at least ${minLength} characters`, field);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new ApiError('MaxLengthExceeded', `password must be at most ${MAX_PASSWORD_LENGTH} characters`, field);
  }
  if (username && password === username) {
    throw new ApiError('InvalidFormat', 'password must not be the same as the username', field);
  }
}
