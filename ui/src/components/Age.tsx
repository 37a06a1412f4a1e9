/**
 * An age that keeps counting ("42s", "43s", …) while the page is open. One shared interval
 * drives every Age on the page, and it runs only while at least one is shown.
 */
import { useSyncExternalStore } from 'react';
import { age } from '../cluster/k8s';

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(onTick: () => void): () => void {
  listeners.add(onTick);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, 1000);
  return () => {
    listeners.delete(onTick);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time, updated every second while a component uses it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

export function Age(props: { time: string | undefined | null; suffix?: string }) {
  const t = useNow();
  if (!props.time) return <>—</>;
  return (
    <time dateTime={props.time} title={new Date(props.time).toLocaleString()}>
      {/* The shared clock stands still while no Age is shown: never count from an old tick. */}
      {age(props.time, Math.max(t, Date.now() - 1000))}
      {props.suffix ?? ''}
    </time>
  );
}
