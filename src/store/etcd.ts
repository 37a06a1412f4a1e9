/**
 * The HA Store: objects in etcd under `<prefix>/<type>/<id>`, as JSON without resourceVersion,
 * which is the key's mod_revision. Every write is one etcd transaction guarded by a revision
 * compare, so several server replicas can share one etcd.
 */
import { CompareResult, CompareTarget, type Etcd3, type ICompare, type IKeyValue, type IRequestOp } from 'etcd3';
import { connectEtcd, storeErrorFrom, type EtcdConnectionOptions } from './etcd-client.js';
import { EtcdLeaderElector, type EtcdLeaderElectorOptions } from './etcd-leader.js';
import { watchEtcd } from './etcd-watch.js';
import {
  alreadyExists,
  checkName,
  checkType,
  closedError,
  conflict,
  decodeObject,
  encodeObject,
  notFound,
  parseId,
  parseRevision,
  planDelete,
  planUpdate,
  prepareCreate,
  usesGenerateName,
  withResourceVersion,
} from './objects.js';
import { PageCollector, parseListOptions } from './paging.js';
import {
  StoreError,
  type ListOptions,
  type ListResult,
  type NewObject,
  type Store,
  type StoredObject,
  type WatchEvent,
  type WatchOptions,
} from './types.js';

export { EtcdLeaderElector, type EtcdLeaderElectorOptions } from './etcd-leader.js';
export { connectEtcd, type EtcdConnectionOptions } from './etcd-client.js';

export interface EtcdStoreOptions extends EtcdConnectionOptions {
  /** Key prefix of every object; several Corral installations can share an etcd. Default `/corral`. */
  prefix?: string;
}

const DEFAULT_PREFIX = '/corral';
const GENERATE_NAME_ATTEMPTS = 10;
// delete() re-plans when the object changes under it; a busy object makes it give up eventually.
const DELETE_ATTEMPTS = 10;
const MAX_LIST_BATCH = 1_000;

/** Connects and checks that etcd answers, so a wrong endpoint or certificate fails here. */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const client = connectEtcd(options);
  const store = new EtcdStore(client, options.prefix ?? DEFAULT_PREFIX);
  try {
    await store.currentRevision();
  } catch (err) {
    client.close();
    const message = err instanceof Error ? err.message : String(err);
    throw new StoreError(
      'Unavailable',
      `cannot reach etcd at ${options.endpoints.join(', ')}: ${message}. ` +
        `Check the endpoints and that the CA, certificate and key are the ones etcd trusts`,
    );
  }
  return store;
}

const bytes = (s: string) => Buffer.from(s, 'utf8');

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const modRevisionIs = (key: Buffer, revision: bigint | string): ICompare => ({
  key,
  target: CompareTarget.Mod,
  result: CompareResult.Equal,
  mod_revision: revision.toString(),
});

export class EtcdStore implements Store {
  readonly prefix: string;
  private readonly closing = new AbortController();
  private readonly electors = new Set<EtcdLeaderElector>();

  constructor(
    /** The etcd client; the store closes it. */
    readonly client: Etcd3,
    prefix = DEFAULT_PREFIX,
  ) {
    this.prefix = prefix.replace(/\/+$/, '');
    if (this.prefix === '' || /\s/.test(this.prefix)) {
      throw new Error(`etcd key prefix "${prefix}" must be non-empty without whitespace, e.g. /corral`);
    }
  }

  async get(type: string, id: string): Promise<StoredObject> {
    this.ensureOpen();
    const kv = await this.read(type, id);
    if (!kv) throw notFound(type, id);
    return this.decode(kv);
  }

