import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { NodeIo } from './node-io.js';

export interface FileSpec {
  path: string;
  content: string;
  mode: number;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** sha256 of each path on the node ('' when missing), in one round trip. */
export async function remoteHashes(io: NodeIo, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>(paths.map((p) => [p, '']));
  if (paths.length === 0) return out;
  const res = await io.run(`sha256sum ${paths.map(shellQuote).join(' ')} 2>/dev/null; true`);
  for (const line of res.stdout.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/**
 * Writes the files whose content differs on the node and only those, so that running again
 * with no change touches nothing. Returns the paths written.
 */
export async function syncFiles(io: NodeIo, files: FileSpec[]): Promise<string[]> {
  const remote = await remoteHashes(
    io,
    files.map((f) => f.path),
  );
  const changed = files.filter((f) => remote.get(f.path) !== sha256(f.content));
  for (const f of changed) await io.writeFile(f.path, f.content, f.mode);
  return changed.map((f) => f.path);
}

/**
 * Hashing ~550 MB of binaries on every node made a no-change `up` cost seconds per node. As git's
 * index and rsync do, a hash is trusted while the file's identity is unchanged: size, mtime, ctime
 * (which no tool can set back) and inode. Any write, copy or rename changes one of them.
 */
const identityOf = (st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }) =>
  `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;

const localHashCache = new Map<string, Promise<string>>();

function hashFile(path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** The workstation's record of hashes by file identity; losing it only costs a rehash. */
function hashCachePath(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'corral', 'file-sha256.json');
}

async function readHashCache(): Promise<Record<string, { id: string; sha256: string }>> {
  try {
    return JSON.parse(await readFile(hashCachePath(), 'utf8')) as Record<string, { id: string; sha256: string }>;
  } catch {
    return {};
  }
}

let cacheWrite = Promise.resolve();

function rememberHash(path: string, id: string, sha256: string): void {
  // Serialized read-modify-write; a failure (read-only home) is not worth failing an `up` for.
  cacheWrite = cacheWrite.then(async () => {
    try {
      const cache = await readHashCache();
      cache[path] = { id, sha256 };
      const file = hashCachePath();
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(cache), { mode: 0o600 });
      await rename(tmp, file);
    } catch {
      /* the cache is an optimization */
    }
  });
}

/** sha256 of a local file: once per process, and across runs while the file is unchanged. */
export function localFileHash(path: string): Promise<string> {
  let p = localHashCache.get(path);
  if (!p) {
    p = (async () => {
      const before = await stat(path);
      const id = identityOf(before);
      const key = resolve(path);
      const known = (await readHashCache())[key];
      if (known?.id === id) return known.sha256;
      const sha = await hashFile(path);
      // Recorded only if the file did not change while it was read and did not change just now
      // (a coarse-timestamp file system could hide a second change in the same tick).
      if (identityOf(await stat(path)) === id && before.ctimeMs < Date.now() - 2000) rememberHash(key, id, sha);
      return sha;
    })();
    localHashCache.set(path, p);
  }
  return p;
}

/** Where a node records the hashes of the binaries in a folder, keyed by file identity. */
export const BINARY_HASHES_FILE = '.corral-sha256';

/**
 * sha256 of each binary on the node ('' when missing), hashing only files whose identity (size,
 * mtime, ctime, inode) differs from the folder's record, then rewriting the record. POSIX stat
 * formats only, so GNU and BusyBox both work.
 */
export async function remoteBinaryHashes(io: NodeIo, dir: string, names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>(names.map((n) => [n, '']));
  if (names.length === 0) return out;
  const script = [
    `cd ${shellQuote(dir)} 2>/dev/null || exit 0`,
    `m=${BINARY_HASHES_FILE}; new=$m.$$`,
    ': > "$new"',
    'for f in "$@"; do',
    `  id=$(stat -c '%s:%Y:%Z:%i' -- "$f" 2>/dev/null) || continue`,
    `  h=$(awk -v k="$f $id" 'index($0, k " ") == 1 { print $3; exit }' "$m" 2>/dev/null)`,
    `  [ -n "$h" ] || h=$(sha256sum -- "$f" | cut -d' ' -f1)`,
    '  [ -n "$h" ] || continue',
    // A file changed within the last seconds could change again with the same identity (stat
    // times are whole seconds): such a hash is used but not recorded (git's "racily clean").
    '  [ "$(stat -c %Z -- "$f")" -lt $(( $(date +%s) - 1 )) ] && echo "$f $id $h" >> "$new"',
    '  echo "$h $f"',
    'done',
    // Rewritten only when it changed: a no-change `up` writes nothing on the node.
    'if cmp -s "$new" "$m"; then rm -f "$new"; else mv -f "$new" "$m"; fi',
  ].join('\n');
  const res = await io.run(`sh -c ${shellQuote(script)} corral-hash ${names.map(shellQuote).join(' ')}`);
  for (const line of res.stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) (.+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

export interface BinaryUploader {
  /** Copies a local file to the node (streamed), mode 0755. */
  upload(localPath: string, remotePath: string, mode: number): Promise<unknown>;
}

/** Uploads the named binaries whose hash differs on the node. Returns the names uploaded. */
export async function syncBinaries(
  io: NodeIo & BinaryUploader,
  localDir: string,
  remoteDir: string,
  names: string[],
): Promise<string[]> {
  const remote = await remoteBinaryHashes(io, remoteDir, names);
  const uploaded: string[] = [];
  for (const name of names) {
    const local = join(localDir, name);
    if (remote.get(name) === (await localFileHash(local))) continue;
    await io.upload(local, join(remoteDir, name), 0o755);
    uploaded.push(name);
  }
  return uploaded;
}
