/** Colour families for the states v3 objects and Kubernetes objects report. */
const TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  active: 'ok',
  running: 'ok',
  ready: 'ok',
  bound: 'ok',
  succeeded: 'ok',
  completed: 'ok',
  true: 'ok',
  pending: 'warn',
  provisioning: 'info',
  updating: 'info',
  removing: 'muted',
  terminating: 'muted',
  unavailable: 'bad',
  failed: 'bad',
  error: 'bad',
  crashloopbackoff: 'bad',
  notready: 'bad',
  false: 'bad',
  unknown: 'warn',
  disabled: 'muted',
  inactive: 'muted',
};

export function stateTone(state: string): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  return TONE[state.toLowerCase().replace(/\s+/g, '')] ?? 'info';
}

export function StateBadge(props: { state: string; title?: string }) {
  return (
    <span className={`badge badge-${stateTone(props.state)}`} title={props.title} data-state={props.state}>
      {props.state}
    </span>
  );
}
