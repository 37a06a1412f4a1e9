import type { Store, StoredObject } from '../../store/types.js';
import type { PolicyRule } from '../authz/policy-rule.js';
import type { ClusterConnections } from '../clusters/connections.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { TypeDef } from '../../schema/schema.js';
import type { Registry } from '../controllers/kit/metrics.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import type { MonitoringController } from '../monitoring/controller.js';

export interface AuthInfo {
  user: StoredObject;
  /** The token that authenticated this request (API key or session). */
  token: StoredObject;
  /** How the credential arrived: cookie-authenticated requests need the CSRF header. */
  via: 'bearer' | 'basic' | 'cookie';
}

/** Everything a v3 handler needs about the request and the server. */
export interface ApiContext {
  store: Store;
  auth: AuthInfo;
  /** The caller's rules from their global roles. */
  rules: PolicyRule[];
  baseUrl: string;
  /** Whether the caller's global roles allow `verb` on the type (optionally one object by id). */
  can(verb: string, schema: TypeDef, id?: string): boolean;
  settings: SettingsReader;
  remoteAddress: string;
  /** The request's query parameters (e.g. DELETE ?force=true). */
  query: URLSearchParams;
  /** Cluster role templates the caller holds, per cluster id (from clusterRoleTemplateBindings). */
  memberships: Map<string, Set<string>>;
  /** Project role templates the caller holds, per project id (c-xxxxx:p-xxxxx). */
  projectMemberships: Map<string, Set<string>>;
  services: ServerServices;
}

/** Long-lived parts of the server that type behaviours use. */
export interface ServerServices {
  secretBox: SecretBox;
  connections: ClusterConnections;
  /** PEM of the CA clients should trust ('' with a public certificate). */
  caPem: string;
  /** Waits until no projects reconcile is writing into the cluster. */
  settleProjects(clusterId: string): Promise<void>;
  /** The controllers' series (queue depth, retries, reconciles, durations), rendered at /metrics. */
  controllerMetrics?: Registry;
  /** The server's data folder (git catalogs are checked out under it). */
  dataDir: string;
  /** Catalog templates kept in memory on every replica (an app's "upgrade available"). */
  templates?: StoreInformer;
  /** The Prometheus processes of the monitored clusters this replica owns (graphs read them). */
  monitoring?: MonitoringController;
}

export interface SettingsReader {
  get(name: string): Promise<string>;
  getInt(name: string): Promise<number>;
}

/**
 * What a type does beyond generic CRUD. Every hook is optional; the collection handler does the
 * rest (validation, authorization, rendering, paging).
 */
export interface TypeBehavior {
  /** Builds the object to store from validated fields; default: fields as spec. */
  prepareCreate?(
    fields: Record<string, unknown>,
    ctx: ApiContext,
  ): Promise<{
    id?: string;
    spec: Record<string, unknown>;
    status?: Record<string, unknown>;
    labels?: Record<string, string>;
    /** Shown in the create response only (a token's secret); never stored. */
    responseExtra?: Record<string, unknown>;
  }>;
  /** Replaces the generic create entirely (users: username claim, password hash, default roles). */
  create?(fields: Record<string, unknown>, ctx: ApiContext, labels: Record<string, string>): Promise<StoredObject>;
  /** Runs after the object is stored; may return extra fields for the response (a token's secret). */
  afterCreate?(obj: StoredObject, ctx: ApiContext): Promise<Record<string, unknown> | void>;
  /** Checks and adjusts an update; returns the new spec. */
  prepareUpdate?(
    existing: StoredObject,
    fields: Record<string, unknown>,
    ctx: ApiContext,
  ): Promise<Record<string, unknown>>;
  beforeDelete?(existing: StoredObject, ctx: ApiContext): Promise<void>;
  afterDelete?(existing: StoredObject, ctx: ApiContext): Promise<void>;
  /**
   * Access a caller has to an object by ownership, beyond their global roles (their own user,
   * their own tokens). Checked only when the global roles say no.
   */
  ownerAllows?(verb: string, obj: StoredObject, ctx: ApiContext): boolean;
  /** When the caller may not list the type, the objects they still see (their own). */
  ownListFilter?(ctx: ApiContext): ((obj: StoredObject) => boolean) | undefined;
  /** Label selector narrowing an own-list query, for the store to use an index. */
  ownListSelector?(ctx: ApiContext): string | undefined;
  /** Fields computed per caller at render time (`me` on users, `current` on tokens). */
  renderExtra?(obj: StoredObject, ctx: ApiContext): Record<string, unknown>;
  resourceActions?: Record<
    string,
    (
      obj: StoredObject,
      input: Record<string, unknown>,
      ctx: ApiContext,
    ) => Promise<StoredObject | Record<string, unknown> | void>
  >;
  collectionActions?: Record<
    string,
    (input: Record<string, unknown>, ctx: ApiContext) => Promise<Record<string, unknown> | ActionReply | void>
  >;
  /** Serve GET of a single object by computing it (settings with defaults, principals). */
  get?(id: string, ctx: ApiContext): Promise<StoredObject>;
  /** Serve the collection by computing it. */
  list?(ctx: ApiContext): Promise<StoredObject[]>;
}

/** An action's answer that also sets response headers (logout clears the session cookies). */
export class ActionReply {
  constructor(
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string | string[]>,
  ) {}
}
