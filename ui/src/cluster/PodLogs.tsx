/**
 * A pod's logs: choose the container (app or init), the previous (crashed) instance, how many of
 * the last lines, timestamps, and follow. Following is a
 * streamed fetch of `…/log?follow=true`: chunks are appended as they arrive, the text is capped
 * (the oldest lines go first) so a chatty container cannot eat the tab's memory, and rendering is
 * throttled to one update per frame. Stop aborts the request.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { api, errorMessage } from '../api/http';
import { Button } from '../components/Button';
import { proxyBase, type KubeObject } from './k8s';

/** Kept characters; the oldest whole lines are dropped beyond this. */
const MAX_CHARS = 1 << 20;
/** Choices for "last lines"; 0 is all of them (still capped at MAX_CHARS). */
const TAIL_CHOICES = [100, 1000, 10000, 0];

function cap(text: string): string {
  if (text.length <= MAX_CHARS) return text;
  const cut = text.indexOf('\n', text.length - MAX_CHARS);
  return cut < 0 ? text.slice(-MAX_CHARS) : text.slice(cut + 1);
}

/** The container a pod view shows (logs, shell). */
export function ContainerSelect(props: {
  containers: string[];
  label?: (name: string) => string;
  value: string;
  onChange(name: string): void;
}) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>Container</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.containers.map((c) => (
          <option key={c} value={c}>
            {props.label ? props.label(c) : c}
          </option>
        ))}
      </select>
    </>
  );
}

export function PodLogs(props: { clusterId: string; pod: KubeObject }) {
  const { clusterId, pod } = props;
  const initContainers = new Set(((pod.spec?.initContainers ?? []) as { name: string }[]).map((c) => c.name));
  const containers: string[] = [
    ...((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name),
    ...initContainers,
  ];
  const [container, setContainer] = useState(containers[0] ?? '');
  const [previous, setPrevious] = useState(false);
  const [follow, setFollow] = useState(false);
  const [tail, setTail] = useState(1000);
  const [timestamps, setTimestamps] = useState(false);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{
    kind: 'idle' | 'loading' | 'following' | 'ended' | 'error';
    message?: string;
  }>({ kind: 'idle' });
  const [generation, setGeneration] = useState(0);
  const tailId = useId();
  const logRef = useRef<HTMLPreElement>(null);
  const stickToBottom = useRef(true);
  const { namespace = 'default', name } = pod.metadata;

  useEffect(() => {
    if (!container) return;
    const abort = new AbortController();
    const q = new URLSearchParams({ container });
    if (tail) q.set('tailLines', String(tail));
    if (timestamps) q.set('timestamps', 'true');
    if (previous) q.set('previous', 'true');
    const url = `${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`;
    setText('');
    stickToBottom.current = true;
    if (!follow || previous) {
      setStatus({ kind: 'loading' });
      api<string>('GET', `${url}?${q}`, undefined, { raw: true, signal: abort.signal }).then(
        (t) => {
          setText(cap(t));
          setStatus({ kind: 'ended' });
        },
        (err: unknown) => !abort.signal.aborted && setStatus({ kind: 'error', message: errorMessage(err) }),
      );
      return () => abort.abort();
    }
    q.set('follow', 'true');
    setStatus({ kind: 'following' });
    let buffer = '';
    let frame = 0;
    const flush = () => {
      frame = 0;
      setText(buffer);
    };
    void (async () => {
      try {
        // A stream, which api() (it reads whole bodies) does not do; GET needs no CSRF header.
        const res = await fetch(`${url}?${q}`, { credentials: 'same-origin', signal: abort.signal });
        if (!res.ok || !res.body) {
          const body = await res.text();
          let message = body.trim() || `HTTP ${res.status}`;
          try {
            message = (JSON.parse(body) as { message?: string }).message ?? message;
          } catch {
            // Plain text: shown as it is.
          }
          throw new Error(message);
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer = cap(buffer + value);
          if (!frame) frame = requestAnimationFrame(flush);
        }
        flush();
        setStatus({ kind: 'ended', message: 'The log stream ended.' });
      } catch (err) {
        if (!abort.signal.aborted) setStatus({ kind: 'error', message: errorMessage(err) });
      }
    })();
    return () => {
      abort.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [clusterId, namespace, name, container, previous, follow, tail, timestamps, generation]);

  // Keep the newest line in view while following, unless the user scrolled up to read.
  useEffect(() => {
    const el = logRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <div className="pod-logs">
      <div className="toolbar">
        <ContainerSelect
          containers={containers}
          label={(c) => (initContainers.has(c) ? `${c} (init)` : c)}
          value={container}
          onChange={setContainer}
        />
        <label htmlFor={tailId}>Last lines</label>
        <select id={tailId} value={tail} onChange={(e) => setTail(Number(e.target.value))}>
          {TAIL_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n ? n.toLocaleString('en') : 'All'}
            </option>
          ))}
        </select>
        <label className="checkbox">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious(e.target.checked)} /> Previous
          container
        </label>
        {follow && !previous ? (
          <Button onClick={() => setFollow(false)}>Stop</Button>
        ) : (
          <Button variant="primary" disabled={previous} onClick={() => setFollow(true)}>
            Follow
          </Button>
        )}
        <Button onClick={() => setGeneration((g) => g + 1)}>Reload</Button>
        <span className="muted" role="status">
          {status.kind === 'loading'
            ? 'Loading…'
            : status.kind === 'following'
              ? 'Following…'
              : status.kind === 'error'
                ? ''
                : (status.message ?? '')}
        </span>
      </div>
      {status.kind === 'error' && (
        <p className="error" role="alert">
          {status.message}
        </p>
      )}
      <pre
        ref={logRef}
        className="logs"
        role="log"
        tabIndex={0}
        aria-label={`Logs of container ${container}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {text || (status.kind === 'ended' ? '(no output)' : '')}
      </pre>
    </div>
  );
}
