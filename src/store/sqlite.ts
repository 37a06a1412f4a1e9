/**
 * The embedded Store: one SQLite file through Node's built-in node:sqlite. Every write is one
 * transaction that appends to the events table, whose AUTOINCREMENT key is the store's revision
 * (and so every resourceVersion), and writes the object row. Watchers read the events table, so a
 * slow watcher costs no memory and falls behind only as far as the retained history allows.
 *
 * One process owns the file: watchers are woken by this process's own commits.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  alreadyExists,
  checkName,
  checkType,
  closedError,
  conflict,
  decodeObject,
  encodeObject,
  notFound,
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
  type WatchEventType,
  type WatchOptions,
} from './types.js';

export interface SqliteStoreOptions {
  /** The database file; its folder is created. `:memory:` for a throwaway store. */
  path: string;
  /** How many events watchers can resume from; older ones are deleted. Default 10,000. */
  historyLimit?: number;
}

const SCHEMA_VERSION = '1';
const DEFAULT_HISTORY_LIMIT = 10_000;
const WATCH_BATCH = 256;
const GENERATE_NAME_ATTEMPTS = 10;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS objects (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    resource_version INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (type, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS events (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    event TEXT NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_by_type ON events (type, revision);
  -- Every object's labels, so a list by label reads only the matching objects (a cluster's
  -- bindings, a user's tokens) instead of scanning the type. Kept in each write's transaction.
  CREATE TABLE IF NOT EXISTS labels (
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (type, key, value, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS labels_by_object ON labels (type, id);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

interface ObjectRow {
  resource_version: number;
  json: string;
}

interface EventRow {
  revision: number;
  event: WatchEventType;
  json: string;
}

function statements(db: DatabaseSync) {
  return {
    get: db.prepare('SELECT resource_version, json FROM objects WHERE type = ? AND id = ?'),
    insert: db.prepare('INSERT INTO objects (type, id, resource_version, json) VALUES (?, ?, ?, ?)'),
    update: db.prepare('UPDATE objects SET resource_version = ?, json = ? WHERE type = ? AND id = ?'),
    delete: db.prepare('DELETE FROM objects WHERE type = ? AND id = ?'),
    list: db.prepare('SELECT resource_version, json FROM objects WHERE type = ? AND id > ? ORDER BY id'),
    listRange: db.prepare(
      'SELECT resource_version, json FROM objects WHERE type = ? AND id > ? AND id >= ? AND id < ? ORDER BY id',
    ),
    // The objects with one label, through the label index, in id order.
    listLabel: db.prepare(
      'SELECT o.resource_version, o.json FROM labels l JOIN objects o ON o.type = l.type AND o.id = l.id ' +
        'WHERE l.type = ? AND l.key = ? AND l.value = ? AND l.id > ? ORDER BY l.id',
    ),
    listRangeLabel: db.prepare(
      'SELECT o.resource_version, o.json FROM labels l JOIN objects o ON o.type = l.type AND o.id = l.id ' +
        'WHERE l.type = ? AND l.key = ? AND l.value = ? AND l.id > ? AND l.id >= ? AND l.id < ? ORDER BY l.id',
    ),
    insertLabel: db.prepare('INSERT INTO labels (type, key, value, id) VALUES (?, ?, ?, ?)'),
    deleteLabels: db.prepare('DELETE FROM labels WHERE type = ? AND id = ?'),
    allObjects: db.prepare('SELECT type, id, resource_version, json FROM objects'),
    append: db.prepare('INSERT INTO events (type, id, event, json) VALUES (?, ?, ?, ?) RETURNING revision'),
    events: db.prepare('SELECT revision, event, json FROM events WHERE revision > ? ORDER BY revision LIMIT ?'),
    eventsOfType: db.prepare(
      'SELECT revision, event, json FROM events WHERE type = ? AND revision > ? ORDER BY revision LIMIT ?',
    ),
    compact: db.prepare('DELETE FROM events WHERE revision <= ?'),
    revision: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  } satisfies Record<string, StatementSync>;
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  return new SqliteStore(options);
}

export class SqliteStore implements Store {
  private readonly db: DatabaseSync;
  private readonly sql: ReturnType<typeof statements>;
  private readonly historyLimit: number;
  private revision: number;
  /** Events up to and including this revision are gone; watches must start at or after it. */
  private compacted: number;
  private closed = false;
  private readonly wakers = new Set<() => void>();

  constructor(options: SqliteStoreOptions) {
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(this.historyLimit) || this.historyLimit < 1) {
      throw new Error(`historyLimit must be a positive integer, got ${options.historyLimit}`);
    }
    this.db = new DatabaseSync(options.path);
    try {
      // WAL lets readers run beside the writer; synchronous=FULL fsyncs the WAL at every commit,
      // so an acknowledged write survives a crash or power loss (NORMAL may lose the last ones).
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
      this.db.exec(SCHEMA);
      this.sql = statements(this.db);
      const version = this.meta('schema');
      if (version === undefined) this.sql.setMeta.run('schema', SCHEMA_VERSION);
      else if (version !== SCHEMA_VERSION) {
        throw new Error(
          `${options.path} has store schema ${version}, this Corral expects ${SCHEMA_VERSION}: ` +
            `use the Corral version that wrote it`,
        );
      }
      this.revision = Number((this.sql.revision.get() as { seq: number } | undefined)?.seq ?? 0);
      this.backfillLabels();
      this.compacted = Number(this.meta('compacted') ?? 0);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async get(type: string, id: string): Promise<StoredObject> {
    this.ensureOpen();
    return this.read(type, id);
  }

  async list(type: string, options?: ListOptions): Promise<ListResult> {
    this.ensureOpen();
    checkType(type);
    const query = parseListOptions(options);
    const after = query.continueFrom?.after ?? '';
    // One statement, stepped synchronously: the page is read from one snapshot.
    const label = query.label;
    // ';' follows ':' in every collation order, so [ns:, ns;) is exactly the namespace.
    const range =
      query.namespace === undefined
        ? undefined
        : [`${checkName('namespace', query.namespace)}:`, `${query.namespace};`];
    const rows = label
      ? range
        ? this.sql.listRangeLabel.iterate(type, label.key, label.value, after, ...range)
        : this.sql.listLabel.iterate(type, label.key, label.value, after)
      : range
        ? this.sql.listRange.iterate(type, after, ...range)
        : this.sql.list.iterate(type, after);
    const page = new PageCollector(query);
    for (const row of rows as Iterable<ObjectRow>) {
      if (page.offer(decodeObject(row.json, String(row.resource_version)))) break;
    }
    const token = page.continueToken();
    return { items: page.items, ...(token && { continue: token }), resourceVersion: String(this.revision) };
  }

  async create(input: NewObject): Promise<StoredObject> {
    this.ensureOpen();
    for (let attempt = 1; ; attempt++) {
      const object = prepareCreate(input);
      if (this.sql.get.get(object.type, object.id)) {
        if (usesGenerateName(input) && attempt < GENERATE_NAME_ATTEMPTS) continue;
        throw alreadyExists(object.type, object.id);
      }
      const json = encodeObject(object);
      const revision = this.write(object.type, object.id, 'ADDED', json, object.metadata.labels, (rev) =>
        this.sql.insert.run(object.type, object.id, rev, json),
      );
      return withResourceVersion(object, revision);
    }
  }

  async update(next: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    checkType(next.type);
    const given = parseRevision(next.metadata?.resourceVersion);
    // No await from this read to the write: nothing else can run in between, so the
    // compare-and-swap needs no lock.
    const current = this.read(next.type, next.id);
    if (BigInt(current.metadata.resourceVersion) !== given) {
      throw conflict(next.type, next.id, String(given), current.metadata.resourceVersion);
    }
    const plan = planUpdate(current, next);
    if (plan.action === 'none') return current;
    return withResourceVersion(plan.object, this.apply(plan.action, current, plan.object));
  }

  async delete(type: string, id: string, options: { resourceVersion?: string } = {}): Promise<StoredObject> {
    this.ensureOpen();
    const current = this.read(type, id);
    if (options.resourceVersion !== undefined) {
      const given = parseRevision(options.resourceVersion);
      if (BigInt(current.metadata.resourceVersion) !== given) {
        throw conflict(type, id, String(given), current.metadata.resourceVersion);
      }
    }
    const plan = planDelete(current);
    if (plan.action === 'none') return current;
    return withResourceVersion(plan.object, this.apply(plan.action, current, plan.object));
  }

  watch(options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    // "From now" means from this call, not from the first next().
    return this.events(options, options.resourceVersion ?? String(this.revision));
  }

  async currentRevision(): Promise<string> {
    this.ensureOpen();
    return String(this.revision);
  }

  /** Drops the event history up to `revision` (default: all of it), as if it had aged out. */
  async compact(revision = this.revision): Promise<void> {
    this.ensureOpen();
    const upTo = Math.min(revision, this.revision);
    if (upTo <= this.compacted) return;
    this.transaction(() => {
      this.sql.compact.run(upTo);
      this.sql.setMeta.run('compacted', String(upTo));
    });
    this.compacted = upTo;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.db.close();
  }

  private apply(action: 'write' | 'delete', current: StoredObject, next: StoredObject): string {
    const { type, id } = current;
    if (action === 'delete') {
      // The DELETED event carries the object as it was last stored, as etcd's previous value does.
      return this.write(type, id, 'DELETED', encodeObject(current), undefined, () => this.sql.delete.run(type, id));
    }
    const json = encodeObject(next);
    return this.write(type, id, 'MODIFIED', json, next.metadata.labels, (rev) =>
      this.sql.update.run(rev, json, type, id),
    );
  }

  /** Appends the event and changes the row in one transaction; returns the new revision. */
  private write(
    type: string,
    id: string,
    event: WatchEventType,
    json: string,
    /** The labels the object has after the write; none when it is deleted. */
    labels: Record<string, string> | undefined,
    change: (rev: number) => void,
  ) {
    let compactTo: number | undefined;
    const revision = this.transaction(() => {
      const { revision: rev } = this.sql.append.get(type, id, event, json) as { revision: number };
      change(rev);
      this.indexLabels(type, id, labels);
      // Compact in steps of a tenth of the history, not at every write.
      if (rev - this.compacted > this.historyLimit + Math.max(1, Math.floor(this.historyLimit / 10))) {
        compactTo = rev - this.historyLimit;
        this.sql.compact.run(compactTo);
        this.sql.setMeta.run('compacted', String(compactTo));
      }
      return rev;
    });
    this.revision = revision;
    if (compactTo !== undefined) this.compacted = compactTo;
    this.wake();
    return String(revision);
  }

  private indexLabels(type: string, id: string, labels: Record<string, string> | undefined): void {
    this.sql.deleteLabels.run(type, id);
    for (const [key, value] of Object.entries(labels ?? {})) this.sql.insertLabel.run(type, key, value, id);
  }

  /** Fills the label index of a store written before it existed (once; it is kept from then on). */
  private backfillLabels(): void {
    if (this.meta('labels') === '1') return;
    this.transaction(() => {
      for (const row of this.sql.allObjects.iterate() as Iterable<ObjectRow & { type: string; id: string }>) {
        const object = decodeObject(row.json, String(row.resource_version));
        this.indexLabels(row.type, row.id, object.metadata.labels);
      }
      this.sql.setMeta.run('labels', '1');
    });
  }

  private transaction<T>(body: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private async *events(options: WatchOptions, from: string): AsyncGenerator<WatchEvent> {
    this.ensureOpen();
    const { type, signal } = options;
    if (type !== undefined) checkType(type);
    let last = Number(parseRevision(from));
    while (!this.closed && !signal?.aborted) {
      if (last < this.compacted) {
        throw new StoreError(
          'Gone',
          `cannot watch from resourceVersion ${last}: history up to ${this.compacted} was compacted; ` +
            `list again and watch from the list's resourceVersion`,
        );
      }
      const readAt = this.revision;
      const rows = (type === undefined
        ? this.sql.events.all(last, WATCH_BATCH)
        : this.sql.eventsOfType.all(type, last, WATCH_BATCH)) as unknown as EventRow[];
      for (const row of rows) {
        if (this.closed || signal?.aborted) return;
        last = row.revision;
        yield { type: row.event, object: decodeObject(row.json, String(row.revision)) };
      }
      if (rows.length === WATCH_BATCH) continue;
      // Fewer than a batch: every matching event up to readAt has been delivered. Moving past it
      // keeps a watcher of a quiet type from falling behind the compaction of other types' events.
      last = Math.max(last, readAt);
      if (this.revision <= last) await this.nextWrite(signal);
    }
  }

  /** Resolves at the next commit, on abort, or on close. */
  private nextWrite(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }

  private read(type: string, id: string): StoredObject {
    const row = this.sql.get.get(type, id) as ObjectRow | undefined;
    if (!row) throw notFound(type, id);
    return decodeObject(row.json, String(row.resource_version));
  }

  private meta(key: string): string | undefined {
    return (this.sql.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError();
  }
}
