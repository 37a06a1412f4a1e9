import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { Store, StoredObject, WatchEvent } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import type { ClusterConnection, ClusterConnections } from '../clusters/connections.js';
import type { ClusterOwnership } from '../clusters/ownership.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import { K8sInformer } from '../controllers/kit/k8s-informer.js';
import { StoreInformer } from '../controllers/kit/store-informer.js';
import type { Registry } from '../controllers/kit/metrics.js';
import { AGENT_NAMESPACE } from '../clusters/manifest.js';
import { clusterBeingRemoved } from '../clusters/status-write.js';
import { CLUSTER_ID_LABEL } from '../clusters/memberships.js';
import type { Logger } from '../log.js';
import {
  CLUSTER_LABEL,
  desiredRbac,
  MANAGED_LABEL,
  type ClusterBinding,
  type KubeObject,
  type ProjectBinding,
  type Subject,
} from '../rbac/desired.js';
import { planChanges } from '../rbac/plan.js';
import {
  desiredQuotaObjects,
  namespaceQuota,
  usedLimit,
  type ContainerDefaultLimit,
  type RancherQuotaLimit,
} from '../rbac/quota.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { FollowerListener } from '../store-follower.js';
import { readSecretValues } from './secret-behavior.js';
import { desiredProjectSecrets, type ProjectSecretInfo } from './secrets-desired.js';
import { createObject, deleteObject, listManaged, replaceObject } from './downstream.js';
import { projectOf, PROJECT_ANNOTATION, PROJECT_LABEL_KEY, type KubeNamespace } from './namespaces.js';
import { templateInfos } from './templates.js';

const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', AGENT_NAMESPACE];
const WATCHED_TYPES = new Set([
  'project',
  'projectRoleTemplateBinding',
  'clusterRoleTemplateBinding',
  'cluster',
  'projectSecret',
]);

/** Store types a reconcile reads by cluster, from informers (roleTemplate: all of them). */
const CACHED_TYPES = [
  'project',
  'projectRoleTemplateBinding',
  'clusterRoleTemplateBinding',
  'projectSecret',
  'roleTemplate',
] as const;

const subjectOf = (spec: Record<string, unknown>): Subject | undefined =>
  spec.userId
    ? { kind: 'User', name: String(spec.userId) }
    : spec.groupPrincipalId
      ? { kind: 'Group', name: String(spec.groupPrincipalId) }
      : undefined;

export interface ProjectsDeps {
  store: Store;
  connections: ClusterConnections;
  ownership: ClusterOwnership;
  log: Logger;
  secretBox: SecretBox;
  registry?: Registry;
  resyncMs?: number;
}

/**
 * Makes the RBAC, quotas, limit ranges and project secrets of each cluster this replica owns
 * (see ClusterOwnership) match its projects and bindings. Level-triggered: any change (in the
 * store, to a namespace downstream, a connection or its owner) queues the cluster; a reconcile
 * reads everything it needs now, computes the desired objects, and applies the difference to
 * Corral's own (labelled) objects only. A resync queues every owned cluster regardless; a failed
 * reconcile backs off per cluster.
 */
export class ProjectsController implements FollowerListener {
  private readonly controller: Controller;
  private readonly namespaceInformers = new Map<string, { conn: ClusterConnection; informer: K8sInformer }>();
  private readonly reportedConflicts = new Map<string, string>();
  /** Reconcile count and last error per cluster, for tests and metrics. */
  readonly stats = new Map<string, { passes: number; lastError?: string }>();
  private readonly store: Store;
  private readonly connections: ClusterConnections;
  private readonly log: Logger;
  private readonly secretBox: SecretBox;
  /**
   * What a reconcile reads from the store, kept in memory and indexed by cluster: a reconcile per
   * cluster that lists whole tables costs O(clusters²) when a thousand clusters connect at once.
   */
  private readonly cached: Record<(typeof CACHED_TYPES)[number], StoreInformer>;

