import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, utimes, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BINARY_HASHES_FILE, localFileHash, remoteBinaryHashes } from './files.js';
import type { NodeIo } from './node-io.js';

// This machine's own /bin/sh, stat, awk and sha256sum stand in for a node's: the same tools.
const localIo: NodeIo = {
  label: 'this machine',
  run: (command) =>
    new Promise((resolve) => {
      execFile('/bin/sh', ['-c', command], (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    }),
  writeFile: (path, content, mode) => writeFile(path, content, { mode }),
  readFile: (path) => readFile(path).catch(() => null),
};

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-hashes-'));
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
});
afterEach(async () => {
  delete process.env.XDG_CACHE_HOME;
  await rm(dir, { recursive: true, force: true });
});

describe('binary hashes by file identity', () => {
  test('hashes every file, reports missing ones as empty, and records them', async () => {
    await writeFile(join(dir, 'etcd'), 'etcd v1');
    await writeFile(join(dir, 'kubelet'), 'kubelet v1');
    await sleep(2100);
    const hashes = await remoteBinaryHashes(localIo, dir, ['etcd', 'kubelet', 'kube-proxy']);
    expect(Object.fromEntries(hashes)).toEqual({ etcd: sha('etcd v1'), kubelet: sha('kubelet v1'), 'kube-proxy': '' });
    const record = await readFile(join(dir, BINARY_HASHES_FILE), 'utf8');
    expect(
      record
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['etcd', 'kubelet']);
    // Nothing changed: the record is not rewritten.
    const recorded = await stat(join(dir, BINARY_HASHES_FILE));
    await sleep(20);
    await remoteBinaryHashes(localIo, dir, ['etcd', 'kubelet', 'kube-proxy']);
    expect((await stat(join(dir, BINARY_HASHES_FILE))).mtimeMs).toBe(recorded.mtimeMs);
  });

  test('the record is trusted while the file is unchanged, and not after any change', async () => {
    const file = join(dir, 'etcd');
    await writeFile(file, 'etcd v1');
    // Just written: hashed but not recorded, since stat's whole seconds could hide another write.
    await remoteBinaryHashes(localIo, dir, ['etcd']);
    expect(await readFile(join(dir, BINARY_HASHES_FILE), 'utf8')).toBe('');
    await sleep(2100);
    await remoteBinaryHashes(localIo, dir, ['etcd']);
    // Poison the record: a second call must answer from it, proving no file was read.
    const record = join(dir, BINARY_HASHES_FILE);
    await writeFile(record, (await readFile(record, 'utf8')).replace(sha('etcd v1'), 'f'.repeat(64)));
    expect((await remoteBinaryHashes(localIo, dir, ['etcd'])).get('etcd')).toBe('f'.repeat(64));

    // Same size, and mtime set back: the change of ctime still gives it away.
    const before = await stat(file);
    await writeFile(file, 'etcd v2');
    await utimes(file, before.atime, before.mtime);
    expect((await stat(file)).size).toBe(before.size);
    expect((await remoteBinaryHashes(localIo, dir, ['etcd'])).get('etcd')).toBe(sha('etcd v2'));
  });

  test('a folder that does not exist yet gives empty hashes, not an error', async () => {
    const hashes = await remoteBinaryHashes(localIo, join(dir, 'missing'), ['etcd']);
    expect(hashes.get('etcd')).toBe('');
  });

  test('local hashes are remembered across processes by file identity', async () => {
    const file = join(dir, 'kube-apiserver');
    await writeFile(file, 'apiserver v1');
    await sleep(2100);
    expect(await localFileHash(file)).toBe(sha('apiserver v1'));
    const cacheFile = join(dir, 'cache', 'corral', 'file-sha256.json');
    await expect.poll(async () => (await readFile(cacheFile, 'utf8').catch(() => '')).includes(file)).toBe(true);
    const cache = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, { id: string; sha256: string }>;
    expect(cache[file]!.sha256).toBe(sha('apiserver v1'));
    // Poison the record; another spelling of the path misses the in-process memo, as a new run
    // would, and must answer from the record without reading the file.
    cache[file]!.sha256 = 'e'.repeat(64);
    await writeFile(cacheFile, JSON.stringify(cache));
    expect(await localFileHash(`${dir}/./kube-apiserver`)).toBe('e'.repeat(64));
    // Once the file changes, the record no longer applies.
    await writeFile(file, 'apiserver v2');
    expect(await localFileHash(`${dir}//kube-apiserver`)).toBe(sha('apiserver v2'));
  });
});
