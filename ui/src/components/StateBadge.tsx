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
  // Event types: a Warning must stand out from the Normal ones around it.
  warning: 'warn',
  normal: 'muted',
  inactive: 'muted',
};

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function stateTone(state: string): Tone {
  return TONE[state.toLowerCase().replace(/\s+/g, '')] ?? 'info';
}

/** `tone` overrides the colour the state's word would get (a False that is healthy). */
export function StateBadge(props: { state: string; title?: string; tone?: Tone }) {
  const tone = props.tone ?? stateTone(props.state);
  return (
    <span className={`badge badge-${tone}`} title={props.title} data-state={props.state} data-tone={tone}>
      {props.state}
    </span>
  );
}
