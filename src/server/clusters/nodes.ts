import { formatResource } from '../../schema/quantity.js';
import { upstreamJson } from '../../kube/upstream-client.js';
import { listAll } from '../../store/list-all.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import { cluster as clusterType } from '../../schema/types/index.js';
import { isMember } from './memberships.js';
import { holdsNodeResources, podResources, type PodLike } from './pod-resources.js';

export interface KubeNode {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  spec?: { unschedulable?: boolean };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
    nodeInfo?: Record<string, string>;
  };
}

const ROLE = 'node-role.kubernetes.io/';

/** The requests of the pods on each node, in Rancher's display form (cpu in millicores, memory in Ki). */
export function requestedByNode(pods: PodLike[]): Map<string, Record<string, string>> {
  const sums = new Map<string, Record<string, number>>();
  for (const pod of pods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !holdsNodeResources(pod)) continue;
    const sum = sums.get(nodeName) ?? { pods: 0 };
    sums.set(nodeName, sum);
    sum.pods! += 1;
    for (const [name, v] of Object.entries(podResources(pod).requests)) sum[name] = (sum[name] ?? 0) + v;
  }
  // Amounts are millicores for cpu and base units for the rest (pod-resources' convention).
  return new Map(
    [...sums].map(([node, sum]) => [
      node,
      Object.fromEntries(
        Object.entries(sum).map(([name, v]) => [name, formatResource(name, name === 'cpu' ? v / 1000 : v)]),
      ),
    ]),
  );
}

/**
 * A downstream Node as Rancher's management node: id `<clusterId>:<nodeName>`, roles from the
 * node-role labels (a node with none is a worker, as Rancher shows imported clusters' nodes).
 */
export function nodeObject(clusterId: string, n: KubeNode, requested: Record<string, string>): StoredObject {
  const labels = n.metadata.labels ?? {};
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const controlPlane = `${ROLE}control-plane` in labels || `${ROLE}controlplane` in labels || `${ROLE}master` in labels;
  const etcd = `${ROLE}etcd` in labels;
  const worker = `${ROLE}worker` in labels || (!controlPlane && !etcd);
  const address = (type: string) => n.status?.addresses?.find((a) => a.type === type)?.address;
  const id = `${clusterId}:${n.metadata.name}`;
  return {
    type: 'node',
    id,
    metadata: {
      name: id,
      labels,
      annotations: n.metadata.annotations ?? {},
      resourceVersion: n.metadata.resourceVersion ?? '0',
      uid: n.metadata.uid ?? '',
      creationTimestamp: n.metadata.creationTimestamp ?? new Date(0).toISOString(),
      finalizers: [],
    },
    spec: {
      name: n.metadata.name,
      nodeName: n.metadata.name,
      hostname: address('Hostname') ?? labels['kubernetes.io/hostname'] ?? n.metadata.name,
      clusterId,
      ipAddress: address('InternalIP') ?? address('ExternalIP') ?? null,
      controlPlane,
      etcd,
      worker,
      unschedulable: n.spec?.unschedulable === true,
      allocatable: n.status?.allocatable ?? {},
      capacity: n.status?.capacity ?? {},
      requested,
      info: n.status?.nodeInfo ?? {},
    },
    status: {
      state: n.metadata.deletionTimestamp
        ? 'removing'
        : !ready
          ? 'unavailable'
          : n.spec?.unschedulable
            ? 'cordoned'
            : 'active',
    },
  };
}

function seesCluster(ctx: ApiContext, clusterId: string): boolean {
  return ctx.can('get', clusterType, clusterId) || isMember(ctx.memberships, clusterId);
}

async function clusterNodes(ctx: ApiContext, clusterId: string): Promise<StoredObject[]> {
  const conn = ctx.services.connections.get(clusterId);
  if (!conn) return []; // a cluster that is not connected shows no nodes, as its nodeCount does not change
  const [nodes, pods] = await Promise.all([
    upstreamJson<{ items: KubeNode[] }>(conn.upstream, 'GET', '/api/v1/nodes'),
    upstreamJson<{ items: PodLike[] }>(conn.upstream, 'GET', '/api/v1/pods'),
  ]);
  const requested = requestedByNode(pods.items);
  return nodes.items.map((n) => nodeObject(clusterId, n, requested.get(n.metadata.name) ?? { pods: '0' }));
}

/**
 * `/v3/nodes`: read from the clusters the caller sees, only the one asked for when the list is
 * filtered by `clusterId` (Rancher's CLI always does).
 */
export const nodeBehavior: TypeBehavior = {
  // Visibility is per cluster (list() reads only clusters the caller sees), not by global role.
  ownerAllows: (verb, obj, ctx) => verb === 'get' && seesCluster(ctx, String(obj.spec.clusterId)),
  ownListFilter: () => () => true,
  async list(ctx) {
    const wanted = ctx.query.get('clusterId');
    const ids = wanted ? [wanted] : (await listAll(ctx.store, 'cluster')).map((c) => c.id);
    const visible = ids.filter((id) => seesCluster(ctx, id));
    return (await Promise.all(visible.map((id) => clusterNodes(ctx, id)))).flat();
  },
  async get(id, ctx) {
    const clusterId = id.slice(0, id.indexOf(':'));
    const found = clusterId && seesCluster(ctx, clusterId) ? await clusterNodes(ctx, clusterId) : [];
    const obj = found.find((n) => n.id === id);
    if (!obj) throw new ApiError('NotFound', `node "${id}" not found`);
    return obj;
  },
};
