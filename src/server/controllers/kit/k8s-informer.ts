import { upstreamJson, UpstreamError } from '../../../kube/upstream-client.js';
import type { Upstream } from '../../../kube/forward.js';
import { openK8sWatch } from '../../ui/k8s-watch.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { ObjectCache, type InformerHandlers } from './cache.js';

export interface KubeObjectLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export interface K8sInformerOptions {
  /** Collection path, such as /api/v1/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per list page. */
  pageSize?: number;
  pageTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Told of each failure and how long until the next attempt (403 from an old agent, 429, a lost tunnel). */
  onFailure?(reason: string, status: number | undefined, retryInMs: number): void;
  /** Told after each complete list (the first one, and every relist). */
  onSynced?(): void;
}

/** A watch that lived this long proved the cluster works: the next failure starts the backoff over. */
const HEALTHY_WATCH_MS = 30_000;

/**
 * One kind of one cluster kept in memory: listed in pages, then watched from the list's
 * resourceVersion through `openK8sWatch` (which resumes watches the API server ends). A 410 or a
 * broken watch lists again; every failure (403, 429, a lost connection) waits a jittered,
 * exponentially growing delay before the next attempt, so hundreds of clusters failing together
 * do not turn into a storm of lists.
 */
export class K8sInformer<T extends KubeObjectLike = KubeObjectLike> {
  readonly cache = new ObjectCache<T>(
    (o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`,
    (o) => o.metadata?.namespace,
    (o) => o.metadata?.labels,
    (a, b) => a.metadata?.resourceVersion === b.metadata?.resourceVersion,
  );
  synced = false;
  private stopped = false;
  private watch?: { stop(): void };
  private timer?: NodeJS.Timeout;
  private readonly backoff: Backoff;
  private watchOpenedAt = 0;

  constructor(
    private readonly upstream: Upstream,
    private readonly opts: K8sInformerOptions,
  ) {
    this.backoff = new Backoff({ baseMs: 1000, maxMs: 300_000, ...opts.backoff });
  }

  on(handlers: InformerHandlers<T>): () => void {
    return this.cache.on(handlers);
  }

  start(): void {
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watch?.stop();
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    let resourceVersion: string;
    try {
      const listed = await this.list();
      if (this.stopped) return;
      this.cache.replace(listed.items);
      resourceVersion = listed.resourceVersion;
    } catch (err) {
      this.failed((err as Error).message, err instanceof UpstreamError ? err.status : undefined);
      return;
    }
    this.synced = true;
    this.opts.onSynced?.();
    this.watchOpenedAt = Date.now();
    this.watch = openK8sWatch(
      this.upstream,
      {},
      {
        path: this.opts.path,
        resourceVersion,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      },
      {
        onEvent: (e) => {
          const o = e.object as T;
          if (e.type === 'DELETED') this.cache.remove(o);
          else this.cache.upsert(o);
        },
        onResync: (reason) => {
          if (Date.now() - this.watchOpenedAt >= HEALTHY_WATCH_MS) this.backoff.reset();
          this.failed(reason, undefined);
        },
        onError: (f) => this.failed(`${f.status} ${f.message}`, f.status),
      },
    );
  }

  private async list(): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont = '';
    for (;;) {
      const query = new URLSearchParams({ limit: String(this.opts.pageSize ?? 500) });
      if (this.opts.labelSelector) query.set('labelSelector', this.opts.labelSelector);
      if (this.opts.fieldSelector) query.set('fieldSelector', this.opts.fieldSelector);
      if (cont) query.set('continue', cont);
      let page: { metadata: { resourceVersion: string; continue?: string }; items: T[] };
      try {
        page = await upstreamJson(this.upstream, 'GET', `${this.opts.path}?${query}`, {
          timeoutMs: this.opts.pageTimeoutMs ?? 60_000,
        });
      } catch (err) {
        // The continue token outlived the API server's compaction: start the list over.
        if (cont && err instanceof UpstreamError && err.status === 410) {
          items.length = 0;
          cont = '';
          continue;
        }
        throw err;
      }
      items.push(...page.items);
      if (this.stopped || !page.metadata.continue) return { items, resourceVersion: page.metadata.resourceVersion };
      cont = page.metadata.continue;
    }
  }

  private failed(reason: string, status: number | undefined): void {
    if (this.stopped) return;
    this.watch?.stop();
    const delay = this.backoff.next();
    this.opts.onFailure?.(reason, status, delay);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sync(), delay);
    this.timer.unref();
  }
}
