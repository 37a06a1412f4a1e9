import { describe, expect, it } from 'vitest';
import { fingerprint, hostToken, keysForHost, keyTypeOf, preferredAlgorithms, verifyHostKey } from './known-hosts.js';

// Written by OpenSSH: `ssh-keygen -H` over "10.1.2.3 <key>" and "[10.1.2.3]:2222 <key>".
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIKJ5UfRwqEvDbbmzQTAJdkkE65kxVKjIZ2YFAMxnx1au';
const HASHED_22 = `|1|9QXYpHRjmamw5NCZjtTOygIsP/c=|Zsna3At1CgkoKSdUVfowmR1AIGo= ssh-ed25519 ${KEY}`;
const HASHED_2222 = `|1|cfxBkGYrMEW71PVAKLTU/3clMC0=|zHrdsxHe8x51OC4EKTrzKbgE6Z4= ssh-ed25519 ${KEY}`;
// Another real ed25519 key, and an ECDSA key.
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIKzUy/xa5m3YUkLaHAA4FuSVD4FvuPSEGyzSXJJnJmWU';
const ECDSA =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKjOdlKmGdI4OHFgPI3kuoz7M6GXdd96LmdnTppaiaP6Bp+v08zF97ZieoGqKYk5Y3qNdx35hfhKHtx01WGn8jE=';
const blob = (b64: string) => Buffer.from(b64, 'base64');

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(hostToken('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(hostToken('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    expect(keyTypeOf(blob(KEY))).toBe('ssh-ed25519');
    expect(keyTypeOf(blob(ECDSA))).toBe('ecdsa-sha2-nistp256');
    // What `ssh-keygen -lf` prints for KEY.
    expect(fingerprint(blob(KEY))).toBe('SHA256:XjcGHiTiBBALbsZl5yIasDwVlK7Lx7xovVB6PaTXlew');
  });

  it('matches plain, [host]:port and hashed entries for the right port only', () => {
    expect(verifyHostKey(`10.1.2.3 ssh-ed25519 ${KEY}`, '10.1.2.3', 22, blob(KEY))).toEqual({ kind: 'known' });
    expect(verifyHostKey(`10.1.2.3 ssh-ed25519 ${KEY}`, '10.1.2.3', 2222, blob(KEY))).toEqual({ kind: 'unknown' });
    expect(verifyHostKey(`[10.1.2.3]:2222 ssh-ed25519 ${KEY}`, '10.1.2.3', 2222, blob(KEY))).toEqual({ kind: 'known' });
    expect(verifyHostKey(HASHED_22, '10.1.2.3', 22, blob(KEY))).toEqual({ kind: 'known' });
    expect(verifyHostKey(HASHED_22, '10.1.2.3', 2222, blob(KEY))).toEqual({ kind: 'unknown' });
    expect(verifyHostKey(HASHED_2222, '10.1.2.3', 2222, blob(KEY))).toEqual({ kind: 'known' });
    expect(verifyHostKey(HASHED_22, '10.1.2.4', 22, blob(KEY))).toEqual({ kind: 'unknown' });
  });

  it('understands pattern lists, wildcards, negation and comments', () => {
    const file = [
      '# comment',
      '',
      `node-a,10.1.2.3 ssh-ed25519 ${KEY} some comment`,
      `10.9.*,!10.9.0.66 ssh-ed25519 ${KEY}`,
      `@cert-authority * ssh-ed25519 ${OTHER}`,
    ].join('\n');
    expect(verifyHostKey(file, 'NODE-A', 22, blob(KEY)).kind).toBe('known');
    expect(verifyHostKey(file, '10.9.0.5', 22, blob(KEY)).kind).toBe('known');
    expect(verifyHostKey(file, '10.9.0.66', 22, blob(KEY)).kind).toBe('unknown');
    expect(verifyHostKey(file, '10.10.0.5', 22, blob(KEY)).kind).toBe('unknown');
  });

  it('refuses a different key, also of another type, and a revoked one', () => {
    const file = `10.1.2.3 ssh-ed25519 ${KEY}\n`;
    const changed = verifyHostKey(file, '10.1.2.3', 22, blob(OTHER));
    expect(changed.kind).toBe('mismatch');
    expect(changed.kind === 'mismatch' && changed.expected[0]).toMatchObject({
      type: 'ssh-ed25519',
      key: KEY,
      line: 1,
    });
    expect(verifyHostKey(file, '10.1.2.3', 22, blob(ECDSA)).kind).toBe('mismatch');
    const revoked = `@revoked * ssh-ed25519 ${KEY}\n10.1.2.3 ssh-ed25519 ${KEY}`;
    expect(verifyHostKey(revoked, '10.1.2.3', 22, blob(KEY)).kind).toBe('revoked');
  });

  it('asks the server for the key types on file first', () => {
    const file = `10.1.2.3 ecdsa-sha2-nistp256 ${ECDSA}\n10.1.2.3 ssh-rsa AAAAB3NzaC1yc2E=`;
    expect(preferredAlgorithms(keysForHost(file, '10.1.2.3', 22))).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });
});
