/**
 * Kubernetes quantities, exactly: the one parser for the server (quotas, cluster usage, validation) and the
 * web UI. A quantity is a BigInt count of nano-units (10⁻⁹), the finest precision Kubernetes keeps (it rounds
 * finer values up to it as well); floating point would not do for deciding whether limits fit, as
 * 100m + 100m + 100m is 0.30000000000000004 there, more than a 300m project limit.
 */

const BINARY: Record<string, bigint> = { Ki: 1n, Mi: 2n, Gi: 3n, Ti: 4n, Pi: 5n, Ei: 6n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// Kubernetes' grammar: sign, digits with an optional fraction, then a binary suffix, a decimal suffix, or
// a decimal exponent. "1E" is one exa; "1e3" and "1E3" are a thousand.
const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const NANO = 10n ** 9n;

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a || a < 0n ? q : q + 1n;
}

function roundDiv(a: bigint, b: bigint): bigint {
  return a < 0n ? -roundDiv(-a, b) : (a + b / 2n) / b;
}

/** A quantity ("500m", "2", "1.5Gi", "1e3") as a whole number of nano-units; throws when it is not one. */
export function toNano(q: string): bigint {
  const m = QUANTITY_RE.exec(q);
  if (!m) throw new Error(`"${q}" is not a Kubernetes quantity`);
  const [, sign, number, suffix, exponent] = m;
  const [whole = '', fraction = ''] = number!.split('.');
  let value = BigInt((whole || '0') + fraction);
  let power10 = 9 - fraction.length; // value × 10^power10 nano-units, before the suffix
  if (suffix && suffix in BINARY) value *= 1024n ** BINARY[suffix]!;
  else if (suffix) power10 += DECIMAL[suffix]!;
  else if (exponent !== undefined) {
    const e = Number(exponent);
    // Kubernetes refuses quantities beyond about ±9.2e18; this bound only keeps BigInt sizes sane.
    if (Math.abs(e) > 60) throw new Error(`"${q}" is out of range`);
    power10 += e;
  }
  const nano = power10 >= 0 ? value * 10n ** BigInt(power10) : ceilDiv(value, 10n ** BigInt(-power10));
  return sign === '-' ? -nano : nano;
}

export type QuantityUnit = 'cpu' | 'bytes' | 'count';

const DECIMAL_SUFFIXES: [string, bigint][] = [
  ['E', 10n ** 27n],
  ['P', 10n ** 24n],
  ['T', 10n ** 21n],
  ['G', 10n ** 18n],
  ['M', 10n ** 15n],
  ['k', 10n ** 12n],
  ['', NANO],
  ['m', 10n ** 6n],
  ['u', 10n ** 3n],
  ['n', 1n],
];
const BINARY_SUFFIXES: [string, bigint][] = [
  ['Ei', 2n ** 60n * NANO],
  ['Pi', 2n ** 50n * NANO],
  ['Ti', 2n ** 40n * NANO],
  ['Gi', 2n ** 30n * NANO],
  ['Mi', 2n ** 20n * NANO],
  ['Ki', 2n ** 10n * NANO],
];

function largestExact(nano: bigint, suffixes: [string, bigint][]): string | undefined {
  for (const [suffix, size] of suffixes) {
    if (nano % size === 0n) return `${nano / size}${suffix}`;
  }
  return undefined;
}

/**
 * A nano-unit count as a quantity a person reads in the resource's own units: CPU in cores, or millicores
 * when not whole ("2", "500m"); bytes with the largest exact binary suffix ("1536Mi") or the largest
 * exact decimal one ("1500M"), whichever is shorter; counts as plain numbers. Always exact, never rounded.
 */
export function formatNano(nano: bigint, unit: QuantityUnit): string {
  if (nano === 0n) return '0';
  if (nano < 0n) return `-${formatNano(-nano, unit)}`;
  if (unit === 'cpu') {
    if (nano % NANO === 0n) return String(nano / NANO);
    if (nano % 10n ** 6n === 0n) return `${nano / 10n ** 6n}m`;
  } else if (unit === 'bytes' && nano % NANO === 0n) {
    const binary = largestExact(nano, BINARY_SUFFIXES);
    const decimal = largestExact(nano, DECIMAL_SUFFIXES)!;
    // The shorter of the two reads better ("1Gi", not "1073741824"; "1G", not "976562500Ki").
    return binary && binary.length <= decimal.length ? binary : decimal;
  } else if (unit === 'count' && nano % NANO === 0n) {
    return String(nano / NANO);
  }
  return largestExact(nano, DECIMAL_SUFFIXES)!;
}

/** Whether a string is a quantity (surrounding blanks allowed, as the old parsers did). */
export function isQuantity(q: string): boolean {
  try {
    toNano(q.trim());
    return true;
  } catch {
    return false;
  }
}

/** Kubernetes' `Quantity.Value()`: whole base units, rounded up. */
export function quantityValue(q: string): bigint {
  return ceilDiv(toNano(q.trim()), NANO);
}

/** Kubernetes' `Quantity.MilliValue()`: whole thousandths, rounded up. */
export function quantityMilliValue(q: string): bigint {
  return ceilDiv(toNano(q.trim()), 10n ** 6n);
}

/**
 * A quantity as a number of base units, for display and ratios (a usage bar), where a float is fine;
 * undefined when it is not a quantity. Sums and comparisons stay with `toNano`.
 */
export function quantityNumber(q: string | null | undefined): number | undefined {
  if (!q) return undefined;
  try {
    const nano = toNano(q.trim());
    return Number(nano / NANO) + Number(nano % NANO) / 1e9;
  } catch {
    return undefined;
  }
}

/** Compares two quantities: negative, zero or positive, as `Array.prototype.sort` wants. */
export function compareQuantities(a: string, b: string): number {
  const d = toNano(a.trim()) - toNano(b.trim());
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** The sum of quantities, in nano-units. */
export function addQuantities(...qs: string[]): bigint {
  return qs.reduce((sum, q) => sum + toNano(q.trim()), 0n);
}

/**
 * A total of one resource as the cluster status shows it (Rancher's form): cpu in whole cores or
 * millicores, memory and storage in Ki, anything else as a whole number; rounded to the nearest.
 */
export function formatResourceNano(name: string, nano: bigint): string {
  if (name === 'cpu') return nano % NANO === 0n ? String(nano / NANO) : `${roundDiv(nano, 10n ** 6n)}m`;
  if (name === 'memory' || name.includes('storage')) return `${roundDiv(nano, 1024n * NANO)}Ki`;
  return String(roundDiv(nano, NANO));
}

/**
 * `formatResourceNano` for an amount counted in JavaScript numbers: cores (fractions to the millicore)
 * for cpu, whole base units otherwise, as cluster usage keeps its running sums.
 */
export function formatResource(name: string, total: number): string {
  const nano = name === 'cpu' ? BigInt(Math.round(total * 1000)) * 10n ** 6n : BigInt(Math.round(total)) * NANO;
  return formatResourceNano(name, nano);
}

/** Sums the named resources over several resource lists (node capacities), in Rancher's display form. */
export function sumResources(lists: Record<string, string>[]): Record<string, string> {
  const totals = new Map<string, bigint>();
  for (const list of lists) {
    for (const [name, value] of Object.entries(list)) {
      try {
        totals.set(name, (totals.get(name) ?? 0n) + toNano(value.trim()));
      } catch {
        // a resource with an unparseable quantity is left out, not fatal
      }
    }
  }
  const out: Record<string, string> = {};
  for (const [name, total] of totals) out[name] = formatResourceNano(name, total);
  return out;
}
