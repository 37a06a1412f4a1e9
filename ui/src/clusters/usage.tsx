import type { Cluster } from '../api/types';
import { formatBytes, formatCount, formatCpu } from '../app/format';
import { quantityNumber } from '../../../src/schema/quantity.js';
import type { UsedResource } from './clusterStatus';
import { Meter } from '../components/Meter';
import './usage.css';

const RESOURCES: Record<
  UsedResource,
  { label: string; format: (q: string | undefined | null) => string; unit: string }
> = {
  cpu: { label: 'CPU', format: formatCpu, unit: ' cores' },
  memory: { label: 'Memory', format: formatBytes, unit: '' },
  pods: { label: 'Pods', format: formatCount, unit: ' pods' },
};

export function ClusterUseMeter(props: { cluster: Cluster; resource: UsedResource; stacked?: boolean }) {
  const { cluster: c, resource: key } = props;
  const r = RESOURCES[key];
  // A resource no pod requests is left out of the sums: it is zero, once the sums are there.
  const requested = c.requested ? (c.requested[key] ?? '0') : undefined;
  const allocatable = c.allocatable?.[key];
  const used = quantityNumber(requested);
  const total = quantityNumber(allocatable);
  const title = [
    `requested ${r.format(requested)}`,
    key === 'pods' ? '' : `limits ${r.format(c.limits?.[key] ?? (c.limits ? '0' : undefined))}`,
    `allocatable ${r.format(allocatable)}`,
    `capacity ${r.format(c.capacity?.[key])}`,
  ]
    .filter(Boolean)
    .join(', ');
  if (used === undefined || total === undefined) return <span title={title}>{r.format(allocatable)}</span>;
  const reading = `${r.format(requested)} of ${r.format(allocatable)}${r.unit}`;
  return (
    <Meter
      label={`${r.label} requested ${reading}`}
      value={used}
      max={total}
      valueText={reading}
      text={`${r.format(requested)} / ${r.format(allocatable)}`}
      title={title}
      stacked={props.stacked}
    />
  );
}

/** The three gauges side by side, each with its name, for the head of a cluster's own pages. */
export function ClusterUseSummary(props: { cluster: Cluster }) {
  if (!props.cluster.allocatable) return null;
  return (
    <dl className="cluster-use" aria-label="Requested of allocatable">
      {(Object.keys(RESOURCES) as UsedResource[]).map((key) => (
        <div key={key}>
          <dt>{RESOURCES[key].label}</dt>
          <dd>
            <ClusterUseMeter cluster={props.cluster} resource={key} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
