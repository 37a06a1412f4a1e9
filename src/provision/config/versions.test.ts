import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { normalizeVersion, supportedVersions } from './versions.js';

test('normalizeVersion drops RKE suffixes and adds the v', () => {
  expect(normalizeVersion('v1.36.5-rancher1-1')).toBe('v1.36.5');
  expect(normalizeVersion('v1.36.5-rancher2')).toBe('v1.36.5');
  expect(normalizeVersion('1.36.5')).toBe('v1.36.5');
  for (const bad of ['v1.36', 'latest', 'v1.36.5-rc.1', 'v1.36.5-rancher']) expect(normalizeVersion(bad)).toBeNull();
});

test('supportedVersions: from versions.json, newest first; none without it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-versions-'));
  try {
    expect(supportedVersions(dir)).toEqual([]);
    await writeFile(
      join(dir, 'versions.json'),
      JSON.stringify({ kubernetes: ['v1.9.0', 'v1.36.5', 'v1.10.2-rancher1-1'] }),
    );
    expect(supportedVersions(dir)).toEqual(['v1.36.5', 'v1.10.2', 'v1.9.0']);
    await writeFile(join(dir, 'versions.json'), JSON.stringify({ kubernetes: 'v1.36.5', etcd: 'v3.6.8' }));
    expect(supportedVersions(dir)).toEqual(['v1.36.5']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
