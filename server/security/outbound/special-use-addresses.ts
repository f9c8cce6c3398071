// Which IP addresses an outbound request may reach: loopback, private, link-local and other special-use
// ranges (IANA special-purpose registries) are told apart, so a partner-supplied URL cannot make the
// server call into its own network (SSRF), whatever host name resolves to them.
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'special_use';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Everything that is not a routable public unicast address, loopback included (checked first). */
const specialUse = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local (cloud metadata endpoints live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) specialUse.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 96], // unspecified, and IPv4-compatible addresses (::a.b.c.d, deprecated) that some stacks still map
  ['::ffff:0:0:0', 96], // IPv4-translated
  ['64:ff9b::', 96], // NAT64: embeds an IPv4 address we would not check otherwise
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo included)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
] as const) specialUse.addSubnet(network, prefix, 'ipv6');

/** `::ffff:a.b.c.d` (in any spelling) is IPv4 on the wire: judged as that IPv4 address. */
function unmapIPv4(address: string): string | undefined {
  // The URL parser writes every IPv6 address one canonical way (::ffff:7f00:1 for ::ffff:127.0.0.1).
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The class of a literal IP address; anything that is not an IP address is special use (never reached). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'special_use';
  const v4 = family === 6 ? unmapIPv4(bare) : bare;
  if (v4 !== undefined && isIP(v4) === 4) {
    if (loopback.check(v4, 'ipv4')) return 'loopback';
    return specialUse.check(v4, 'ipv4') ? 'special_use' : 'public';
  }
  if (loopback.check(bare, 'ipv6')) return 'loopback';
  // The whole ::ffff:0:0/96 block is IPv4-mapped; a form the parser above missed is refused, not guessed.
  if (/^::ffff:/i.test(bare)) return 'special_use';
  return specialUse.check(bare, 'ipv6') ? 'special_use' : 'public';
}
