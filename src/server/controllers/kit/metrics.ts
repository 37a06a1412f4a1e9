/**
 * A small Prometheus text-format registry: enough for counters, gauges and one histogram kind,
 * without a client library (the server's only consumer is `/metrics`).
 */
export type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const keyOf = (labels: Labels) => labelText(labels);

export class Counter implements Family {
  readonly type = 'counter';
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  private readonly collectors = new Map<string, () => number>();

  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  /** A count kept elsewhere as a plain number, read at scrape time: free on a hot path. */
  collect(labels: Labels, read: () => number): void {
    this.collectors.set(keyOf(labels), read);
  }

  get(labels: Labels = {}): number {
    const k = keyOf(labels);
    return this.collectors.get(k)?.() ?? this.values.get(k) ?? 0;
  }

  render(): string[] {
    const out = new Map(this.values);
    for (const [k, read] of this.collectors) out.set(k, read());
    return [...out].map(([k, v]) => `${this.name}${k} ${v}`);
  }
}

export class Gauge implements Family {
  readonly type = 'gauge';
  private readonly values = new Map<string, number>();
  private readonly collectors = new Map<string, () => number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(labels: Labels, value: number): void {
    this.values.set(keyOf(labels), value);
  }

  /** A value read at scrape time (a queue's depth), so nothing has to keep it up to date. */
  collect(labels: Labels, read: () => number): void {
    this.collectors.set(keyOf(labels), read);
  }

  get(labels: Labels = {}): number | undefined {
    const k = keyOf(labels);
    return this.collectors.get(k)?.() ?? this.values.get(k);
  }

  render(): string[] {
    const out = new Map(this.values);
    for (const [k, read] of this.collectors) out.set(k, read());
    return [...out].map(([k, v]) => `${this.name}${k} ${v}`);
  }
}

export class Histogram implements Family {
  readonly type = 'histogram';
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }

  render(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) =>
        out.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`),
      );
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly families = new Map<string, Family>();

  private register<F extends Family>(family: F): F {
    const existing = this.families.get(family.name);
    // Two controllers share a family (one series each): the first registration holds it.
    if (existing) return existing as F;
    this.families.set(family.name, family);
    return family;
  }

  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }

  render(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

/** The series every controller reports, labelled by its name. */
export class ControllerMetrics {
  readonly depth: Gauge;
  readonly retries: Counter;
  readonly reconciles: Counter;
  readonly duration: Histogram;

  constructor(registry: Registry) {
    this.depth = registry.gauge('corral_controller_queue_depth', 'Keys waiting in a controller work queue.');
    this.retries = registry.counter('corral_controller_retries_total', 'Reconciles retried after an error.');
    this.reconciles = registry.counter(
      'corral_controller_reconciles_total',
      'Reconciles finished, by result (success, requeue, error, gone).',
    );
    this.duration = registry.histogram(
      'corral_controller_reconcile_duration_seconds',
      'How long one reconcile took.',
      [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30],
    );
  }
}
