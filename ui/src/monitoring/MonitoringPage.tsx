import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { Cluster } from '../api/types';
import { useApi } from '../api/useApi';
import { Button } from '../components/Button';
import { Field, SelectField } from '../components/Field';
import './monitoring.css';

interface Graphs {
  enabled: boolean;
  running: boolean;
  graphs: { id: string; title: string; unit: string }[];
}

interface QueryAnswer {
  expression: string;
  start: number;
  end: number;
  series: { labels: Record<string, string>; values: [number, number][] }[];
}

const RANGES = [
  { value: '900', label: 'Last 15 minutes' },
  { value: '3600', label: 'Last hour' },
  { value: '21600', label: 'Last 6 hours' },
  { value: '86400', label: 'Last day' },
  { value: '604800', label: 'Last week' },
];

/**
 * Graphs of a cluster, or of a project (the server confines a project's graphs to its namespaces):
 * CPU, memory, network, disk at the cluster, node, namespace, workload or pod level, over a chosen
 * range, each with the PromQL it ran.
 */
export function MonitoringPage(props: { clusterId: string; projectId?: string }) {
  const base = props.projectId
    ? `/v3/projects/${props.projectId}/monitoring`
    : `/v3/clusters/${props.clusterId}/monitoring`;
  const info = useApi<Graphs>(base);
  const cluster = useApi<Cluster>(props.projectId ? null : `/v3/clusters/${props.clusterId}`);
  const [range, setRange] = useState('3600');
  const [level, setLevel] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  // Graphs are read again on Show and every 30 s, so a range ending now stays current.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  const levelFields = props.projectId ? ['namespace', 'workload', 'pod'] : ['node', 'namespace', 'workload', 'pod'];

  async function toggle(on: boolean) {
    try {
      const c = await api<Cluster>('GET', `/v3/clusters/${props.clusterId}`);
      await api('PUT', `/v3/clusters/${props.clusterId}`, { ...c, enableClusterMonitoring: on });
      cluster.reload();
      info.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section>
      <div className="page-header">
        <h1>{props.projectId ? 'Project monitoring' : 'Cluster monitoring'}</h1>
        {!props.projectId && cluster.data?.actions && (
          <Button variant={info.data?.enabled ? 'danger' : 'primary'} onClick={() => void toggle(!info.data?.enabled)}>
            {info.data?.enabled ? 'Disable monitoring' : 'Enable monitoring'}
          </Button>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {info.data && !info.data.enabled && (
        <p>Monitoring is off for this cluster: no Prometheus runs for it. Enable it to collect metrics.</p>
      )}
      {info.data?.enabled && !info.data.running && (
        <p role="status">
          Prometheus is starting…{' '}
          <Button className="btn-small" onClick={info.reload}>
            Check again
          </Button>
        </p>
      )}
      {info.data?.running && (
        <>
          <form
            className="toolbar"
            onSubmit={(e) => {
              e.preventDefault();
              setLevel(draft);
              setTick((n) => n + 1);
            }}
          >
            <SelectField label="Range" value={range} options={RANGES} onChange={(e) => setRange(e.target.value)} />
            {levelFields.map((f) => (
              <Field
                key={f}
                label={f[0]!.toUpperCase() + f.slice(1)}
                value={draft[f] ?? ''}
                placeholder="all"
                onChange={(e) => setDraft({ ...draft, [f]: e.target.value.trim() })}
              />
            ))}
            <Button type="submit">Show</Button>
          </form>
          <div className="graph-grid">
            {info.data.graphs.map((g) => (
              <Graph key={g.id} base={base} graph={g} range={range} level={level} tick={tick} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function Graph(props: {
  base: string;
  graph: { id: string; title: string; unit: string };
  range: string;
  level: Record<string, string>;
  tick: number;
}) {
  const q = new URLSearchParams({ graph: props.graph.id, range: props.range });
  for (const [k, v] of Object.entries(props.level)) if (v) q.set(k, v);
  const answer = useApi<QueryAnswer>(`${props.base}/query?${q}`);
  const { reload } = answer;
  useEffect(() => {
    if (props.tick) reload();
  }, [props.tick, reload]);
  return (
    <figure className="panel graph" aria-label={props.graph.title}>
      <figcaption>
        <strong>{props.graph.title}</strong> <span className="muted">({props.graph.unit})</span>
      </figcaption>
      {answer.error && <p className="error">{errorMessage(answer.error)}</p>}
      {answer.data && <Chart answer={answer.data} />}
      {answer.data && (
        <details>
          <summary>PromQL</summary>
          <code className="promql">{answer.data.expression}</code>
        </details>
      )}
    </figure>
  );
}

const W = 360;
const H = 120;

function Chart(props: { answer: QueryAnswer }) {
  const { series, start, end } = props.answer;
  const values = series.flatMap((s) => s.values.map(([, v]) => v)).filter(Number.isFinite);
  if (!values.length) return <p className="muted">No data in this range.</p>;
  const max = Math.max(...values) || 1;
  const x = (t: number) => ((t - start) / Math.max(1, end - start)) * W;
  const y = (v: number) => H - (v / max) * (H - 4) - 2;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`peak ${formatValue(max)}`} className="chart">
      {series.map((s, i) => (
        <polyline
          key={i}
          fill="none"
          strokeWidth="1.5"
          className={`series-${i % 6}`}
          points={s.values.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
        >
          <title>
            {Object.entries(s.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'total'}
          </title>
        </polyline>
      ))}
      {/* A series that only began (monitoring just enabled) is a few points at the right edge: dots show it. */}
      {series.flatMap((s, i) =>
        s.values.length > 10
          ? []
          : s.values.map(([t, v]) => (
              <circle key={`${i}-${t}`} cx={x(t)} cy={y(v)} r="2.5" className={`dot series-${i % 6}`} />
            )),
      )}
      <text x="2" y="12" className="chart-label">
        {formatValue(max)}
      </text>
    </svg>
  );
}

function formatValue(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toPrecision(3);
}
