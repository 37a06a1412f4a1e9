import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { testDir } from './helpers/control-plane.js';
import { startTestEtcd, type TestEtcd } from './helpers/etcd.js';
import { adminToken, startTestServer, type TestServerOptions } from './helpers/server.js';

const ROUNDS = 100;
const WRITERS = 4;

/**
 * kill -9 in the middle of a stream of writes, ROUNDS times; every write the server acknowledged
 * (answered 201) must be there afterwards.
 */
async function killNineRounds(options: () => Promise<TestServerOptions>) {
  const dataDir = await testDir('durable');
  const first = await startTestServer({ ...(await options()), dataDir, manual: true });
  const admin = await adminToken(first);
  const key = (await first.call('/v3/tokens', { token: admin, body: { description: 'durability' } })).json
    .token as string;
  await first.kill9();

  const acknowledged: string[] = [];
  let unacknowledged = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startTestServer({ ...(await options()), dataDir, manual: true });
    let stop = false;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; !stop; n++) {
        try {
          const r = await server.call('/v3/globalRoles', { token: key, body: { name: `r${round}-w${w}-${n}` } });
          if (r.status === 201) acknowledged.push(r.json.id);
          else throw new Error(`write answered ${r.status}: ${r.text}`);
        } catch (err) {
          if (!stop) throw err;
          unacknowledged++;
        }
      }
    });
    await sleep(30 + Math.floor(Math.random() * 120));
    stop = true;
    await server.kill9();
    await Promise.allSettled(writers);
  }

  const last = await startTestServer({ ...(await options()), dataDir, manual: true });
  try {
    const present = new Set<string>();
    let next: string | undefined = '/v3/globalRoles?limit=1000';
    while (next) {
      const page = await last.call(next, { token: key });
      for (const d of page.json.data) present.add(d.id);
      next = page.json.pagination.next;
    }
    const lost = acknowledged.filter((id) => !present.has(id));
    expect(acknowledged.length).toBeGreaterThan(ROUNDS); // writes really were in flight each round
    expect(lost).toEqual([]);
    return { acknowledged: acknowledged.length, unacknowledged };
  } finally {
    await last.kill9();
  }
}

describe('acknowledged writes survive kill -9', () => {
  let etcd: TestEtcd | undefined;
  afterAll(async () => {
    await etcd?.stop();
  });

  test(`SQLite, ${ROUNDS} rounds`, async () => {
    await killNineRounds(async () => ({}));
  }, 600_000);

  test(`etcd, ${ROUNDS} rounds`, async () => {
    etcd = await startTestEtcd();
    const e = etcd;
    await killNineRounds(async () => ({
      args: [
        '--store',
        'etcd',
        '--etcd-endpoints',
        e.endpoint,
        '--etcd-cafile',
        e.caFile,
        '--etcd-certfile',
        e.certFile,
        '--etcd-keyfile',
        e.keyFile,
      ],
    }));
  }, 600_000);
});
