import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StoreError, type Store, type StoredObject } from '../../store/types.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import { K8sInformer, type KubeObjectLike } from '../controllers/kit/k8s-informer.js';
import type { Registry } from '../controllers/kit/metrics.js';
import { StoreInformer } from '../controllers/kit/store-informer.js';
import type { ClusterConnection, ClusterConnections } from '../clusters/connections.js';
import type { ClusterOwnership } from '../clusters/ownership.js';
import { readBody } from '../http/body.js';
import { upstreamJson, upstreamStatus } from '../../kube/upstream-client.js';
import type { Logger } from '../log.js';
import { clusterOfProject, shortProjectId } from '../projects/memberships.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { StoreFollower } from '../store-follower.js';
import { NotifyError, sendNotification, type Notification } from '../notifiers/send.js';
import { Alertmanager, alertmanagerConfig, relayTokenFile, type PostableAlert } from './alertmanager.js';
import {
  RestartHistory,
  nodeNotReady,
  nodeReservedOver,
  systemServiceUnhealthy,
  type ComponentHealth,
  type LeaseLike,
  podsNotRunning,
  podsNotScheduled,
  recentEvents,
  workloadsUnavailable,
  type DeploymentLike,
  type EventLike,
  type Instance,
  type NodeLike,
  type PodLike,
} from './evaluate.js';

const GROUP_TYPES = ['clusterAlertGroup', 'projectAlertGroup'] as const;
const RULE_TYPES = ['clusterAlertRule', 'projectAlertRule'] as const;
const AM_KEY = 'alertmanager';
/** The pass that deletes alert objects whose cluster or project is gone (as Rancher does). */
const GC_KEY = 'gc';
/** How long an event keeps its alert firing after it was last seen. */
const EVENT_WINDOW_MS = 5 * 60_000;
const PROJECT_LABEL = 'field.cattle.io/projectId';

export interface AlertsOptions {
  store: Store;
  follower: StoreFollower;
  connections: ClusterConnections;
  ownership: ClusterOwnership;
  secretBox: SecretBox;
  dataDir: string;
  log: Logger;
  registry?: Registry;
  /** Seconds between evaluations of a cluster's rules (CORRAL_ALERT_EVAL_SECONDS, default 15). */
  evalSeconds?: number;
  /** The server's cluster informer: a deleted cluster takes its notifiers, groups and rules along. */
  clusters?: StoreInformer;
}

/** What the metric rules of a cluster have firing, from its Prometheus (undefined: not monitored here). */
export type MetricSource = (clusterId: string) => Promise<Map<string, Instance[]> | undefined>;

type Kind = 'nodes' | 'events' | 'pods' | 'deployments' | 'namespaces' | 'leases';
const PATHS: Record<Kind, string> = {
  nodes: '/api/v1/nodes',
  events: '/api/v1/events',
  pods: '/api/v1/pods',
  deployments: '/apis/apps/v1/deployments',
  namespaces: '/api/v1/namespaces',
  leases: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
};

/** The downstream kinds one cluster's rules need, each kept by an informer while needed. */
class ClusterWatch {
  readonly informers = new Map<Kind, K8sInformer<KubeObjectLike>>();
  readonly restarts = new RestartHistory();
  readonly failures = new Map<Kind, string>();

  constructor(
    readonly conn: ClusterConnection,
    private readonly changed: () => void,
  ) {}

  need(kinds: Set<Kind>): void {
    for (const [k, i] of this.informers)
      if (!kinds.has(k)) {
        i.stop();
        this.informers.delete(k);
      }
    for (const k of kinds) {
      if (this.informers.has(k)) continue;
      const i = new K8sInformer<KubeObjectLike>(this.conn.upstream, {
        path: PATHS[k],
        onSynced: () => {
          this.failures.delete(k);
          this.changed();
        },
        onFailure: (reason) => this.failures.set(k, reason),
      });
      this.informers.set(k, i);
      i.start();
    }
  }

  synced(): boolean {
    return [...this.informers.values()].every((i) => i.synced);
  }

