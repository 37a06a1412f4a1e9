// The v3 API under load, on SQLite and on etcd, side by side in one run: GET one user, list
// 10,000 users in pages, and creates per second; with the store called directly as the baseline
// for what the HTTPS API layer adds. Usage: npm run bench:api [-- users]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from '../src/kube/binaries.js';
import { startEtcd } from '../src/localcluster/etcd.js';
import { stopProcess } from '../src/localcluster/processes.js';
import { createCA, issueCertificate, writeCertificate } from '../src/pki/index.js';
import { hashPassword } from '../src/server/auth/passwords.js';
import { openStore, type StoreConfig } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { benchAdmin, ms, pct, startBenchServer } from './lib/harness.js';

const USERS = Number(process.argv[2] ?? 10_000);
const GETS = 3000;
const CREATES = 1000;

async function seedUsers(store: Store): Promise<string> {
  // One real argon2id hash reused: the benchmark measures the API, not password hashing.
  const passwordHash = await hashPassword('bench-user-password');
  let firstId = '';
  for (let i = 0; i < USERS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, USERS - i) }, (_, j) => {
        const id = `u-b${String(i + j).padStart(6, '0')}`;
        if (!firstId) firstId = id;
        return store.create({
          type: 'user',
          id,
          metadata: { name: id },
          spec: {
            username: `bench-${i + j}`,
            name: '',
            enabled: true,
            mustChangePassword: false,
            passwordHash,
            principalIds: [`local://${id}`],
          },
        });
      }),
    );
  }
  return firstId;
}

async function measure(name: string, config: StoreConfig, storeArgs: string[], dataDir: string) {
  const store = await openStore(config);
  const t0 = performance.now();
  const firstUser = await seedUsers(store);
  process.stderr.write(`${name}: seeded ${USERS} users in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  // Baseline: the store itself, in process.
  const direct: number[] = [];
  for (let i = 0; i < GETS; i++) {
    const s = performance.now();
    await store.get('user', firstUser);
    direct.push(performance.now() - s);
  }
  await store.close();

  const server = await startBenchServer(dataDir, undefined, storeArgs);
  try {
    const { api } = await benchAdmin(server);

    for (let i = 0; i < 200; i++) await api.call('GET', `/v3/users/${firstUser}`); // warm up
    const gets: number[] = [];
    for (let i = 0; i < GETS; i++) {
      const s = performance.now();
      const r = await api.call('GET', `/v3/users/${firstUser}`);
      gets.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
    }

    const pages: number[] = [];
    const listStart = performance.now();
    let next: string | undefined = '/v3/users?limit=1000';
    type Page = { json: { data: unknown[]; pagination: { next?: string } } };
    let listed = 0;
    while (next) {
      const s = performance.now();
      const r: Page = await api.call('GET', next);
      pages.push(performance.now() - s);
      listed += r.json.data.length;
      next = r.json.pagination.next;
    }
    const listMs = performance.now() - listStart;

    const creates: number[] = [];
    const createStart = performance.now();
    const queue = Array.from({ length: CREATES }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const s = performance.now();
          const r = await api.call('POST', '/v3/globalRoles', { name: `bench-${i}`, rules: [] });
          creates.push(performance.now() - s);
          if (r.status !== 201) throw new Error(`create answered ${r.status}`);
        }
      }),
    );
    const createSeconds = (performance.now() - createStart) / 1000;
    return { name, direct, gets, pages, listMs, listed, creates, createsPerSecond: CREATES / createSeconds };
  } finally {
    await server.stop();
  }
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-api-'));
const results = [];
try {
  results.push(
    await measure('sqlite', { kind: 'sqlite', path: join(root, 'sqlite', 'corral.db') }, [], join(root, 'sqlite')),
  );

  const etcdDir = join(root, 'etcd');
  const ca = await createCA({ commonName: 'bench-etcd-ca' });
  const [server, clientCert] = await Promise.all([
    issueCertificate(ca, { commonName: 'etcd', usages: ['server', 'client'], altNames: ['127.0.0.1', 'localhost'] }),
    issueCertificate(ca, { commonName: 'bench', usages: ['client'] }),
  ]);
  const p = (n: string) => ({ cert: join(etcdDir, 'pki', `${n}.crt`), key: join(etcdDir, 'pki', `${n}.key`) });
  await Promise.all([
    writeCertificate(ca, p('ca')),
    writeCertificate(server, p('server')),
    writeCertificate(clientCert, p('client')),
  ]);
  const etcd = await startEtcd({
    dir: etcdDir,
    binary: await binaryPath('etcd'),
    ca: p('ca'),
    server: p('server'),
    client: p('client'),
  });
  try {
    const files = { caFile: p('ca').cert, certFile: p('client').cert, keyFile: p('client').key };
    results.push(
      await measure(
        'etcd',
        { kind: 'etcd', endpoints: [etcd.endpoint], ...files },
        [
          '--store',
          'etcd',
          '--etcd-endpoints',
          etcd.endpoint,
          '--etcd-cafile',
          files.caFile,
          '--etcd-certfile',
          files.certFile,
          '--etcd-keyfile',
          files.keyFile,
        ],
        join(root, 'etcd-server'),
      ),
    );
  } finally {
    await stopProcess(etcd.process);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

console.log(`\nv3 API, ${USERS} users, HTTPS keep-alive from one client (2-core machine)`);
console.log(
  'store    store.get p50/p99     GET /v3/users/<id> p50/p99   API/store p50   list all (pages of 1000)   page p50/p99          creates/s (8 in flight)  create p50/p99',
);
for (const r of results) {
  console.log(
    [
      r.name.padEnd(9),
      `${ms(pct(r.direct, 50))} / ${ms(pct(r.direct, 99))}`.padEnd(22),
      `${ms(pct(r.gets, 50))} / ${ms(pct(r.gets, 99))}`.padEnd(29),
      `${(pct(r.gets, 50) / pct(r.direct, 50)).toFixed(1)}x`.padEnd(16),
      `${ms(r.listMs)} (${r.listed} users)`.padEnd(27),
      `${ms(pct(r.pages, 50))} / ${ms(pct(r.pages, 99))}`.padEnd(22),
      `${r.createsPerSecond.toFixed(0)}`.padEnd(25),
      `${ms(pct(r.creates, 50))} / ${ms(pct(r.creates, 99))}`,
    ].join(''),
  );
}
const sqliteP99 = pct(results[0]!.gets, 99);
console.log(`\nSQLite GET p99 ${ms(sqliteP99)} against the 5 ms aim: ${(sqliteP99 / 5).toFixed(2)}x of the budget`);
const etcdRun = results.find((r) => r.name === 'etcd');
if (etcdRun) {
  // Exact identity costs one etcd round trip per request (the revision check in hot-objects.ts):
  // the API's floor is the store's own round trip.
  const p99 = pct(etcdRun.gets, 99);
  console.log(
    `etcd GET p99 ${ms(p99)} against the 2 ms aim: ${(p99 / 2).toFixed(2)}x of the budget; ` +
      `${(p99 / pct(etcdRun.direct, 99)).toFixed(2)}x one store.get's p99`,
  );
}
