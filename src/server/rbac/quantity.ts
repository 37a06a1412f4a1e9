/**
 * Exact Kubernetes quantity arithmetic for quotas. `src/kube/quantity.ts` parses into a JavaScript number,
 * which is right for display but not for deciding whether limits fit: 100m + 100m + 100m is
 * 0.30000000000000004 in floating point, more than a 300m project limit. Here a quantity is a BigInt count
 * of nano-units (10⁻⁹), the finest precision Kubernetes keeps (it rounds finer values up to it as well).
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