  list<T>(k: Kind): T[] {
    return (this.informers.get(k)?.cache.list() ?? []) as T[];
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
    this.informers.clear();
  }
}

interface FiringEntry {
  key: string;
  message: string;
  since: string;
}

/** The API server's componentstatuses (deprecated, still served); undefined where it is gone. */
async function componentStatuses(conn: ClusterConnection): Promise<Map<string, ComponentHealth> | undefined> {
  try {
    const list = await upstreamJson<{
      items: {
        metadata: { name: string };
        conditions?: { type: string; status: string; message?: string; error?: string }[];
      }[];
    }>(conn.upstream, 'GET', '/api/v1/componentstatuses', { timeoutMs: 10_000 });
    return new Map(
      list.items.map((c) => {
        const h = c.conditions?.find((x) => x.type === 'Healthy');
        return [c.metadata.name, { healthy: h?.status === 'True', message: h?.error || h?.message || 'not healthy' }];
      }),
    );
  } catch {
    return undefined;
  }
}

const ruleState = (rule: StoredObject) => String(rule.status.state ?? 'active');
const ruleCluster = (rule: StoredObject) =>
  rule.type === 'clusterAlertRule' ? String(rule.spec.clusterId) : clusterOfProject(String(rule.spec.projectId));

function kindsFor(rule: StoredObject): Kind[] {
  const s = rule.spec;
  if (s.nodeRule) {
    const condition = (s.nodeRule as { condition?: string }).condition;
    return condition === 'cpu' || condition === 'mem' ? ['nodes', 'pods'] : ['nodes'];
  }
  if (s.eventRule) return ['events'];
  if (s.podRule) return ['pods', 'namespaces'];
  if (s.workloadRule) return ['deployments', 'namespaces'];
  const system = s.systemServiceRule as { condition?: string } | undefined;
  if (system && system.condition !== 'etcd') return ['leases'];
  return [];
}

/**
 * Alerts end to end: a real Alertmanager does routing, grouping, waits and repeats; Corral's
 * level-triggered controller evaluates each cluster's rules against the cluster's objects (kept by
 * informers started only for the kinds some active rule needs), posts what fires to Alertmanager
 * every pass with `endsAt` a few passes ahead (as Prometheus does, so a lost server resolves its
 * alerts), and posts `endsAt: now` for what stopped. Alertmanager posts each group's notification
 * to Corral's loopback relay, which sends it through the group's notifiers.
 */
export class AlertsController {
  readonly controller: Controller;
  private readonly am: Alertmanager;
  private readonly informers: Record<string, StoreInformer>;
  private readonly watches = new Map<string, ClusterWatch>();
  private relay?: Server;
  private relayUrl = '';
  private tokenFile = '';
  private readonly token = randomBytes(32).toString('base64url');
  private readonly evalMs: number;
  /** Set once cluster monitoring runs (it starts after the alerts). */
  metricSource?: MetricSource;

  constructor(private readonly o: AlertsOptions) {
    this.evalMs = (o.evalSeconds ?? (Number(process.env.CORRAL_ALERT_EVAL_SECONDS) || 15)) * 1000;
    this.am = new Alertmanager(join(o.dataDir, 'alertmanager'), o.log);
    this.informers = Object.fromEntries([...GROUP_TYPES, ...RULE_TYPES].map((t) => [t, new StoreInformer(o.store, t)]));
    this.controller = defineController({
      name: 'alerts',
      log: o.log,
      registry: o.registry,
      maxConcurrent: 4,
      resyncMs: 60_000,
      resyncKeys: () => [AM_KEY, GC_KEY, ...this.clustersWithRules().map((c) => `eval/${c}`)],
      reconcile: (key) =>
        key === AM_KEY ? this.reconcileAlertmanager() : key === GC_KEY ? this.collect() : this.evaluate(key.slice(5)),
    });
  }

