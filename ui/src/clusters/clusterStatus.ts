import type { Cluster } from '../api/types';
import { quantityNumber } from '../../../src/schema/quantity.js';

/** Why a cluster is not active, from its failing conditions (Ready first) or its transition message. */
export function clusterReason(c: Cluster): string {
  if (c.state === 'active') return '';
  const failing = (c.conditions ?? []).filter((x) => x.status !== 'True' && (x.message || x.reason));
  failing.sort((a, b) => (a.type === 'Ready' ? -1 : b.type === 'Ready' ? 1 : 0));
  const cond = failing[0];
  if (cond) return cond.message || cond.reason || '';
  if (c.transitioningMessage) return c.transitioningMessage;
  if (c.state === 'pending') return 'waiting for the agent to connect';
  if (c.state === 'provisioning') return 'connecting to the cluster';
  return '';
}

export function kubernetesVersion(c: Cluster): string {
  return c.version?.gitVersion ?? '—';
}

export type UsedResource = 'cpu' | 'memory' | 'pods';

/**
 * What the cluster's unfinished pods request of what its nodes can give them (allocatable, not
 * capacity: the system's reservations are not there for pods), as Rancher's "Reserved" gauges.
 */
export function usedFraction(c: Cluster, key: UsedResource): number | undefined {
  const used = quantityNumber(c.requested?.[key] ?? (c.requested ? '0' : undefined));
  const total = quantityNumber(c.allocatable?.[key]);
  return used === undefined || !total ? undefined : used / total;
}
