// The DB-IP country look-up: known addresses, range edges read from the shipped file, and everything a
// spoofed or broken client address header can carry (private, reserved, malformed) answering nothing.
import { readFileSync } from 'node:fs';
import { GEO_IPS, GEO_IPV6, formatIpv4, spoofedAddresses } from '../../../test/support/geo-ips.ts';
import type { GeoLookup } from './geo.ts';
import { dbipCsvPath, loadGeoLookup } from './ip-country.ts';

// Started before any test runs, so both calls really are concurrent.
const firstLoads = [loadGeoLookup(), loadGeoLookup()];
let geo: GeoLookup;
beforeAll(async () => {
  geo = await firstLoads[0]!;
});

interface Row {
  start: bigint;
  end: bigint;
  country: string;
}

const lines = new Map<4 | 6, string[]>();

/** Row `index` of the shipped file (negative: from the end). */
function rowAt(family: 4 | 6, index: number): Row {
  if (!lines.has(family)) lines.set(family, readFileSync(dbipCsvPath(family), 'latin1').trimEnd().split('\n'));
  const [start, end, country] = lines.get(family)!.at(index)!.split(',');
  return { start: BigInt(start!), end: BigInt(end!), country: country! };
}

const ipv6Text = (n: bigint): string => n.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');

describe('loading', () => {
  it('shares one load between concurrent and later callers', async () => {
    const [a, b] = await Promise.all(firstLoads);
    expect(a).toBe(b);
    expect(await loadGeoLookup()).toBe(a);
  });
});

describe('known addresses', () => {
  it.each(Object.entries(GEO_IPS))('places the %s address', (country, ip) => {
    expect(geo.country(ip)).toBe(country);
  });

  it('places the IPv6 address, in any case and with a zone id', () => {
    expect(geo.country(GEO_IPV6.ip)).toBe(GEO_IPV6.country);
    expect(geo.country(GEO_IPV6.ip.toUpperCase())).toBe(GEO_IPV6.country);
    expect(geo.country(`${GEO_IPV6.ip}%eth0`)).toBe(GEO_IPV6.country);
    expect(geo.country('2001:0200:0000:0000:0000:0000:0000:0001')).toBe(GEO_IPV6.country);
  });

  it('answers IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    expect(geo.country(`::ffff:${GEO_IPS.DE}`)).toBe('DE');
    expect(geo.country(`0:0:0:0:0:FFFF:${GEO_IPS.DE}`)).toBe('DE');
    expect(geo.country('::ffff:c219:281')).toBe('DE'); // 194.25.2.129 in hex groups
    expect(geo.country('::ffff:192.168.1.1')).toBeUndefined();
    expect(geo.country('::ffff:127.0.0.1')).toBeUndefined();
  });

  it('answers just outside the private blocks', () => {
    for (const ip of ['9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '192.167.255.255', '192.169.0.0', '223.255.255.255']) {
      expect(geo.country(ip)).toMatch(/^[A-Z]{2}$/);
    }
  });
});

describe('range edges from the shipped file', () => {
  const MIDDLE = 150_000;

  it('IPv4: first, last and last + 1 of a range', () => {
    const [row, next] = [rowAt(4, MIDDLE), rowAt(4, MIDDLE + 1)];
    expect(next.start).toBe(row.end + 1n);
    expect(geo.country(formatIpv4(Number(row.start)))).toBe(row.country);
    expect(geo.country(formatIpv4(Number(row.end)))).toBe(row.country);
    expect(geo.country(formatIpv4(Number(row.end + 1n)))).toBe(next.country);
    expect(next.country).not.toBe(row.country);
  });

  it('IPv4: the first range in the file, and the gap before it', () => {
    const first = rowAt(4, 0);
    expect(geo.country(formatIpv4(Number(first.start)))).toBe(first.country);
    expect(geo.country(formatIpv4(Number(first.start - 1n)))).toBeUndefined();
  });

  it('IPv6: first, last and last + 1 of a range', () => {
    const [row, next] = [rowAt(6, MIDDLE), rowAt(6, MIDDLE + 1)];
    expect(next.start).toBe(row.end + 1n);
    expect(geo.country(ipv6Text(row.start))).toBe(row.country);
    expect(geo.country(ipv6Text(row.end))).toBe(row.country);
    expect(geo.country(ipv6Text(row.end + 1n))).toBe(next.country);
    expect(next.country).not.toBe(row.country);
  });

  it('the files are read in 1 MiB pieces: rows either side of every piece boundary, and every 50th row, are placed', () => {
    for (const family of [4, 6] as const) {
      rowAt(family, 0);
      const all = lines.get(family)!;
      // A piece ends at a line end just before each MiB of the file, drifting by less than a line per piece.
      const picked = new Set<number>();
      let offset = 0;
      let nextMiB = 1 << 20;
      all.forEach((line, index) => {
        offset += line.length + 1;
        if (index % 50 === 0) picked.add(index);
        if (offset >= nextMiB - 8192) {
          for (let near = Math.max(0, index - 60); near <= Math.min(all.length - 1, index + 60); near++) picked.add(near);
          if (offset >= nextMiB) nextMiB += 1 << 20;
        }
      });
      let placed = 0;
      for (const index of picked) {
        const row = rowAt(family, index);
        const ip = family === 4 ? formatIpv4(Number(row.start)) : ipv6Text(row.start);
        const expected = row.country === 'ZZ' ? undefined : row.country;
        // Private and reserved starts answer nothing whatever the file says; any other answer is the file's.
        const answer = geo.country(ip);
        if (answer === undefined && expected !== undefined) continue;
        expect([index, answer]).toEqual([index, expected]);
        placed += 1;
      }
      // The skip above is for the few reserved blocks, not a table that answers nothing.
      expect(placed).toBeGreaterThan(picked.size * 0.95);
    }
  });

  it('IPv6: the last range in the file, and the address after it', () => {
    const last = rowAt(6, -1);
    expect(geo.country(ipv6Text(last.end))).toBe(last.country);
    expect(geo.country(ipv6Text(last.end + 1n))).toBeUndefined();
  });
});

