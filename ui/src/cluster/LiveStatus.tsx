import type { LiveState } from '../live/useLiveList';

const TEXT: Record<LiveState, string> = {
  loading: 'Loading…',
  live: 'Live',
  resyncing: 'Reconnecting…',
  error: 'Not live',
};

/** Whether a list is current: live, catching up after a reconnect, or failing (and why). */
export function LiveStatus(props: { state: LiveState; error?: Error | undefined }) {
  return (
    <span className={`live-status live-${props.state}`} role="status" data-live-state={props.state}>
      <span className="live-dot" aria-hidden="true" />
      {TEXT[props.state]}
      {props.state === 'error' && props.error ? `: ${props.error.message}` : ''}
    </span>
  );
}
