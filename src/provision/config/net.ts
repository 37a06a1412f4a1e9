import { isIP } from 'node:net';

/** An IPv4 or IPv6 network: its address as a big integer, its prefix length and width in bits. */
export interface Cidr {
  text: string;
  bits: 32 | 128;
  base: bigint;
  prefix: number;
}

function ipToBigInt(ip: string): bigint | null {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  if (family !== 6) return null;
  // Expand "::" and a trailing dotted IPv4 part into eight 16-bit groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1]!)!;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...zeros, ...tailParts].reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}

/** Parses "10.43.0.0/16" or "fd00::/108"; null when it is not a CIDR. */
export function parseCidr(text: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return null;
  const family = isIP(m[1]!);
  if (!family) return null;
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (prefix > bits) return null;
  const base = ipToBigInt(m[1]!)!;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { text, bits, base: base & mask, prefix };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const family = isIP(ip);
  if (!family || (family === 4 ? 32 : 128) !== cidr.bits) return false;
  const shift = BigInt(cidr.bits - cidr.prefix);
  return ipToBigInt(ip)! >> shift === cidr.base >> shift;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.bits !== b.bits) return false;
  const shift = BigInt(a.bits - Math.min(a.prefix, b.prefix));
  return a.base >> shift === b.base >> shift;
}

/** The address `offset` places after the network address, e.g. (10.43.0.0/16, 10) → 10.43.0.10. */
export function cidrAddress(cidr: Cidr, offset: bigint): string {
  const n = cidr.base + offset;
  if (cidr.bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Shorten the longest run of two or more zero groups to "::" (RFC 5952).
  let [start, len] = [-1, 1];
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > len) [start, len] = [i, j - i];
  }
  if (start < 0) return groups.join(':');
  return `${groups.slice(0, start).join(':')}::${groups.slice(start + len).join(':')}`;
}

/** A DNS name (RFC 1123 subdomain, lower case): node names, the cluster domain. */
export function isDnsName(name: string): boolean {
  return /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}
