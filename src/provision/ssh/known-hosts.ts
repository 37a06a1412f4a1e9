import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * OpenSSH's known_hosts, read and appended the way `ssh` does it, so that a workstation's existing
 * file (plain, `[host]:port` and hashed `|1|salt|hash` entries, wildcards, @revoked) is honoured and
 * what Corral adds is understood by `ssh`.
 */

export interface KnownKey {
  /** Key type as written in the file, e.g. "ssh-ed25519". */
  type: string;
  /** The public key blob, base64 as in the file. */
  key: string;
  revoked: boolean;
  /** 1-based line, for messages. */
  line: number;
}

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; expected: KnownKey[] }
  | { kind: 'revoked'; entry: KnownKey };

/** How known_hosts names a host: plain on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The fingerprint `ssh-keygen -l` and `ssh` print: SHA256 of the blob, base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Every key the file holds for the host (comments, @cert-authority lines and garbage skipped). */
export function keysForHost(content: string, host: string, port: number): KnownKey[] {
  const token = hostToken(host, port);
  const found: KnownKey[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] ?? '').trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) continue;
    let revoked = false;
    if (fields[0].startsWith('@')) {
      // A CA signs host certificates; Corral does not verify certificates, so such a line says
      // nothing about the plain key a host presents.
      if (fields[0] !== '@revoked') continue;
      revoked = true;
      fields.shift();
    }
    const [patterns, type, key] = fields;
    if (!patterns || !type || !key) continue;
    if (hostMatches(patterns, token)) found.push({ type, key, revoked, line: i + 1 });
  }
  return found;
}

/** Decides about the key a host presented, as `ssh` with StrictHostKeyChecking would. */
export function verifyHostKey(content: string, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const presented = blob.toString('base64');
  const entries = keysForHost(content, host, port);
  const revoked = entries.find((e) => e.revoked && e.key === presented);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const expected = entries.filter((e) => !e.revoked);
  if (expected.some((e) => e.key === presented)) return { kind: 'known' };
  // Unlike `ssh`, a host that presents a key of another type than the ones on file is refused
  // rather than asked about: Corral asks servers for the known types first (preferredAlgorithms),
  // so a genuine host presents one of them, and an impostor must not get around the check by
  // offering a type nobody recorded.
  if (expected.length > 0) return { kind: 'mismatch', expected };
  return { kind: 'unknown' };
}

/**
 * Host key algorithms to ask the server for, known types first — what `ssh` does, so that a host
 * with several keys presents the one on file.
 */
export function preferredAlgorithms(known: KnownKey[]): string[] {
  const out: string[] = [];
  for (const entry of known) {
    if (entry.revoked) continue;
    for (const alg of algorithmsForKeyType(entry.type)) if (!out.includes(alg)) out.push(alg);
  }
  return out;
}

function algorithmsForKeyType(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

/** Adds the host's key. Lines written by concurrent connections to the same file do not interleave. */
export async function appendKnownHost(path: string, host: string, port: number, blob: Buffer): Promise<void> {
  const previous = appendQueue.get(path) ?? Promise.resolve();
  const next = previous.then(async () => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const current = await readFile(path, 'utf8').catch(() => '');
    const separator = current.length > 0 && !current.endsWith('\n') ? '\n' : '';
    await appendFile(path, `${separator}${hostToken(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, {
      mode: 0o600,
    });
  });
  appendQueue.set(
    path,
    next.catch(() => {}),
  );
  return next;
}

const appendQueue = new Map<string, Promise<void>>();

/** A comma-separated pattern list as in OpenSSH: any positive match and no negated one. */
function hostMatches(patterns: string, token: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, token);
  let matched = false;
  for (const raw of patterns.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (globMatches(pattern, token.toLowerCase())) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, written by `ssh` with HashKnownHosts. */
function hashedMatches(field: string, token: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64');
  return expected === hash;
}

function globMatches(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}