describe('addresses that are nobody\'s country', () => {
  it.each([
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.16/12, last', '172.31.255.255'],
    ['private 192.168/16', '192.168.1.1'],
    ['carrier-grade NAT 100.64/10', '100.64.0.1'],
    ['carrier-grade NAT, last', '100.127.255.255'],
    ['loopback 127/8', '127.0.0.1'],
    ['link-local 169.254/16', '169.254.169.254'],
    ['"this network" 0/8', '0.0.0.0'],
    ['broadcast', '255.255.255.255'],
    ['multicast', '224.0.0.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['TEST-NET-1', '192.0.2.1'],
    ['TEST-NET-2', '198.51.100.1'],
    ['TEST-NET-3', '203.0.113.1'],
    ['benchmarking 198.18/15', '198.19.0.1'],
    ['unique-local fc00::/7', 'fc00::1'],
    ['unique-local fd00::/8', 'fd12:3456:789a::1'],
    ['link-local fe80::/10', 'fe80::1'],
    ['link-local with a zone id', 'fe80::1%eth0'],
    ['link-local, last /10', 'febf:ffff::1'],
    ['loopback ::1', '::1'],
    ['unspecified ::', '::'],
    ['multicast ff00::/8', 'ff02::1'],
    ['documentation 2001:db8::/32', '2001:db8::1'],
    ['outside 2000::/3', '1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s (%s)', (_name, ip) => {
    expect(geo.country(ip)).toBeUndefined();
  });
});

describe('malformed input', () => {
  it.each([
    '', 'abc', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '00.0.0.0', '1.2.3.', '.1.2.3',
    '1..2.3', ' 8.8.8.8', '8.8.8.8 ', '8.8.8.8/24', '0x8.8.8.8', '8.8.8.8:443', '１.２.３.４', '1000.1.1.1',
    '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', ':1::', '1::2:', '::ffff:1.2.3',
    '::ffff:1.2.3.256', '1.2.3.4::', '::1.2.3.4:5', '[2001:200::1]', '2001:200::1%', '%eth0',
    '1:2:3:4:5:6:7:1.2.3.4',
  ])('%j', (ip) => {
    expect(geo.country(ip)).toBeUndefined();
  });

  it('refuses 100 kB strings', () => {
    expect(geo.country('x'.repeat(100_000))).toBeUndefined();
    expect(geo.country(`${GEO_IPS.US}${'0'.repeat(100_000)}`)).toBeUndefined();
    expect(geo.country(`::${'1:'.repeat(50_000)}1`)).toBeUndefined();
  });

  it('never throws on values that are not strings', () => {
    for (const value of [undefined, null, 8, 0x08080808, {}, [GEO_IPS.US], { toString: () => GEO_IPS.US }, Symbol('ip')]) {
      expect(geo.country(value as unknown as string)).toBeUndefined();
    }
  });
});

describe('spoofedAddresses (test support)', () => {
  it('gives distinct addresses of one country, the same on every call', () => {
    const addresses = spoofedAddresses(2000, 'fr');
    expect(new Set(addresses).size).toBe(2000);
    expect(addresses.every((ip) => geo.country(ip) === 'FR')).toBe(true);
    expect(spoofedAddresses(2000, 'FR')).toEqual(addresses);
  });

  it('spreads addresses of any country over many countries', () => {
    const addresses = spoofedAddresses(5000);
    expect(new Set(addresses).size).toBe(5000);
    const countries = new Set(addresses.map((ip) => geo.country(ip)));
    expect(countries.has(undefined)).toBe(false);
    expect(countries.size).toBeGreaterThan(20);
  });

  it('refuses more addresses than a country has', () => {
    expect(spoofedAddresses(0, 'VA')).toEqual([]);
    expect(() => spoofedAddresses(2 ** 32, 'VA')).toThrow(RangeError);
  });
});
