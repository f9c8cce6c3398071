// Client addresses with a known country in the shipped DB-IP data, for tests of the geo risk rules and the
// SMS allowlist, and many distinct ones for attack simulations (one client address per spoofed header).
import { readFileSync } from 'node:fs';
import { isPublicIpv4 } from '../../server/security/geo/ip-address.ts';
import { dbipCsvPath } from '../../server/security/geo/ip-country.ts';
import { RangeTableBuilder, type RangeTable } from '../../server/security/geo/ip-ranges.ts';

/**
 * One public IPv4 address per country, from long-lived allocations of well-known networks (so a
 * database update is unlikely to move them): the BBC, Google Public DNS, Deutsche Telekom's resolver,
 * Free (free.fr), the University of Tokyo, Telstra's resolver, NIC.br, the University of Toronto.
 */
export const GEO_IPS = Object.freeze({
  GB: '212.58.244.20',
  US: '8.8.8.8',
  DE: '194.25.2.129',
  FR: '212.27.48.10',
  JP: '133.11.0.1',
  AU: '139.130.4.5',
  BR: '200.160.2.3',
  CA: '128.100.1.1',
} satisfies Record<'GB' | 'US' | 'DE' | 'FR' | 'JP' | 'AU' | 'BR' | 'CA', string>);

/** An IPv6 address in the WIDE Project's 2001:200::/32, allocated in 1999. */
export const GEO_IPV6 = Object.freeze({ country: 'JP', ip: '2001:200::1' });

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

let ipv4: RangeTable | undefined;

/** The IPv4 table, parsed in one go: tests can wait a few tens of milliseconds, once per worker. */
export function ipv4Table(): RangeTable {
  if (!ipv4) {
    const builder = new RangeTableBuilder(1, 'dbip-country-ipv4-num.csv');
    builder.parse(readFileSync(dbipCsvPath(4)), 0, Infinity);
    ipv4 = builder.finish();
  }
  return ipv4;
}

/**
 * `count` distinct public IPv4 addresses (all placed in `country` by the shipped data, when given),
 * spread evenly over every matching range, the same on every call: an attacker rotating through
 * proxies, not one subnet. Throws when the data has fewer addresses than asked for.
 */
export function spoofedAddresses(count: number, country?: string): string[] {
  const table = ipv4Table();
  const wanted = country?.toUpperCase();
  const firsts: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (let i = 0; i < table.length; i++) {
    const code = table.codes[table.countries[i]!];
    if (code === undefined || (wanted !== undefined && code !== wanted)) continue;
    const first = table.starts[i]!;
    const last = i + 1 < table.length ? table.starts[i + 1]! - 1 : 0xffffffff;
    if (!isPublicIpv4(first) || !isPublicIpv4(last)) continue;
    firsts.push(first);
    sizes.push(last - first + 1);
    total += last - first + 1;
  }
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new RangeError(`spoofedAddresses: ${count} asked, ${total} public addresses for ${wanted ?? 'any country'}`);
  }
  // Positions k·stride + stride/2 in the ranges laid end to end: distinct (stride ≥ 1) and increasing,
  // so one pass over the ranges maps them to addresses.
  const stride = total / count;
  const addresses: string[] = [];
  let range = 0;
  let before = 0;
  for (let k = 0; k < count; k++) {
    const position = Math.floor(k * stride + stride / 2);
    while (position >= before + sizes[range]!) before += sizes[range++]!;
    addresses.push(formatIpv4(firsts[range]! + position - before));
  }
  return addresses;
}
