/**
 * A shell in one of a pod's containers: Kubernetes' exec over a WebSocket to Corral's proxy, which
 * runs it as the signed-in user (the cluster's RBAC decides, through `pods/exec`), shown in an xterm
 * terminal. The channel protocol is `v5.channel.k8s.io` (or v4): each binary frame starts with its
 * channel — 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 terminal size, 255 close (v5).
 *
 * A browser never learns why a WebSocket upgrade was refused, so whether the user may exec is asked
 * first (a SelfSubjectAccessReview) and a "no" is said in words instead of a dead terminal.
 */
import { useEffect, useRef, useState } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { Button } from '../components/Button';
import { proxyBase, type KubeObject } from './k8s';
import { ContainerSelect } from './PodLogs';
import { useCan } from './useCan';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

/** Rancher's choice: bash where the image has it, else sh, with a terminal type programs know. */
const SHELL = ['/bin/sh', '-c', 'TERM=xterm-256color; export TERM; [ -x /bin/bash ] && exec /bin/bash || exec /bin/sh'];

type Status = { kind: 'connecting' | 'open' | 'ended' | 'error'; message?: string };

/**
 * xterm writes its layout and colours into `<style>` elements, which the server's CSP
 * (`default-src 'self'`, no inline styles) rightly blocks, and reports. While it opens, the
 * elements it asks for are `<template>`s instead (never rendered, so CSP has nothing to judge); it
 * only sets their text. That text is copied into one constructed stylesheet, which CSP does not
 * govern: the terminal is styled and the page keeps its policy.
 */
const CSS_HOLDER = 'data-xterm-css';

function openWithInertStyles(term: Terminal, el: HTMLElement): void {
  const create = document.createElement;
  document.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    if (tag.toLowerCase() !== 'style') return create.call(this, tag, options);
    const holder = create.call(this, 'template');
    holder.setAttribute(CSS_HOLDER, '');
    return holder;
  } as typeof document.createElement;
  try {
    term.open(el);
  } finally {
    document.createElement = create;
  }
}

