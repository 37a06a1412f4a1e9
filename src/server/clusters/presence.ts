import type { Store } from '../../store/types.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import type { Registry } from '../controllers/kit/metrics.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import type { Logger } from '../log.js';
import type { ClusterConnections } from './connections.js';
import { notConnectedStatus } from './not-connected.js';
import type { ClusterOwnership } from './ownership.js';
import { writeClusterStatus } from './status-write.js';

/**
 * The leader's pass over clusters no replica reaches: marks them pending or unavailable. A
 * cluster with a fresh lease is another replica's (it holds the tunnel) and is left alone until
 * that lease goes stale; a cluster connected here is this replica's health controller's.
 * Started when this replica starts leading and stopped when it stops.
 */
export function startPresenceController(deps: {
  store: Store;
  connections: ClusterConnections;
  ownership: ClusterOwnership;
  clusters: StoreInformer;
  leases: StoreInformer;
  log: Logger;
  registry?: Registry;
  resyncMs?: number;
}): Controller {
  const { store, connections, ownership } = deps;
  const controller = defineController({
    name: 'cluster-presence',
    log: deps.log,
    registry: deps.registry,
    resyncMs: deps.resyncMs ?? 10_000,
    resyncKeys: () => deps.clusters.cache.list().map((c) => c.id),
    reconcile: async (clusterId) => {
      // The informer's copy: this runs for every cluster every pass, and the write is compare-and-swap anyway.
      const cluster = deps.clusters.cache.get(clusterId);
      if (!cluster) return ownership.forget(clusterId);
      if (cluster.metadata.deletionTimestamp || connections.get(clusterId)) return;
      const left = await ownership.leaseLeftMs(clusterId);
      if (left > 0) return { requeueAfter: left + 100 };
      // A direct cluster is connected by the health controller of whichever replica sees it first.
      if (cluster.spec.driver !== 'imported' && cluster.spec.kubeConfigEncrypted) return;
      await writeClusterStatus(store, cluster, notConnectedStatus(cluster, new Date().toISOString()));
    },
  });
  controller.watch(deps.clusters, (c) => [c.id]);
  controller.watch(deps.leases, (l) => [l.id]);
  const onConnection = (id: string) => controller.enqueue(id);
  connections.on('change', onConnection);
  controller.start();
  return {
    ...controller,
    stop: async () => {
      connections.off('change', onConnection);
      await controller.stop();
    },
  };
}
