import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Logger } from '../log.js';
import { LoopbackProcess } from './loopback-process.js';

/** A metric rule as Prometheus evaluates it: `(<expression>) <op> <threshold>` for `duration`. */
export interface MetricAlert {
  name: string;
  expression: string;
  comparison: string;
  thresholdValue: number;
  duration: string;
  labels: Record<string, string>;
  message: string;
}

const OPS: Record<string, string> = {
  equal: '==',
  'not-equal': '!=',
  'greater-than': '>',
  'less-than': '<',
  'greater-or-equal': '>=',
  'less-or-equal': '<=',
};

/** Rancher's comparison names as PromQL; `has-value` fires whenever the expression has a result. */
export function alertExpression(a: Pick<MetricAlert, 'expression' | 'comparison' | 'thresholdValue'>): string {
  if (a.comparison === 'has-value') return `(${a.expression})`;
  return `(${a.expression}) ${OPS[a.comparison] ?? '>'} ${a.thresholdValue}`;
}

export interface PrometheusPlan {
  clusterId: string;
  /** The scrape relay's base for this cluster: http://127.0.0.1:<port>/<clusterId>. */
  relayBase: string;
  relayTokenFile: string;
  scrapeSeconds: number;
  alerts: MetricAlert[];
}

/**
 * prometheus.yml for one cluster. Every target is reached through Corral's loopback scrape relay,
 * which forwards over the cluster's own connection (the agent's tunnel or the direct kubeconfig):
 * the API server's /metrics, and for each node the kubelet's resource metrics and cAdvisor via the
 * API server's node proxy. The nodes come from a file Corral writes from its own node informer
 * (file_sd: Debian's Prometheus has no Kubernetes discovery, and this way Prometheus needs no
 * access to the cluster at all). So Prometheus beside the server reaches a cluster on another
 * network exactly as Corral does.
 */
export function prometheusConfig(p: PrometheusPlan, rulesFile: string, nodesFile: string): string {
  const url = new URL(p.relayBase);
  const auth = { authorization: { type: 'Bearer', credentials_file: p.relayTokenFile } };
  const base = url.pathname.replace(/\/$/, '');
  const nodeJob = (job: string, suffix: string) => ({
    job_name: job,
    ...auth,
    file_sd_configs: [{ files: [nodesFile] }],
    relabel_configs: [
      {
        source_labels: ['node'],
        target_label: '__metrics_path__',
        replacement: `${base}/api/v1/nodes/$1/proxy/metrics${suffix}`,
      },
      { source_labels: ['node'], target_label: 'instance' },
    ],
  });
  return stringify({
    global: {
      scrape_interval: `${p.scrapeSeconds}s`,
      evaluation_interval: `${p.scrapeSeconds}s`,
      external_labels: { cluster_id: p.clusterId },
    },
    rule_files: [rulesFile],
    scrape_configs: [
      {
        job_name: 'apiserver',
        metrics_path: `${base}/metrics`,
        ...auth,
        static_configs: [{ targets: [url.host] }],
      },
      nodeJob('kubelet', '/resource'),
      nodeJob('cadvisor', '/cadvisor'),
    ],
  });
}

/** The file_sd targets: one per node, all at the relay; the node's name picks the path. */
export function nodeTargets(relayBase: string, nodes: string[]): string {
  const host = new URL(relayBase).host;
  return JSON.stringify([...nodes].sort().map((node) => ({ targets: [host], labels: { node } })));
}

export function rulesConfig(alerts: MetricAlert[]): string {
  return stringify({
    groups: [
      {
        name: 'corral',
        rules: alerts.map((a) => ({
          alert: a.name,
          expr: alertExpression(a),
          for: a.duration,
          labels: a.labels,
          annotations: { message: a.message },
        })),
      },
    ],
  });
}

export function prometheusBinary(): string | undefined {
  return [process.env.CORRAL_PROMETHEUS_BIN, '/usr/bin/prometheus', '/usr/local/bin/prometheus'].find(
    (c): c is string => !!c && existsSync(c),
  );
}

/** One real Prometheus process for one monitored cluster, on loopback, its data under the server's data folder. */
export class Prometheus {
  private readonly proc: LoopbackProcess;
  private applied = '';

  constructor(
    private readonly dir: string,
    log: Logger,
  ) {
    this.proc = new LoopbackProcess('prometheus', log, () => (this.applied = ''));
  }

  get running(): boolean {
    return this.proc.running;
  }

  get url(): string {
    return this.proc.url;
  }

  get nodesFile(): string {
    return join(this.dir, 'nodes.json');
  }

  /** Prometheus re-reads the file by itself; written whole, then renamed, so it never reads half. */
  async writeNodes(content: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(`${this.nodesFile}.tmp`, content, { mode: 0o600 });
    await rename(`${this.nodesFile}.tmp`, this.nodesFile);
  }

  async ensure(plan: PrometheusPlan): Promise<void> {
    const rulesFile = join(this.dir, 'rules.yml');
    const configFile = join(this.dir, 'prometheus.yml');
    const config = prometheusConfig(plan, rulesFile, this.nodesFile);
    const rules = rulesConfig(plan.alerts);
    if (this.running && this.applied === config + rules) return;
    await mkdir(join(this.dir, 'data'), { recursive: true, mode: 0o700 });
    await writeFile(configFile, config, { mode: 0o600 });
    await writeFile(rulesFile, rules, { mode: 0o600 });
    if (this.running) {
      await this.proc.reload();
    } else {
      const bin = prometheusBinary();
      if (!bin)
        throw new Error('Prometheus is not installed: apt-get install prometheus, or set CORRAL_PROMETHEUS_BIN');
      await this.proc.start(
        bin,
        (listen) => [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(this.dir, 'data')}`,
          `--web.listen-address=${listen}`,
          '--web.enable-lifecycle',
          '--storage.tsdb.retention.time=7d',
          '--log.format=json',
        ],
        60_000,
        join(this.dir, 'prometheus.pid'),
        configFile,
      );
    }
    this.applied = config + rules;
  }

  async stop(): Promise<void> {
    this.applied = '';
    await this.proc.stop();
  }

  /** GET on Prometheus's HTTP API; the answer's `data`. */
  async api<T>(path: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { status: string; data?: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new PromError(res.status, body.error ?? `Prometheus answered ${res.status}`);
    return body.data as T;
  }
}

export class PromError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