function mirrorStyles(root: HTMLElement): () => void {
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const copy = () =>
    sheet.replaceSync([...root.querySelectorAll(`[${CSS_HOLDER}]`)].map((s) => s.textContent).join('\n'));
  const observer = new MutationObserver(copy);
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  copy();
  return () => {
    observer.disconnect();
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
}

function execUrl(clusterId: string, namespace: string, pod: string, container: string): string {
  const q = new URLSearchParams({ container, stdin: 'true', stdout: 'true', stderr: 'true', tty: 'true' });
  for (const c of SHELL) q.append('command', c);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return (
    `${scheme}//${location.host}${proxyBase(clusterId)}/api/v1/namespaces/${encodeURIComponent(namespace)}` +
    `/pods/${encodeURIComponent(pod)}/exec?${q}`
  );
}

/** The words for the exec's final Status (channel 3): a non-zero exit or the kubelet's refusal. */
function endMessage(text: string): Status {
  try {
    const s = JSON.parse(text) as {
      status?: string;
      message?: string;
      reason?: string;
      details?: { causes?: { reason?: string; message?: string }[] };
    };
    if (s.status === 'Success') return { kind: 'ended', message: 'The shell ended.' };
    const code = s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    if (s.reason === 'NonZeroExitCode' && code)
      return { kind: 'ended', message: `The shell ended with exit code ${code}.` };
    return { kind: 'error', message: s.message ?? text };
  } catch {
    return { kind: 'error', message: text };
  }
}

export default function PodShell(props: { clusterId: string; pod: KubeObject }) {
  const { clusterId, pod } = props;
  const { namespace = 'default', name } = pod.metadata;
  // Sidecars (init containers that keep running) take a shell too; plain init containers have ended.
  const containers = [
    ...((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name),
    ...((pod.spec?.initContainers ?? []) as { name: string; restartPolicy?: string }[])
      .filter((c) => c.restartPolicy === 'Always')
      .map((c) => c.name),
  ];
  const [container, setContainer] = useState(containers[0] ?? '');
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [generation, setGeneration] = useState(0);
  const termRef = useRef<HTMLDivElement>(null);
  // A WebSocket exec is a GET, authorized as get on pods/exec; newer API servers also ask for create.
  const mayGet = useCan(clusterId, { verb: 'get', group: '', resource: 'pods', subresource: 'exec', namespace });
  const mayCreate = useCan(clusterId, { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace });
  const allowed = mayGet === undefined || mayCreate === undefined ? undefined : mayGet && mayCreate;
  const running = pod.status?.phase === 'Running';

  useEffect(() => {
    const el = termRef.current;
    if (!el || !allowed || !running || !container) return;
    const unmirror = mirrorStyles(el);
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    openWithInertStyles(term, el);
    fit.fit();
    setStatus({ kind: 'connecting' });
    const ws = new WebSocket(execUrl(clusterId, namespace, name, container), [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    ws.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    const send = (channel: number, data: Uint8Array) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frame = new Uint8Array(data.length + 1);
      frame[0] = channel;
      frame.set(data, 1);
      ws.send(frame);
    };
    const sendSize = () => send(RESIZE, encoder.encode(JSON.stringify({ Width: term.cols, Height: term.rows })));
    let ended: Status | undefined;
    const statusText = new TextDecoder();
    ws.onopen = () => {
      setStatus({ kind: 'open' });
      sendSize();
      term.focus();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      const bytes = new Uint8Array(e.data);
      if (bytes.length === 0) return;
      const channel = bytes[0];
      const data = bytes.subarray(1);
      if (channel === STDOUT || channel === STDERR) term.write(data);
      else if (channel === ERROR) ended = endMessage(statusText.decode(data));
    };
    ws.onclose = (e) => {
      if (ended) setStatus(ended);
      else if (e.code === 1000 || e.wasClean) setStatus({ kind: 'ended', message: 'The shell ended.' });
      else
        setStatus({
          kind: 'error',
          message: `The cluster closed the connection (code ${e.code}): is container ${container} running?`,
        });
    };
    const input = term.onData((d) => send(STDIN, encoder.encode(d)));
    const resized = term.onResize(sendSize);
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      input.dispose();
      resized.dispose();
      ws.onclose = null;
      ws.close();
      term.dispose();
      unmirror();
    };
  }, [clusterId, namespace, name, container, allowed, running, generation]);

  if (allowed === undefined) return <p className="muted">Checking whether you may open a shell…</p>;
  if (!allowed) {
    return (
      <p className="alert alert-warn" role="alert">
        Your roles do not allow opening a shell in pods of namespace {namespace} (Kubernetes permission{' '}
        <span className="mono">get, create pods/exec</span>). Ask a cluster or project owner for it.
      </p>
    );
  }
  if (!running) {
    return (
      <p className="alert alert-info" role="status">
        A shell needs a running container; pod {name} is {String(pod.status?.phase ?? 'not running')}.
      </p>
    );
  }
  return (
    <div className="pod-shell">
      <div className="toolbar">
        <ContainerSelect containers={containers} value={container} onChange={setContainer} />
        {(status.kind === 'ended' || status.kind === 'error') && (
          <Button variant="primary" onClick={() => setGeneration((g) => g + 1)}>
            Reconnect
          </Button>
        )}
        <span className="muted" role="status">
          {status.kind === 'connecting' ? 'Connecting…' : status.kind === 'open' ? 'Connected' : ''}
          {status.kind === 'ended' ? status.message : ''}
        </span>
      </div>
      {status.kind === 'error' && (
        <p className="error" role="alert">
          {status.message}
        </p>
      )}
      <div ref={termRef} className="terminal" aria-label={`Shell in container ${container}`} role="group" />
    </div>
  );
}
