import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
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

const localHashCache = new Map<string, Promise<string>>();

/** sha256 of a local file, computed once per process (binaries are large). */
export function localFileHash(path: string): Promise<string> {
  let p = localHashCache.get(path);
  if (!p) {
    p = new Promise<string>((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(path)
        .on('data', (c) => h.update(c))
        .on('error', reject)
        .on('end', () => resolve(h.digest('hex')));
    });
    localHashCache.set(path, p);
  }
  return p;
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
  const remote = await remoteHashes(
    io,
    names.map((n) => join(remoteDir, n)),
  );
  const uploaded: string[] = [];
  for (const name of names) {
    const local = join(localDir, name);
    if (remote.get(join(remoteDir, name)) === (await localFileHash(local))) continue;
    await io.upload(local, join(remoteDir, name), 0o755);
    uploaded.push(name);
  }
  return uploaded;
}
