/**
 * A history-API router: the URL is the state. Components read it with useRoute() and change it
 * with navigate() or <Link>; there is no route table, each level of the app switches on segments.
 */
import { useEffect, useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';

const NAVIGATE_EVENT = 'corral:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(NAVIGATE_EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(NAVIGATE_EVENT, cb);
  };
}

// A string snapshot so useSyncExternalStore sees a stable value between changes.
const snapshot = () => window.location.pathname + window.location.search;

export interface Route {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

const cache = new Map<string, Route>();

function parse(href: string): Route {
  let route = cache.get(href);
  if (!route) {
    const url = new URL(href, window.location.origin);
    const segments = url.pathname
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    route = { path: url.pathname, segments, query: url.searchParams };
    cache.clear();
    cache.set(href, route);
  }
  return route;
}

export function useRoute(): Route {
  return parse(useSyncExternalStore(subscribe, snapshot));
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  window.scrollTo(0, 0);
}

export function Link(props: {
  to: string;
  children: ReactNode;
  className?: string;
  'aria-label'?: string;
  'aria-current'?: 'page' | undefined;
}) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    // Let the browser handle new-tab and download gestures.
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a
      href={props.to}
      className={props.className}
      aria-label={props['aria-label']}
      aria-current={props['aria-current']}
      onClick={onClick}
    >
      {props.children}
    </a>
  );
}

/** Replaces the URL once rendered (navigating during render would update other components mid-render). */
export function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}