  async start(): Promise<void> {
    for (const i of Object.values(this.informers)) this.o.follower.add(i);
    await Promise.all(Object.values(this.informers).map((i) => i.start()));
    this.tokenFile = await relayTokenFile(join(this.o.dataDir, 'alertmanager'), this.token);
    this.relay = createServer((req, res) => {
      void this.receive(req.url ?? '', req.headers.authorization, () => readBody(req, 4 << 20)).then(
        (status) => res.writeHead(status).end(),
        (err: unknown) => {
          this.o.log.warn('alert relay', { error: String(err) });
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((r) => this.relay!.listen(0, '127.0.0.1', r));
    this.relayUrl = `http://127.0.0.1:${(this.relay.address() as AddressInfo).port}/alertmanager`;
    for (const t of GROUP_TYPES) this.controller.watch(this.informers[t]!, () => [AM_KEY]);
    for (const t of RULE_TYPES) this.controller.watch(this.informers[t]!, (r) => [AM_KEY, `eval/${ruleCluster(r)}`]);
    if (this.o.clusters) this.controller.watch(this.o.clusters, () => [GC_KEY]);
    this.o.ownership.on('change', this.kick);
    this.o.connections.on('change', this.kick);
    this.controller.start();
    for (const c of this.clustersWithRules()) this.controller.enqueue(`eval/${c}`);
    this.controller.enqueue(AM_KEY);
  }

  async stop(): Promise<void> {
    this.o.ownership.off('change', this.kick);
    this.o.connections.off('change', this.kick);
    await this.controller.stop();
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    await this.am.stop();
    await new Promise<void>((r) => (this.relay ? this.relay.close(() => r()) : r()));
  }

  /** The store informer of one alert type, shared (monitoring reads the metric rules from it). */
  informer(type: 'clusterAlertRule' | 'projectAlertRule'): StoreInformer {
    return this.informers[type]!;
  }

  /** Alertmanager's address while it runs (tests and the bench read alerts there). */
  get alertmanagerUrl(): string | undefined {
    return this.am.running ? this.am.url : undefined;
  }

  private readonly kick = (clusterId: string) => this.controller.enqueue(`eval/${clusterId}`);

  private rules(): StoredObject[] {
    return RULE_TYPES.flatMap((t) => this.informers[t]!.cache.list());
  }

  private clustersWithRules(): string[] {
    return [...new Set([...this.rules().map(ruleCluster), ...this.watches.keys()])];
  }

  /**
   * Rules, groups and notifiers of a cluster or project that no longer exists are deleted (every
   * replica may do it; a NotFound from another one's delete is fine). Level-triggered: whatever
   * is orphaned now, whenever it became so.
   */
  private async collect(): Promise<void> {
    const exists = new Map<string, boolean>();
    const alive = async (type: 'cluster' | 'project', id: string) => {
      const key = `${type}/${id}`;
      if (!exists.has(key))
        exists.set(
          key,
          await this.o.store.get(type, id).then(
            (o) => !o.metadata.deletionTimestamp,
            (err: unknown) => !(err instanceof StoreError && err.code === 'NotFound'),
          ),
        );
      return exists.get(key)!;
    };
    const scopeAlive = (o: StoredObject) =>
      o.spec.projectId ? alive('project', String(o.spec.projectId)) : alive('cluster', String(o.spec.clusterId));
    const notifiers = (await this.o.store.list('notifier')).items;
    for (const o of [...this.rules(), ...GROUP_TYPES.flatMap((t) => this.informers[t]!.cache.list()), ...notifiers]) {
      if (await scopeAlive(o)) continue;
      await this.o.store.delete(o.type, o.id).catch((err: unknown) => {
        if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
      });
      this.o.log.info('alert object removed with its cluster or project', { type: o.type, id: o.id });
    }
  }

  /** Alertmanager runs while any alert group exists, with a route per group; mutes are silences. */
  private async reconcileAlertmanager(): Promise<void> {
    const groups = GROUP_TYPES.flatMap((t) => this.informers[t]!.cache.list()).filter(
      (g) => !g.metadata.deletionTimestamp,
    );
    if (!groups.length) {
      await this.am.stop();
      return;
    }
    await this.am.ensure(
      alertmanagerConfig(
        groups.map((g) => ({
          id: g.id,
          groupWaitSeconds: Number(g.spec.groupWaitSeconds ?? 30),
          groupIntervalSeconds: Number(g.spec.groupIntervalSeconds ?? 180),
          repeatIntervalSeconds: Number(g.spec.repeatIntervalSeconds ?? 3600),
        })),
        this.relayUrl,
        this.tokenFile,
      ),
    );
    const muted = new Set(
      this.rules()
        .filter((r) => ruleState(r) === 'muted')
        .map((r) => r.id),
    );
    const silenced = new Set<string>();
    for (const s of await this.am.silences()) {
      const rule = s.matchers.find((m) => m.name === 'rule_id')?.value;
      if (rule && muted.has(rule) && !silenced.has(rule)) silenced.add(rule);
      else await this.am.expireSilence(s.id);
    }
    for (const id of muted) if (!silenced.has(id)) await this.am.silence('rule_id', id, `rule ${id} is muted`);
  }

  /** One pass over a cluster's rules; requeued every evaluation interval while it has any. */
  private async evaluate(clusterId: string): Promise<{ requeueAfter: number } | void> {
    const conn = this.o.ownership.owns(clusterId) ? this.o.connections.get(clusterId) : undefined;
    const rules = this.rules().filter(
      (r) => ruleCluster(r) === clusterId && !r.metadata.deletionTimestamp && ruleState(r) !== 'inactive',
    );
    let watch = this.watches.get(clusterId);
    if (watch && (watch.conn !== conn || !rules.length)) {
      watch.stop();
      this.watches.delete(clusterId);
      watch = undefined;
    }
    // Inactive rules (and rules of a cluster this replica does not serve) fire nothing here.
    await this.resolveInactive(clusterId, rules);
    if (!conn || !rules.length) return;
    if (!watch) {
      watch = new ClusterWatch(conn, () => this.controller.enqueue(`eval/${clusterId}`));
      this.watches.set(clusterId, watch);
    }
    watch.need(new Set(rules.flatMap(kindsFor)));
    if (!watch.synced()) return { requeueAfter: 1000 };
    const cluster = await this.o.store.get('cluster', clusterId).catch(() => undefined);
    const now = Date.now();
    watch.restarts.record(watch.list<PodLike>('pods'), now, 24 * 3600_000);
    const metrics = rules.some((r) => r.spec.metricRule)
      ? await this.metricSource?.(clusterId).catch((err: unknown) => {
          this.o.log.warn('metric alerts not read from Prometheus', { clusterId, error: String(err) });
          return undefined;
        })
      : undefined;
    // System services are asked each pass (two requests), only while some rule watches them.
    const system = rules.some((r) => r.spec.systemServiceRule);
    const etcdStatus = system ? await upstreamStatus(conn.upstream, '/readyz/etcd') : undefined;
    const components = system ? await componentStatuses(conn) : undefined;
    const posts: PostableAlert[] = [];
    for (const rule of rules) {
      const off = rule.spec.metricRule && !metrics;
      const instances = rule.spec.metricRule
        ? (metrics?.get(rule.id) ?? [])
        : this.instancesOf(rule, watch, now, etcdStatus, components);
      const note = off ? 'cluster monitoring is not running: set enableClusterMonitoring on the cluster' : undefined;
      posts.push(...(await this.record(rule, instances, now, String(cluster?.spec.name ?? clusterId), note)));
    }
    await this.am.post(posts);
    return { requeueAfter: this.evalMs };
  }

  private instancesOf(
    rule: StoredObject,
    w: ClusterWatch,
    now: number,
    etcdStatus?: number,
    components?: Map<string, ComponentHealth>,
  ): Instance[] {
    const s = rule.spec as Record<string, Record<string, unknown> | undefined>;
    if (s.systemServiceRule)
      return systemServiceUnhealthy(
        String(s.systemServiceRule.condition),
        components,
        w.list<LeaseLike>('leases'),
        etcdStatus,
        now,
      );
    if (s.nodeRule) {
      const r = s.nodeRule as {
        nodeId?: string;
        selector?: Record<string, string>;
        condition?: string;
        cpuThreshold?: number;
        memThreshold?: number;
      };
      if (r.condition === 'cpu' || r.condition === 'mem')
        return nodeReservedOver(w.list<NodeLike>('nodes'), w.list<PodLike>('pods'), { ...r, condition: r.condition });
      return nodeNotReady(w.list<NodeLike>('nodes'), r);
    }
    if (s.eventRule)
      return recentEvents(
        w.list<EventLike>('events'),
        s.eventRule as { resourceKind: string; eventType?: string; reason?: string },
        now,
        EVENT_WINDOW_MS,
      );
    // Project rules see only the project's namespaces.
    const project = shortProjectId(String(rule.spec.projectId ?? ''));
    const namespaces = new Set(
      w
        .list<KubeObjectLike>('namespaces')
        .filter((n) => n.metadata?.labels?.[PROJECT_LABEL] === project)
        .map((n) => n.metadata?.name),
    );
    const inProject = <T extends KubeObjectLike>(xs: T[]) => xs.filter((x) => namespaces.has(x.metadata?.namespace));
    if (s.podRule) {
      const r = s.podRule as {
        podId?: string;
        condition?: string;
        restartTimes?: number;
        restartIntervalSeconds?: number;
      };
      let pods = inProject(w.list<PodLike>('pods'));
      if (r.podId) pods = pods.filter((p) => `${p.metadata?.namespace}:${p.metadata?.name}` === r.podId);
      if (r.condition === 'notscheduled') return podsNotScheduled(pods);
      if (r.condition === 'restarts')
        return w.restarts.restarting(pods, r.restartTimes ?? 3, (r.restartIntervalSeconds ?? 300) * 1000, now);
      return podsNotRunning(pods);
    }
    if (s.workloadRule)
      return workloadsUnavailable(
        inProject(w.list<DeploymentLike>('deployments')),
        s.workloadRule as { workloadId?: string; selector?: Record<string, string>; availablePercentage: number },
      );
    return [];
  }

  /**
   * Compares what fires now with the rule's status, writes the status when it changed, and
   * returns the alerts to post: every firing instance (refreshing its endsAt) and an `endsAt: now`
   * for each one that stopped.
   */
  private async record(rule: StoredObject, instances: Instance[], now: number, clusterName: string, note?: string) {
    const before = new Map(((rule.status.firing as FiringEntry[] | undefined) ?? []).map((f) => [f.key, f]));
    const stamp = new Date(now).toISOString();
    const firing: FiringEntry[] = instances
      .map((i) => ({ key: i.key, message: i.message, since: before.get(i.key)?.since ?? stamp }))
      .sort((a, b) => a.key.localeCompare(b.key));
    const labelsOf = (key: string) => ({
      alertname: String(rule.spec.name),
      rule_id: rule.id,
      rule_name: String(rule.spec.name),
      rule_type: rule.type,
      rule_kind:
        ['nodeRule', 'eventRule', 'systemServiceRule', 'podRule', 'workloadRule', 'metricRule'].find(
          (k) => rule.spec[k],
        ) ?? 'rule',
      group_id: String(rule.spec.groupId),
      severity: String(rule.spec.severity ?? 'critical'),
      cluster_id: ruleCluster(rule),
      cluster_name: clusterName,
      ...(rule.spec.projectId ? { project_id: String(rule.spec.projectId) } : {}),
      alert_key: key,
    });
    const endsAt = new Date(now + 4 * this.evalMs).toISOString();
    const posts: PostableAlert[] = firing.map((f) => ({
      labels: labelsOf(f.key),
      annotations: { message: f.message },
      startsAt: f.since,
      endsAt,
    }));
    for (const [key, f] of before)
      if (!firing.some((x) => x.key === key))
        posts.push({ labels: labelsOf(key), annotations: { message: f.message }, startsAt: f.since, endsAt: stamp });
    const firingSince = firing.length ? firing.map((f) => f.since).sort()[0] : null;
    // `muted` and `inactive` are the user's (set by the actions); the rest is what fires.
    await this.writeStatus(rule, (s) => ({
      ...s,
      state: s.state === 'muted' || s.state === 'inactive' ? s.state : firing.length ? 'alerting' : 'active',
      firing,
      firingSince,
      message: note ?? firing[0]?.message ?? '',
    }));
    return posts;
  }

  /** Rules turned inactive (or gone from this replica's reach) resolve what they had firing. */
  private async resolveInactive(clusterId: string, active: StoredObject[]): Promise<void> {
    const served = this.o.ownership.owns(clusterId);
    const posts: PostableAlert[] = [];
    for (const rule of this.rules()) {
      if (ruleCluster(rule) !== clusterId || active.includes(rule)) continue;
      const firing = (rule.status.firing as FiringEntry[] | undefined) ?? [];
      if (!firing.length || !served) continue;
      posts.push(...(await this.record(rule, [], Date.now(), clusterId)));
    }
    if (posts.length && this.am.running) await this.am.post(posts);
  }

  private async writeStatus(
    obj: StoredObject,
    next: (s: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = attempt ? await this.o.store.get(obj.type, obj.id).catch(() => undefined) : obj;
      if (!current) return;
      const status = next(current.status);
      if (JSON.stringify(status) === JSON.stringify(current.status)) return;
      try {
        await this.o.store.update({ ...current, status });
        return;
      } catch (err) {
        if (err instanceof StoreError && err.code === 'NotFound') return;
        if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
      }
    }
  }

  /** Alertmanager's webhook: one notification for one group, sent through the group's notifiers. */
  private async receive(url: string, authorization: string | undefined, body: () => Promise<Buffer>): Promise<number> {
    if (authorization !== `Bearer ${this.token}`) return 401;
    const m = /^\/alertmanager\/([^/?]+)$/.exec(url);
    if (!m) return 404;
    const groupId = decodeURIComponent(m[1]!);
    const n = JSON.parse((await body()).toString('utf8')) as Notification;
    let group: StoredObject | undefined;
    for (const t of GROUP_TYPES) group ??= await this.o.store.get(t, groupId).catch(() => undefined);
    if (!group) return 200;
    n.groupLabels = { ...n.groupLabels, group_name: String(group.spec.name) };
    const stamp = new Date().toISOString();
    const recipients = (group.spec.recipients as { notifierId: string; recipient?: string }[] | undefined) ?? [];
    let sent = false;
    for (const r of recipients) {
      const notifier = await this.o.store.get('notifier', r.notifierId).catch(() => undefined);
      if (!notifier) continue;
      const alerts = notifier.spec.sendResolved ? n.alerts : n.alerts.filter((a) => a.status === 'firing');
      if (!alerts.length) continue;
      try {
        await sendNotification(notifier, this.o.secretBox, { ...n, alerts }, r.recipient || undefined);
        sent = true;
        await this.writeStatus(notifier, (s) => ({ ...s, lastSent: stamp, lastError: '' }));
      } catch (err) {
        if (!(err instanceof NotifyError) && !(err instanceof Error)) throw err;
        this.o.log.warn('notification not sent', { notifier: notifier.id, group: groupId, error: err.message });
        await this.writeStatus(notifier, (s) => ({ ...s, lastError: err.message }));
      }
    }
    if (sent) {
      for (const id of new Set(n.alerts.map((a) => a.labels.rule_id).filter(Boolean))) {
        const type = n.alerts.find((a) => a.labels.rule_id === id)!.labels.rule_type!;
        const rule = await this.o.store.get(type, id!).catch(() => undefined);
        if (rule) await this.writeStatus(rule, (s) => ({ ...s, lastSent: stamp }));
      }
    }
    return 200;
  }
}
