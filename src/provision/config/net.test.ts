import { expect, test } from 'vitest';
import { cidrAddress, cidrContains, cidrsOverlap, isDnsName, parseCidr } from './net.js';

test('parseCidr reads IPv4 and IPv6 networks and refuses the rest', () => {
  expect(parseCidr('10.43.0.0/16')).toMatchObject({ bits: 32, prefix: 16, base: 0x0a2b0000n });
  expect(parseCidr('10.43.7.9/16')!.base).toBe(0x0a2b0000n);
  expect(parseCidr('fd00:10:43::/112')).toMatchObject({ bits: 128, prefix: 112 });
  for (const bad of ['10.43.0.0', '10.43.0.0/33', '10.43.0/16', 'fd00::/129', 'x/8', ''])
    expect(parseCidr(bad)).toBeNull();
});

test('containment and overlap', () => {
  const services = parseCidr('10.43.0.0/16')!;
  expect(cidrContains(services, '10.43.255.10')).toBe(true);
  expect(cidrContains(services, '10.42.0.10')).toBe(false);
  expect(cidrContains(services, 'fd00::1')).toBe(false);
  expect(cidrsOverlap(services, parseCidr('10.42.0.0/16')!)).toBe(false);
  expect(cidrsOverlap(services, parseCidr('10.0.0.0/8')!)).toBe(true);
  expect(cidrsOverlap(services, parseCidr('10.43.128.0/17')!)).toBe(true);
  expect(cidrContains(parseCidr('fd00:10:43::/112')!, 'fd00:10:43::a')).toBe(true);
});

test('cidrAddress counts from the network address', () => {
  expect(cidrAddress(parseCidr('10.43.0.0/16')!, 10n)).toBe('10.43.0.10');
  expect(cidrAddress(parseCidr('10.96.0.0/12')!, 10n)).toBe('10.96.0.10');
  expect(cidrAddress(parseCidr('fd00:10:43::/112')!, 10n)).toBe('fd00:10:43::a');
  expect(cidrAddress(parseCidr('fd00::/8')!, 0n)).toBe('fd00::');
});

test('isDnsName: lower-case RFC 1123 names', () => {
  expect(isDnsName('node-1.example.com')).toBe(true);
  for (const bad of ['Node-1', 'my_node', '-a', 'a.', '']) expect(isDnsName(bad)).toBe(false);
});
