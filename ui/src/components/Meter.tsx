import './Meter.css';

/**
 * A small horizontal gauge with its reading beside it. A styled div with role="meter" rather than
 * <meter>, whose look browsers barely let a page change; screen readers get the same: the label,
 * the value within its range, and the reading as text.
 */
export function Meter(props: {
  label: string;
  value: number;
  max: number;
  text: string;
  valueText: string;
  title?: string;
  /** Stacked: the reading above a bar as wide as it, to fit a narrow table cell. */
  stacked?: boolean;
}) {
  const fraction = props.max > 0 ? props.value / props.max : 0;
  const tone = fraction >= 0.9 ? 'bad' : fraction >= 0.7 ? 'warn' : 'ok';
  return (
    <span className={props.stacked ? 'meter meter-stacked' : 'meter'} title={props.title}>
      <span
        className={`meter-track meter-${tone}`}
        role="meter"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={props.max}
        aria-valuenow={props.value}
        aria-valuetext={props.valueText}
      >
        <span className="meter-fill" style={{ width: `${Math.min(100, fraction * 100)}%` }} />
      </span>
      <span className="meter-text">{props.text}</span>
    </span>
  );
}
