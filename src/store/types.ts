/**
 * The Store: where the server keeps its own objects. One interface, two backends (SQLite and
 * etcd) that pass the same conformance suite (conformance.ts).
 */

export interface ObjectMeta {
  /** Last segment of the id (Rancher ids like `u-abc12`, or `p-xyz12` for `c-abc12:p-xyz12`). */
  name: string;
  /** For namespaced ids (`c-abc12:p-xyz12`): the part before the colon. */
  namespace?: string;
  /** On create: a prefix; the store appends 5 random [a-z0-9] characters to make name and id. */
  generateName?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The backend's own revision as a decimal string (SQLite sequence, etcd mod_revision). */
  resourceVersion: string;
  uid: string;
  creationTimestamp: string;
  deletionTimestamp?: string;
  finalizers: string[];
}

export interface StoredObject<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  /** The v3 type in its singular schema id, e.g. `user`, `token`, `globalRoleBinding`. */
  type: string;
  /** Unique per type. `<namespace>:<name>` when namespaced, else the name. */
  id: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

/** What create() takes: metadata fields the store fills in are optional. */
export interface NewObject<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  type: string;
  /** Omit together with metadata.name when metadata.generateName is set. */
  id?: string;
  metadata: Partial<ObjectMeta> & ({ name: string } | { generateName: string });
  spec: Spec;
  status?: Status;
}

export interface ListOptions {
  /** Kubernetes label selector syntax: `a=b,c!=d,e in (f,g),h notin (i),j,!k`. */
  labelSelector?: string;
  /** Only objects whose id starts with `<namespace>:`. */
  namespace?: string;
  /** Page size; 0 or undefined means everything. */
  limit?: number;
  /** Opaque token from a previous page's `continue`. */
  continue?: string;
}

export interface ListResult<T = StoredObject> {
  items: T[];
  /** Present when more items follow. */
  continue?: string;
  /** The store revision the list was read at; watch from it to see every later change. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T = StoredObject> {
  type: WatchEventType;
  /** For DELETED, the object as it was last, with the resourceVersion of the deletion. */
  object: T;
}

export interface WatchOptions {
  /** Only this type; all types when omitted. */
  type?: string;
  /**
   * Deliver every change after this revision, in order, without gaps. Omitted: changes from now.
   * A revision older than the retained history rejects with StoreError code 'Gone' (HTTP 410).
   */
  resourceVersion?: string;
  signal?: AbortSignal;
}

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Invalid' | 'Unavailable';

export const STORE_ERROR_STATUS: Record<StoreErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Invalid: 422,
  Unavailable: 503,
};

export class StoreError extends Error {
  readonly status: number;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
    this.status = STORE_ERROR_STATUS[code];
  }
}

export interface Store {
  /** Rejects with StoreError 'NotFound' when absent. */
  get(type: string, id: string): Promise<StoredObject>;
  list(type: string, options?: ListOptions): Promise<ListResult>;
  /** Rejects with 'AlreadyExists' if the id is taken. Fills uid, creationTimestamp, resourceVersion. */
  create(object: NewObject): Promise<StoredObject>;
  /**
   * Compare-and-swap on metadata.resourceVersion: rejects with 'Conflict' when it is not the
   * current one. uid and creationTimestamp cannot change. Removing the last finalizer of an object
   * with a deletionTimestamp deletes it (the returned object is then the deleted one).
   */
  update(object: StoredObject): Promise<StoredObject>;
  /**
   * Deletes now if the object has no finalizers; otherwise sets deletionTimestamp (once) and
   * returns the object, which goes when its last finalizer is removed. `resourceVersion`, when
   * given, is a precondition ('Conflict' if stale).
   */
  delete(type: string, id: string, options?: { resourceVersion?: string }): Promise<StoredObject>;
  /** Changes in revision order; the iterator ends when `signal` aborts or close() is called. */
  watch(options?: WatchOptions): AsyncIterable<WatchEvent>;
  /** The store's current revision. */
  currentRevision(): Promise<string>;
  close(): Promise<void>;
}

export interface LeaderCallbacks {
  /** Called when this replica becomes leader; `signal` aborts when leadership is lost or stop() runs. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership is lost (lease expired, store unreachable) or given up by stop(). */
  onStoppedLeading?(): void;
}

/**
 * Leader election among server replicas sharing a store: only the leader runs controllers.
 * With SQLite there is one replica and it always leads.
 */
export interface LeaderElector {
  /** Starts campaigning in the background; returns at once. */
  start(callbacks: LeaderCallbacks): void;
  isLeader(): boolean;
  /** Gives up leadership (releasing the lease, so another replica takes over at once) and stops. */
  stop(): Promise<void>;
}