  async list(type: string, options?: ListOptions): Promise<ListResult> {
    this.ensureOpen();
    checkType(type);
    const query = parseListOptions(options);
    const base = bytes(
      this.typePrefix(type) + (query.namespace === undefined ? '' : `${checkName('namespace', query.namespace)}:`),
    );
    const end = prefixEnd(base);
    const after = query.continueFrom && bytes(this.typePrefix(type) + query.continueFrom.after);
    let start = after && Buffer.compare(after, base) >= 0 ? Buffer.concat([after, Buffer.from([0])]) : base;
    // Every page of one listing is read at the revision of its first page: a consistent snapshot.
    let revision = query.continueFrom?.revision;
    const page = new PageCollector(query);
    let batch = query.limit > 0 ? query.limit + 1 : 0;
    for (;;) {
      const res = await this.call('listing', () =>
        this.client.kv.range({ key: start, range_end: end, limit: batch, revision: revision ?? 0 }),
      ).catch((err: unknown) => {
        if (!(err instanceof StoreError) || err.code !== 'Gone') throw err;
        throw new StoreError(
          'Gone',
          `the continue token's revision ${revision} was compacted in etcd: list again from the first page`,
        );
      });
      revision ??= res.header.revision;
      let full = false;
      for (const kv of res.kvs) {
        if ((full = page.offer(this.decode(kv)))) break;
      }
      const last = res.kvs[res.kvs.length - 1];
      if (full || !res.more || !last) break;
      start = Buffer.concat([last.key, Buffer.from([0])]);
      // A selector may skip most keys: read larger batches rather than many small ones.
      batch = Math.min(Math.max(batch * 2, query.limit + 1), MAX_LIST_BATCH);
    }
    const token = page.continueToken(revision);
    return { items: page.items, ...(token && { continue: token }), resourceVersion: revision };
  }

  async create(input: NewObject): Promise<StoredObject> {
    this.ensureOpen();
    for (let attempt = 1; ; attempt++) {
      const object = prepareCreate(input);
      const key = bytes(this.key(object.type, object.id));
      const res = await this.call(`creating ${object.type} "${object.id}"`, () =>
        this.client.kv.txn({
          compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
          success: [{ request_put: { key, value: bytes(encodeObject(object)) } }],
        }),
      );
      if (res.succeeded) return withResourceVersion(object, res.header.revision);
      if (!usesGenerateName(input) || attempt >= GENERATE_NAME_ATTEMPTS) throw alreadyExists(object.type, object.id);
    }
  }

  async update(next: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    checkType(next.type);
    const given = parseRevision(next.metadata?.resourceVersion);
    const current = await this.get(next.type, next.id);
    if (BigInt(current.metadata.resourceVersion) !== given) {
      throw conflict(next.type, next.id, given.toString(), current.metadata.resourceVersion);
    }
    const plan = planUpdate(current, next);
    if (plan.action === 'none') return current;
    const revision = await this.commit(current, plan.action, plan.object);
    if (revision instanceof StoreError) throw revision;
    return withResourceVersion(plan.object, revision);
  }

