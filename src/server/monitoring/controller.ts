import { join } from 'node:path';
import type { StoredObject } from '../../store/types.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import type { Registry } from '../controllers/kit/metrics.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import type { ClusterConnection, ClusterConnections } from '../clusters/connections.js';
import type { ClusterOwnership } from '../clusters/ownership.js';
import type { Logger } from '../log.js';
import { relayTokenFile } from '../alerts/alertmanager.js';
import type { Instance } from '../alerts/evaluate.js';
import { Prometheus, nodeTargets, type MetricAlert } from './prometheus.js';
import { K8sInformer } from '../controllers/kit/k8s-informer.js';
import { ScrapeRelay } from './scrape-relay.js';

export interface MonitoringOptions {
  clusters: StoreInformer;
  rules: StoreInformer;
  connections: ClusterConnections;
  ownership: ClusterOwnership;
  dataDir: string;
  log: Logger;
  registry?: Registry;
  /** Seconds between scrapes and rule evaluations (CORRAL_MONITORING_SCRAPE_SECONDS, default 30). */
  scrapeSeconds?: number;
}

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
}

/** Labels Corral sets on a metric rule; the rest tell one firing series from another. */
const RULE_LABELS = new Set(['alertname', 'rule_id', 'cluster_id']);

const isMetricRule = (r: StoredObject) => !!r.spec.metricRule && !r.metadata.deletionTimestamp;

/**
 * Cluster monitoring: one real Prometheus per monitored cluster, beside the server on the replica
 * that owns the cluster, started when `enableClusterMonitoring` is set and stopped when it is
 * cleared (its data stays in `<data-dir>/monitoring/<clusterId>` for the next start). A cluster
 * without monitoring costs nothing: no process, no scrape. Metric alert rules become Prometheus
 * alerting rules; what Prometheus reports firing is read back by the alerts controller, which
 * posts it to Alertmanager like every other rule.
 */
export class MonitoringController {
  readonly controller: Controller;
  private readonly relay: ScrapeRelay;
  private readonly prometheus = new Map<string, Prometheus>();
  /** Each monitored cluster's nodes (the scrape targets), on the connection they were read over. */
  private readonly nodes = new Map<string, { conn: ClusterConnection; informer: K8sInformer }>();
  private tokenFile = '';
  private readonly scrapeSeconds: number;

  constructor(private readonly o: MonitoringOptions) {
    this.relay = new ScrapeRelay(o.connections);
    this.scrapeSeconds = o.scrapeSeconds ?? (Number(process.env.CORRAL_MONITORING_SCRAPE_SECONDS) || 30);
    this.controller = defineController({
      name: 'monitoring',
      log: o.log,
      registry: o.registry,
      maxConcurrent: 2,
      resyncMs: 60_000,
      resyncKeys: () => [...new Set([...o.clusters.cache.list().map((c) => c.id), ...this.prometheus.keys()])],
      reconcile: (clusterId) => this.reconcile(clusterId),
    });
  }

  async start(): Promise<void> {
    await this.relay.start();
    this.tokenFile = await relayTokenFile(join(this.o.dataDir, 'monitoring'), this.relay.token);
    this.controller.watch(this.o.clusters, (c) => [c.id]);
    this.controller.watch(this.o.rules, (r) => [String(r.spec.clusterId)]);
    this.o.ownership.on('change', this.kick);
    this.o.connections.on('change', this.kick);
    this.controller.start();
    for (const c of this.o.clusters.cache.list()) this.controller.enqueue(c.id);
  }

  async stop(): Promise<void> {
    this.o.ownership.off('change', this.kick);
    this.o.connections.off('change', this.kick);
    await this.controller.stop();
    for (const n of this.nodes.values()) n.informer.stop();
    this.nodes.clear();
    await Promise.all([...this.prometheus.values()].map((p) => p.stop()));
    this.prometheus.clear();
    await this.relay.stop();
  }

