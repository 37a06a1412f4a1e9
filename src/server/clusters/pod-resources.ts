import { quantityMilliValue, quantityValue } from '../../schema/quantity.js';

/** Resource amounts in whole units: millicores for cpu, base units (bytes, counts) for the rest. */
export type Amounts = Record<string, number>;

interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

interface Container {
  resources?: ResourceRequirements;
  restartPolicy?: string;
}

export interface PodLike {
  metadata?: { uid?: string };
  spec?: {
    containers?: Container[];
    initContainers?: Container[];
    overhead?: Record<string, string>;
    nodeName?: string;
  };
  status?: { phase?: string };
}

export interface PodResources {
  requests: Amounts;
  limits: Amounts;
}

/**
 * Kubernetes keeps cpu exact to the millicore and rounds everything else up to a whole unit
 * (Quantity.MilliValue / Value); integers also keep a running sum free of floating-point drift.
 */
function toUnits(name: string, quantity: string): number | undefined {
  try {
    return Number(name === 'cpu' ? quantityMilliValue(quantity) : quantityValue(quantity));
  } catch {
    return undefined; // the API server validates quantities; an odd one is left out, not fatal
  }
}

function amountsOf(list: Record<string, string> | undefined): Amounts {
  const out: Amounts = {};
  for (const [name, q] of Object.entries(list ?? {})) {
    const units = toUnits(name, q);
    if (units !== undefined) out[name] = units;
  }
  return out;
}

function add(into: Amounts, more: Amounts): void {
  for (const [name, v] of Object.entries(more)) into[name] = (into[name] ?? 0) + v;
}

function maxInto(into: Amounts, other: Amounts): void {
  for (const [name, v] of Object.entries(other)) if (v > (into[name] ?? 0)) into[name] = v;
}

/**
 * What a pod reserves, counted as the scheduler counts it: the app containers and the sidecars
 * (init containers with restartPolicy Always, which keep running) add up; a plain init container
 * runs alone before them, beside only the sidecars started ahead of it, so it counts only where
 * it needs more than that sum; the RuntimeClass overhead comes on top.
 */
function effective(pod: PodLike, pick: (r: ResourceRequirements) => Record<string, string> | undefined): Amounts {
  const total: Amounts = {};
  for (const c of pod.spec?.containers ?? []) add(total, amountsOf(pick(c.resources ?? {})));
  const sidecars: Amounts = {};
  const initPeak: Amounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = amountsOf(pick(c.resources ?? {}));
    if (c.restartPolicy === 'Always') {
      add(sidecars, own);
      add(total, own);
    } else {
      const withSidecars = { ...sidecars };
      add(withSidecars, own);
      maxInto(initPeak, withSidecars);
    }
  }
  maxInto(total, initPeak);
  return total;
}

/** A pod that is finished (Succeeded or Failed) holds nothing on its node any more. */
export function isTerminated(pod: PodLike): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * What a cluster's "requested" counts, as the scheduler and Rancher do: pods placed on a node and
 * not finished. A pod still waiting for a node (perhaps because none has room) reserves nothing,
 * so requested never exceeds allocatable for a reason no node sees.
 */
export function holdsNodeResources(pod: PodLike): boolean {
  return !!pod.spec?.nodeName && !isTerminated(pod);
}

/** The pod's effective requests and limits; zero amounts are left out. */
export function podResources(pod: PodLike): PodResources {
  const requests = effective(pod, (r) => r.requests);
  const limits = effective(pod, (r) => r.limits);
  const overhead = amountsOf(pod.spec?.overhead);
  add(requests, overhead);
  // As the kubelet sizes the pod's cgroup: overhead raises a limit only where one is set.
  for (const [name, v] of Object.entries(overhead)) if (limits[name]) limits[name] += v;
  const nonZero = (a: Amounts) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== 0));
  return { requests: nonZero(requests), limits: nonZero(limits) };
}