  async delete(type: string, id: string, options: { resourceVersion?: string } = {}): Promise<StoredObject> {
    this.ensureOpen();
    const given = options.resourceVersion === undefined ? undefined : parseRevision(options.resourceVersion);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(type, id);
      if (given !== undefined && BigInt(current.metadata.resourceVersion) !== given) {
        throw conflict(type, id, given.toString(), current.metadata.resourceVersion);
      }
      const plan = planDelete(current);
      if (plan.action === 'none') return current;
      const revision = await this.commit(current, plan.action, plan.object);
      if (typeof revision === 'string') return withResourceVersion(plan.object, revision);
      // Changed since we read it: the caller's precondition, or retries, decide.
      if (revision.code === 'NotFound' || given !== undefined || attempt >= DELETE_ATTEMPTS) throw revision;
    }
  }

  watch(options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    // "From now" means from this call: ask for the revision at once, not at the first next().
    const from =
      options.resourceVersion === undefined ? this.currentRevision() : Promise.resolve(options.resourceVersion);
    from.catch(() => undefined);
    return this.events(options, from);
  }

  async currentRevision(): Promise<string> {
    this.ensureOpen();
    const res = await this.call('reading the current revision', () =>
      this.client.kv.range({ key: bytes(`${this.prefix}/`), count_only: true }),
    );
    return res.header.revision;
  }

  /**
   * Compacts etcd's history up to `revision` (default: the current one): watches and continue
   * tokens from before it get 'Gone'. Compaction is etcd-wide, not limited to this prefix.
   */
  async compact(revision?: string): Promise<void> {
    this.ensureOpen();
    const upTo = revision ?? (await this.currentRevision());
    await this.call('compacting', () => this.client.kv.compact({ revision: upTo, physical: true }));
  }

  /**
   * A leader elector on this store's etcd; the election key lives beside the objects' prefix.
   * close() stops it, so that its lease is released rather than kept alive by a closed client.
   */
  leaderElector(name: string, options: Omit<EtcdLeaderElectorOptions, 'key'> = {}): EtcdLeaderElector {
    this.ensureOpen();
    checkName('election name', name);
    const elector = new EtcdLeaderElector(this.client, { ...options, key: `${this.prefix}-leader/${name}` });
    this.electors.add(elector);
    return elector;
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await Promise.all([...this.electors].map((e) => e.stop()));
    this.client.close();
  }

  /**
   * Writes `object` (or deletes the key) if it is still at current's revision. Returns the new
   * revision, or the StoreError saying why not (NotFound or Conflict) without throwing it.
   */
  private async commit(
    current: StoredObject,
    action: 'write' | 'delete',
    object: StoredObject,
  ): Promise<string | StoreError> {
    const { type, id } = current;
    const key = bytes(this.key(type, id));
    const op: IRequestOp =
      action === 'write'
        ? { request_put: { key, value: bytes(encodeObject(object)) } }
        : { request_delete_range: { key } };
    const res = await this.call(`writing ${type} "${id}"`, () =>
      this.client.kv.txn({
        compare: [modRevisionIs(key, current.metadata.resourceVersion)],
        success: [op],
        failure: [{ request_range: { key } }],
      }),
    );
    if (res.succeeded) return res.header.revision;
    const now = res.responses[0]?.response_range.kvs[0];
    return now ? conflict(type, id, current.metadata.resourceVersion, now.mod_revision) : notFound(type, id);
  }

  private async *events(options: WatchOptions, from: Promise<string>): AsyncGenerator<WatchEvent> {
    this.ensureOpen();
    if (options.type !== undefined) checkType(options.type);
    const key = bytes(options.type === undefined ? `${this.prefix}/` : this.typePrefix(options.type));
    let revision: string;
    try {
      revision = await from;
    } catch (err) {
      if (this.closing.signal.aborted) return;
      throw err;
    }
    const startRevision = parseRevision(revision) + 1n;
    const signals = [this.closing.signal, ...(options.signal ? [options.signal] : [])];
    yield* watchEtcd(this.client, {
      key,
      rangeEnd: prefixEnd(key),
      startRevision,
      signals,
      decode: (event) => {
        const revision = event.kv.mod_revision;
        if (event.type.toUpperCase() === 'DELETE') {
          const object = event.prev_kv ? this.decode(event.prev_kv) : this.tombstone(event.kv.key);
          return object && { type: 'DELETED', object: withResourceVersion(object, revision) };
        }
        const type = event.kv.create_revision === revision ? 'ADDED' : 'MODIFIED';
        return { type, object: this.decode(event.kv) };
      },
    });
  }

  private async read(type: string, id: string): Promise<IKeyValue | undefined> {
    const res = await this.call(`reading ${type} "${id}"`, () =>
      this.client.kv.range({ key: bytes(this.key(type, id)) }),
    );
    return res.kvs[0];
  }

  private decode(kv: IKeyValue): StoredObject {
    return decodeObject(kv.value.toString('utf8'), kv.mod_revision);
  }

  /** What a DELETED event carries when etcd no longer has the previous value (compacted). */
  private tombstone(key: Buffer): StoredObject | undefined {
    const rest = key.toString('utf8').slice(this.prefix.length + 1);
    const slash = rest.indexOf('/');
    if (slash < 0) return undefined;
    const id = rest.slice(slash + 1);
    const { namespace, name } = parseId(id);
    return {
      type: rest.slice(0, slash),
      id,
      metadata: {
        name,
        ...(namespace !== undefined && { namespace }),
        labels: {},
        annotations: {},
        resourceVersion: '',
        uid: '',
        creationTimestamp: '',
        finalizers: [],
      },
      spec: {},
      status: {},
    };
  }

  private typePrefix(type: string): string {
    return `${this.prefix}/${type}/`;
  }

  private key(type: string, id: string): string {
    return this.typePrefix(type) + id;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.closing.signal.aborted ? closedError() : storeErrorFrom(err, what);
    }
  }

  private ensureOpen(): void {
    if (this.closing.signal.aborted) throw closedError();
  }
}