  private readonly kick = (clusterId: string): void => this.controller.enqueue(clusterId);

  /** The cluster's Prometheus while it runs on this replica. */
  running(clusterId: string): Prometheus | undefined {
    const p = this.prometheus.get(clusterId);
    return p?.running ? p : undefined;
  }

  private async reconcile(clusterId: string): Promise<void> {
    const cluster = this.o.clusters.cache.get(clusterId);
    const wanted =
      cluster &&
      !cluster.metadata.deletionTimestamp &&
      cluster.spec.enableClusterMonitoring === true &&
      this.o.ownership.owns(clusterId) &&
      this.o.connections.get(clusterId);
    let p = this.prometheus.get(clusterId);
    const nodes = this.nodes.get(clusterId);
    if (nodes && nodes.conn !== wanted) {
      nodes.informer.stop();
      this.nodes.delete(clusterId);
    }
    if (!wanted) {
      if (p) {
        this.prometheus.delete(clusterId);
        await p.stop();
      }
      return;
    }
    if (!this.nodes.has(clusterId)) {
      const informer = new K8sInformer(wanted.upstream, {
        path: '/api/v1/nodes',
        onSynced: () => this.kick(clusterId),
      });
      const changed = () => this.kick(clusterId);
      informer.on({ onAdd: changed, onDelete: changed });
      this.nodes.set(clusterId, { conn: wanted, informer });
      informer.start();
    }
    if (!p) {
      p = new Prometheus(join(this.o.dataDir, 'monitoring', clusterId.replace(/[^a-zA-Z0-9-]/g, '_')), this.o.log);
      this.prometheus.set(clusterId, p);
    }
    const alerts: MetricAlert[] = this.o.rules.cache
      .list()
      .filter((r) => isMetricRule(r) && r.spec.clusterId === clusterId && r.status.state !== 'inactive')
      .map((r) => {
        const m = r.spec.metricRule as {
          expression: string;
          comparison?: string;
          thresholdValue?: number;
          duration?: string;
          description?: string;
        };
        return {
          name: String(r.spec.name),
          expression: m.expression,
          comparison: m.comparison ?? 'greater-than',
          thresholdValue: m.thresholdValue ?? 0,
          duration: m.duration ?? '1m',
          labels: { rule_id: r.id },
          message: `${m.description || m.expression} is {{ $value }}${m.comparison === 'has-value' ? '' : ` (${m.comparison ?? 'greater-than'} ${m.thresholdValue ?? 0})`}`,
        };
      });
    const informer = this.nodes.get(clusterId)!.informer;
    await p.writeNodes(
      nodeTargets(
        this.relay.base(clusterId),
        informer.cache.list().map((n) => n.metadata?.name ?? ''),
      ),
    );
    await p.ensure({
      clusterId,
      relayBase: this.relay.base(clusterId),
      relayTokenFile: this.tokenFile,
      scrapeSeconds: this.scrapeSeconds,
      alerts,
    });
  }

  /**
   * What each metric rule of the cluster has firing now, by rule id (undefined: monitoring is not
   * running here). Pending alerts (not yet past `duration`) are not firing.
   */
  async metricInstances(clusterId: string): Promise<Map<string, Instance[]> | undefined> {
    const p = this.running(clusterId);
    if (!p) return undefined;
    const data = await p.api<{ alerts: PromAlert[] }>('/api/v1/alerts', {});
    const out = new Map<string, Instance[]>();
    for (const a of data.alerts) {
      if (a.state !== 'firing' || !a.labels.rule_id) continue;
      const rest = Object.entries(a.labels)
        .filter(([k]) => !RULE_LABELS.has(k))
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const list = out.get(a.labels.rule_id) ?? [];
      list.push({ key: `metric/{${rest}}`, message: a.annotations.message ?? a.labels.alertname ?? '' });
      out.set(a.labels.rule_id, list);
    }
    return out;
  }
}
