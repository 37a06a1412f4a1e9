import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api/http';
import { useLiveList } from '../live/useLiveList';
import type { KubeObject } from './k8s';
import { useCan } from './useCan';

/** A namespace as Corral's API renders it (`/v3/cluster/<id>/namespaces`), with its project and rights. */
export interface CorralNamespace {
  id: string;
  name: string;
  clusterId: string;
  projectId: string | null;
  state: string;
  created?: string;
  links: Record<string, string>;
  actions: Record<string, string>;
}

export const namespacesUrl = (clusterId: string) => `/v3/cluster/${encodeURIComponent(clusterId)}/namespaces`;

/**
 * The namespaces the user may see, from Corral's API (which knows projects: a project member sees
 * only the project's namespaces, where Kubernetes would refuse to list them). Kept current by the
 * live namespace watch when the user may list namespaces in the cluster; `reload` after changes.
 */
export function useCorralNamespaces(clusterId: string) {
  const [data, setData] = useState<{ items: CorralNamespace[]; error?: string; loaded: boolean }>({
    items: [],
    loaded: false,
  });
  const [tick, setTick] = useState(0);
  const mayList = useCan(clusterId, { verb: 'list', group: '', resource: 'namespaces' });
  const live = useLiveList<KubeObject>(
    mayList ? { kind: 'k8s', cluster: clusterId, path: '/api/v1/namespaces' } : null,
  );
  // Any change downstream (a namespace made or moved by kubectl) changes this signature.
  const signature = live.items
    .map((n) => `${n.metadata.name}@${n.metadata.resourceVersion}`)
    .sort()
    .join(',');

  useEffect(() => {
    const abort = new AbortController();
    api<{ data: CorralNamespace[] }>('GET', namespacesUrl(clusterId), undefined, { signal: abort.signal }).then(
      (r) => setData({ items: r.data, loaded: true }),
      (err: unknown) => {
        if (!abort.signal.aborted) setData((d) => ({ ...d, error: errorMessage(err), loaded: true }));
      },
    );
    return () => abort.abort();
  }, [clusterId, signature, tick]);

  return { ...data, reload: () => setTick((t) => t + 1) };
}
