const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes resource quantity ("500m", "2", "16Gi", "1e3") as a number of base units. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) throw new Error(`"${q}" is not a Kubernetes quantity`);
  const suffix = m[2] ?? '';
  return Number(m[1]) * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** Sums the named resources over several resource lists (node capacities), in Rancher's display form. */
export function sumResources(lists: Record<string, string>[]): Record<string, string> {
  const totals = new Map<string, number>();
  for (const list of lists) {
    for (const [name, value] of Object.entries(list)) {
      try {
        totals.set(name, (totals.get(name) ?? 0) + parseQuantity(value));
      } catch {
        // a resource with an unparseable quantity is left out, not fatal
      }
    }
  }
  const out: Record<string, string> = {};
  for (const [name, total] of totals) out[name] = formatResource(name, total);
  return out;
}

/**
 * A total of one resource, in base units (cores for cpu), as the cluster status shows it: cpu in
 * whole cores or millicores, memory and storage in Ki, anything else as a whole number.
 */
export function formatResource(name: string, total: number): string {
  if (name === 'cpu') return Number.isInteger(total) ? String(total) : `${Math.round(total * 1000)}m`;
  if (name === 'memory' || name.includes('storage')) return `${Math.round(total / 1024)}Ki`;
  return String(Math.round(total));
}
