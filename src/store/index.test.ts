import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDir } from '../../test/helpers/control-plane.js';
import { createLeaderElector, openStore, SingleLeaderElector, SqliteStore } from './index.js';

describe('openStore', () => {
  it('opens SQLite at a path, creating its folder, with a leader elector that always leads', async () => {
    const path = join(await testDir('store-index'), 'nested', 'corral.db');
    const store = await openStore({ kind: 'sqlite', path });
    try {
      expect(store).toBeInstanceOf(SqliteStore);
      const created = await store.create({ type: 'user', metadata: { name: 'u-1' }, spec: {} });
      expect(await store.get('user', 'u-1')).toEqual(created);
      expect(createLeaderElector(store, { name: 'controllers' })).toBeInstanceOf(SingleLeaderElector);
    } finally {
      await store.close();
    }
  });

  it('names the etcd PEM file it cannot read', async () => {
    const missing = join(await testDir('store-index'), 'missing-ca.crt');
    await expect(openStore({ kind: 'etcd', endpoints: ['https://127.0.0.1:1'], caFile: missing })).rejects.toThrow(
      `cannot read the etcd CA certificate from ${missing}`,
    );
  });
});