  constructor(private readonly deps: ProjectsDeps) {
    this.store = deps.store;
    this.connections = deps.connections;
    this.log = deps.log;
    this.secretBox = deps.secretBox;
    this.cached = Object.fromEntries(CACHED_TYPES.map((t) => [t, new StoreInformer(deps.store, t)])) as Record<
      (typeof CACHED_TYPES)[number],
      StoreInformer
    >;
    this.controller = defineController({
      name: 'projects',
      log: deps.log,
      registry: deps.registry,
      // Changes arrive as events (store, namespace informer, connections); the resync only repairs
      // drift nobody told us about (someone deleting Corral's RoleBinding downstream). A reconcile
      // lists about eight kinds, so at 2,000 clusters a 30 s resync alone was ~530 requests/s.
      resyncMs: deps.resyncMs ?? 600_000,
      resyncKeys: () => this.connections.ids(),
      maxConcurrent: 16,
      reconcile: async (clusterId) => {
        const stat = this.stats.get(clusterId) ?? { passes: 0 };
        this.stats.set(clusterId, stat);
        try {
          await this.reconcile(clusterId);
          stat.passes++;
          stat.lastError = undefined;
        } catch (err) {
          stat.lastError = String(err);
          throw err;
        }
      },
    });
  }

  /** Resolves once the store informers have listed (reconciles read them). */
  async start(): Promise<void> {
    await Promise.all(Object.values(this.cached).map((i) => i.start()));
    this.connections.on('change', this.follow);
    this.deps.ownership.on('change', this.follow);
    this.controller.start();
  }

  async stop(): Promise<void> {
    this.connections.off('change', this.follow);
    this.deps.ownership.off('change', this.follow);
    for (const { informer } of this.namespaceInformers.values()) informer.stop();
    this.namespaceInformers.clear();
    await this.controller.stop();
  }

  onEvent(event: WatchEvent): void {
    // The caches first, so the reconcile this event queues reads it.
    for (const informer of Object.values(this.cached)) informer.onEvent(event);
    const o = event.object;
    if (o.type === 'roleTemplate') {
      for (const id of this.connections.ids()) this.kick(id);
    } else if (WATCHED_TYPES.has(o.type)) {
      const clusterId =
        o.type === 'cluster' ? o.id : String(o.spec.clusterId ?? o.metadata.labels[CLUSTER_ID_LABEL] ?? '');
      if (clusterId) this.kick(clusterId);
    }
  }

  onReset(): void {
    for (const informer of Object.values(this.cached)) informer.onReset();
    for (const id of this.connections.ids()) this.kick(id);
  }

  /**
   * Keeps one namespace informer per owned connection: a namespace created, moved or deleted
   * downstream (by anyone) queues a reconcile.
   */
  private readonly follow = (clusterId: string) => {
    const conn = this.deps.ownership.owns(clusterId) ? this.connections.get(clusterId) : undefined;
    const current = this.namespaceInformers.get(clusterId);
    if (current?.conn !== conn) {
      current?.informer.stop();
      this.namespaceInformers.delete(clusterId);
      if (conn) {
        const informer = new K8sInformer(conn.upstream, {
          path: '/api/v1/namespaces',
          onFailure: (reason, _status, retryInMs) =>
            this.log.debug('namespace watch failed; backing off', { clusterId, error: reason, retryInMs }),
        });
        informer.on({
          onAdd: () => this.kick(clusterId),
          onUpdate: () => this.kick(clusterId),
          onDelete: () => this.kick(clusterId),
        });
        informer.start();
        this.namespaceInformers.set(clusterId, { conn, informer });
      }
      // A new connection or owner: a backoff earned by the old one does not apply.
      this.controller.retryNow(clusterId);
    } else this.kick(clusterId);
  };

  /** Resolves once no reconcile of the cluster is queued or running. */
  settle(clusterId: string): Promise<void> {
    return this.controller.settle(clusterId);
  }

  /** Queues a reconcile of the cluster (once, however often it is asked for meanwhile). */
  kick(clusterId: string): void {
    this.controller.enqueue(clusterId);
  }

