/** Opening the configured Store backend, and its leader elector. */
import { readFile } from 'node:fs/promises';
import { SingleLeaderElector } from './leader.js';
import { openSqliteStore } from './sqlite.js';
import type { LeaderElector, Store } from './types.js';

export * from './types.js';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite.js';
// etcd's module is not re-exported as values: importing it loads the etcd client. Import
// './etcd.js' directly where it is needed.
export type { EtcdConnectionOptions, EtcdLeaderElectorOptions, EtcdStoreOptions } from './etcd.js';
export { SingleLeaderElector } from './leader.js';
export { matchesLabels, parseLabelSelector, type LabelSelector } from './label-selector.js';

export type StoreConfig =
  | { kind: 'sqlite'; path: string; historyLimit?: number }
  | {
      kind: 'etcd';
      endpoints: string[];
      /** Paths of PEM files: the CA that signed etcd's certificate, and this client's certificate and key. */
      caFile?: string;
      certFile?: string;
      keyFile?: string;
      prefix?: string;
    };

export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStore({ path: config.path, historyLimit: config.historyLimit });
    case 'etcd': {
      const [ca, cert, key] = await Promise.all([
        readPem('CA certificate', config.caFile),
        readPem('client certificate', config.certFile),
        readPem('client key', config.keyFile),
      ]);
      // Loaded only when asked for: the etcd client (gRPC, protobuf) takes longer to load than
      // the whole server does to start on SQLite.
      const { openEtcdStore } = await import('./etcd.js');
      return openEtcdStore({ endpoints: config.endpoints, ca, cert, key, prefix: config.prefix });
    }
  }
}

async function readPem(what: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the etcd ${what} from ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export interface LeaderElectorOptions {
  /** Replicas with the same name elect one leader among them. */
  name: string;
  ttlSeconds?: number;
  identity?: string;
  onError?: (err: unknown) => void;
}

/** Leader election fitting the store: etcd elects among replicas; SQLite has one, which leads. */
export function createLeaderElector(store: Store, options: LeaderElectorOptions): LeaderElector {
  if (isEtcdStore(store)) {
    const { name, ...rest } = options;
    return store.leaderElector(name, rest);
  }
  return new SingleLeaderElector();
}

/** Duck-typed, so that checking does not load the etcd module. */
function isEtcdStore(store: Store): store is import('./etcd.js').EtcdStore {
  return typeof (store as { leaderElector?: unknown }).leaderElector === 'function';
}
