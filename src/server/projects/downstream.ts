import type { Upstream } from '../../kube/forward.js';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { KubeObject } from '../rbac/desired.js';

/** REST paths of the kinds the projects controller manages downstream. */
const KINDS: Record<string, { group: string; plural: string; namespaced: boolean }> = {
  ClusterRole: { group: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { group: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  RoleBinding: { group: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  ResourceQuota: { group: '/api/v1', plural: 'resourcequotas', namespaced: true },
  LimitRange: { group: '/api/v1', plural: 'limitranges', namespaced: true },
  Secret: { group: '/api/v1', plural: 'secrets', namespaced: true },
};
export const MANAGED_KINDS = Object.keys(KINDS);

function collectionPath(kind: string, namespace?: string): string {
  const k = KINDS[kind];
  if (!k) throw new Error(`unmanaged kind ${kind}`);
  return k.namespaced && namespace ? `${k.group}/namespaces/${namespace}/${k.plural}` : `${k.group}/${k.plural}`;
}

const objectPath = (o: KubeObject) => `${collectionPath(o.kind, o.metadata.namespace)}/${o.metadata.name}`;

/** Every object of the managed kinds matching a label selector, across namespaces. */
export async function listManaged(upstream: Upstream, selector: string): Promise<KubeObject[]> {
  const lists = await Promise.all(
    MANAGED_KINDS.map(async (kind) => {
      const r = await upstreamJson<{ items: KubeObject[] }>(
        upstream,
        'GET',
        `${collectionPath(kind)}?labelSelector=${encodeURIComponent(selector)}`,
        { timeoutMs: 15_000 },
      );
      return r.items.map((o) => ({ ...o, kind, apiVersion: KINDS[kind]!.group.replace(/^\/apis?\//, '') || 'v1' }));
    }),
  );
  return lists.flat();
}

export async function createObject(upstream: Upstream, o: KubeObject): Promise<void> {
  await upstreamJson(upstream, 'POST', collectionPath(o.kind, o.metadata.namespace), { body: o });
}

export async function replaceObject(upstream: Upstream, o: KubeObject): Promise<void> {
  await upstreamJson(upstream, 'PUT', objectPath(o), { body: o });
}

export async function deleteObject(upstream: Upstream, o: KubeObject): Promise<void> {
  await upstreamJson(upstream, 'DELETE', objectPath(o)).catch((err: unknown) => {
    if (!(err instanceof UpstreamError && err.status === 404)) throw err;
  });
}