  private async ensureSystemProjects(cluster: StoredObject, projects: StoredObject[]): Promise<StoredObject[]> {
    const out = [...projects];
    for (const name of ['Default', 'System']) {
      if (projects.some((p) => p.status.system === true && p.spec.name === name)) continue;
      const id = `${cluster.id}:p-${name.toLowerCase()}`;
      try {
        const created = await this.store.create({
          type: 'project',
          id,
          metadata: { name: id.split(':')[1]!, namespace: cluster.id, labels: { [CLUSTER_ID_LABEL]: cluster.id } },
          spec: { name, description: `${name} project of ${String(cluster.spec.name)}`, clusterId: cluster.id },
          status: { system: true },
        });
        out.push(created);
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'AlreadyExists')) throw err;
        // Created by an earlier pass whose event has not reached the cache yet.
        out.push(await this.store.get('project', id));
      }
    }
    return out;
  }

  private async reconcile(clusterId: string): Promise<void> {
    const conn = this.connections.get(clusterId);
    if (!conn || !this.deps.ownership.owns(clusterId)) return;
    const cluster = await this.store.get('cluster', clusterId);
    if (clusterBeingRemoved(cluster)) return;
    const ofCluster = (
      type: 'project' | 'projectRoleTemplateBinding' | 'clusterRoleTemplateBinding' | 'projectSecret',
    ) => this.cached[type].cache.withLabel(CLUSTER_ID_LABEL, clusterId);
    const [stored, prtbs, crtbs, projectSecrets] = [
      ofCluster('project'),
      ofCluster('projectRoleTemplateBinding'),
      ofCluster('clusterRoleTemplateBinding'),
      ofCluster('projectSecret'),
    ];
    const templates = templateInfos(this.cached.roleTemplate.cache.list());
    const projects = await this.ensureSystemProjects(cluster, stored);
    const byName = (name: string) => projects.find((p) => p.status.system === true && p.spec.name === name)!.id;

    // The Default and System projects take the namespaces that belong there and have no project.
    let namespaces = (await upstreamJson<{ items: KubeNamespace[] }>(conn.upstream, 'GET', '/api/v1/namespaces')).items;
    for (const ns of namespaces) {
      const home =
        ns.metadata.name === 'default'
          ? byName('Default')
          : SYSTEM_NAMESPACES.includes(ns.metadata.name)
            ? byName('System')
            : undefined;
      if (!home || projectOf(ns) || ns.status?.phase === 'Terminating') continue;
      await upstreamJson(conn.upstream, 'PATCH', `/api/v1/namespaces/${ns.metadata.name}`, {
        headers: { 'content-type': 'application/merge-patch+json' },
        body: {
          metadata: {
            annotations: { [PROJECT_ANNOTATION]: home },
            labels: { [PROJECT_LABEL_KEY]: home.split(':')[1] },
          },
        },
      });
      ns.metadata.annotations = { ...ns.metadata.annotations, [PROJECT_ANNOTATION]: home };
    }
    namespaces = namespaces.filter((ns) => ns.status?.phase !== 'Terminating');

    const known = new Map(projects.map((p) => [p.id, p]));
    // A namespace outlives its deleted project; it leaves with no project rather than keeping an
    // annotation that names nothing (Rancher clears it too). The store is asked once more before
    // clearing, as the informer's cache may not have a project created a moment ago.
    for (const ns of namespaces) {
      const pid = projectOf(ns);
      if (!pid?.startsWith(`${clusterId}:`) || known.has(pid)) continue;
      if (
        await this.store.get('project', pid).then(
          () => true,
          () => false,
        )
      )
        continue;
      await upstreamJson(conn.upstream, 'PATCH', `/api/v1/namespaces/${ns.metadata.name}`, {
        headers: { 'content-type': 'application/merge-patch+json' },
        body: { metadata: { annotations: { [PROJECT_ANNOTATION]: null }, labels: { [PROJECT_LABEL_KEY]: null } } },
      });
      delete ns.metadata.annotations?.[PROJECT_ANNOTATION];
    }
    const short = (ns: KubeNamespace) => {
      const p = projectOf(ns);
      return p && known.has(p) ? p.split(':')[1] : undefined;
    };
    const clusterBindings: ClusterBinding[] = crtbs.flatMap((b) => {
      const subject = subjectOf(b.spec);
      return subject ? [{ roleTemplateId: String(b.spec.roleTemplateId), subject }] : [];
    });
    const projectBindings: ProjectBinding[] = prtbs.flatMap((b) => {
      const subject = subjectOf(b.spec);
      const pid = String(b.spec.projectId);
      return subject && known.has(pid)
        ? [{ projectId: pid.split(':')[1]!, roleTemplateId: String(b.spec.roleTemplateId), subject }]
        : [];
    });
    const nsInfo = namespaces.map((ns) => ({
      name: ns.metadata.name,
      projectId: short(ns),
      annotations: ns.metadata.annotations,
    }));
    const quotaProjects = new Map(
      projects.map((p) => [
        p.id.split(':')[1]!,
        {
          namespaceDefaultLimit: (p.spec.namespaceDefaultResourceQuota as { limit?: RancherQuotaLimit } | null)?.limit,
          containerDefaultLimit: (p.spec.containerDefaultResourceLimit as ContainerDefaultLimit | null) ?? undefined,
        },
      ]),
    );
    const desired = [
      ...desiredRbac({
        clusterId,
        templates: new Map(
          [...templates].map(([id, t]) => [
            id,
            { id, context: t.context, external: t.external, rules: t.rules, roleTemplateIds: t.roleTemplateIds },
          ]),
        ),
        clusterBindings,
        projectBindings,
        namespaces: nsInfo,
      }),
      ...desiredQuotaObjects({ clusterId, namespaces: nsInfo, projects: quotaProjects }),
      ...desiredProjectSecrets({
        clusterId,
        namespaces: nsInfo,
        secrets: projectSecrets
          .filter((ps) => known.has(String(ps.spec.projectId)))
          .map((ps) => ({
            projectId: String(ps.spec.projectId).split(':')[1]!,
            name: String(ps.spec.name),
            kind: ps.spec.kind as ProjectSecretInfo['kind'],
            values: readSecretValues(this.secretBox, ps),
            certs: ps.spec.certs as string | undefined,
          })),
      }),
    ];
    const actual = await listManaged(conn.upstream, `${MANAGED_LABEL}=true,${CLUSTER_LABEL}=${clusterId}`);
    const plan = planChanges(desired, actual);
    // Deletions first (a changed roleRef is a delete then a create), then the rest.
    await Promise.all(plan.delete.map((o) => deleteObject(conn.upstream, o)));
    // An object of that name that is not Corral's (made by hand, or by Corral for another registration
    // of the same cluster) is left alone: reported once, not retried in a loop.
    const conflicts: string[] = [];
    const create = (o: KubeObject) =>
      createObject(conn.upstream, o).catch((err: unknown) => {
        if (err instanceof UpstreamError && err.status === 409)
          conflicts.push(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
        else throw err;
      });
    await Promise.all([...plan.create.map(create), ...plan.update.map((o) => replaceObject(conn.upstream, o))]);
    const report = conflicts.sort().join(', ');
    if (report && this.reportedConflicts.get(clusterId) !== report) {
      this.log.warn('objects Corral wants to create exist and are not its own; left alone', {
        clusterId,
        objects: report,
      });
    }
    this.reportedConflicts.set(clusterId, report);
    if (plan.create.length + plan.update.length + plan.delete.length > 0) {
      this.log.debug('projects reconciled', {
        clusterId,
        created: plan.create.length,
        updated: plan.update.length,
        deleted: plan.delete.length,
      });
    }

    // usedLimit: what the project's namespaces take of its quota.
    for (const p of projects) {
      const limit = (p.spec.resourceQuota as { limit?: RancherQuotaLimit } | null)?.limit;
      if (!limit) continue;
      const nsDefault = (p.spec.namespaceDefaultResourceQuota as { limit?: RancherQuotaLimit } | null)?.limit;
      const used = usedLimit(
        namespaces
          .filter((ns) => projectOf(ns) === p.id)
          .map((ns) => namespaceQuota(ns.metadata.annotations, nsDefault) ?? {}),
      );
      if (JSON.stringify(used) !== JSON.stringify(p.status.usedLimit ?? {})) {
        await this.store.update({ ...p, status: { ...p.status, usedLimit: used } }).catch(() => this.kick(clusterId));
      }
    }
  }
}
