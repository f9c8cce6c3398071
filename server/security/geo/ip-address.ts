// Strict IP text parsing for the geo look-up: a client address (from a proxy header) is untrusted input, so
// anything but a canonical public address parses to "no answer" rather than to a guess.

/** What `parseIp` found: an IPv4 address as one unsigned 32-bit number, or IPv6 as four 32-bit words. */
export type ParsedIp =
  | { family: 4; value: number }
  | { family: 6; words: Uint32Array };

/** Longest text worth parsing: 45 for `ffff:…:255.255.255.255`, plus room for a zone id. Defends the
 *  parser against megabyte "addresses" in a spoofed header. */
const MAX_LENGTH = 100;

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * Dotted quad in `text[from, to)`: exactly four decimal parts of 1–3 digits, each 0–255, no leading zeros
 * (`01.2.3.4` is octal to some parsers and decimal to others, so an attacker could pick the answer).
 * Returns the address as an unsigned number, or -1.
 */
export function parseIpv4(text: string, from = 0, to = text.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - ZERO);
      digits++;
      if (part > 255) return -1;
    } else if (c === DOT) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  // Multiplication, not shifts: shifts would turn addresses from 128.0.0.0 up negative.
  return value * 256 + part;
}

function hexDigit(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Colon-separated groups in `text[from, to)` written into `groups` from `at`; the last may be a dotted
 * quad when `ipv4Tail` (it fills two groups). Returns how many groups it wrote, or -1.
 */
function parseGroups(text: string, from: number, to: number, groups: number[], at: number, ipv4Tail: boolean): number {
  if (from === to) return 0;
  let count = 0;
  let start = from;
  for (;;) {
    let end = text.indexOf(':', start);
    if (end < 0 || end > to) end = to;
    if (end === start) return -1;
    if (end === to && ipv4Tail && text.lastIndexOf('.', to - 1) >= start) {
      const v4 = parseIpv4(text, start, end);
      if (v4 < 0 || at + count + 2 > 8) return -1;
      groups[at + count] = v4 >>> 16;
      groups[at + count + 1] = v4 & 0xffff;
      return count + 2;
    }
    if (end - start > 4 || at + count >= 8) return -1;
    let group = 0;
    for (let i = start; i < end; i++) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) return -1;
      group = group * 16 + d;
    }
    groups[at + count] = group;
    count++;
    if (end === to) return count;
    start = end + 1;
  }
}

/**
 * RFC 4291 text form: eight groups of 1–4 hex digits, at most one `::`, an optional dotted-quad tail,
 * an optional zone id (`%eth0`, dropped: it names the receiving interface, not a place).
 */
export function parseIpv6(text: string): Uint32Array | undefined {
  let to = text.indexOf('%');
  if (to === 0 || to === text.length - 1) return undefined;
  if (to < 0) to = text.length;
  const groups: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  const gap = text.indexOf('::');
  if (gap >= 0 && gap < to) {
    const again = text.indexOf('::', gap + 1);
    if (again >= 0 && again < to) return undefined;
    const head = parseGroups(text, 0, gap, groups, 0, false);
    if (head < 0) return undefined;
    const tail: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
    const tailCount = parseGroups(text, gap + 2, to, tail, 0, true);
    // `::` stands for at least one zero group.
    if (tailCount < 0 || head + tailCount > 7) return undefined;
    for (let i = 0; i < tailCount; i++) groups[8 - tailCount + i] = tail[i]!;
  } else if (parseGroups(text, 0, to, groups, 0, true) !== 8) {
    return undefined;
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = groups[2 * i]! * 65536 + groups[2 * i + 1]!;
  return words;
}

/** Parses either family; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) comes back as the IPv4 address it carries. */
export function parseIp(text: unknown): ParsedIp | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_LENGTH) return undefined;
  if (text.indexOf(':') < 0) {
    const value = parseIpv4(text);
    return value < 0 ? undefined : { family: 4, value };
  }
  const words = parseIpv6(text);
  if (!words) return undefined;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { family: 4, value: words[3]! };
  return { family: 6, words };
}

// [first address, prefix length]: IANA special-purpose blocks that are not globally routed, so a
// country for them would be a database artefact (or a header an attacker typed).
const IPV4_NOT_PUBLIC: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

const IPV4_BLOCKS = IPV4_NOT_PUBLIC.map(([first, bits]) => {
  const start = parseIpv4(first);
  return { start, end: start + 2 ** (32 - bits) - 1 };
});

export function isPublicIpv4(value: number): boolean {
  for (const block of IPV4_BLOCKS) if (value >= block.start && value <= block.end) return false;
  return true;
}

// Inside global unicast (2000::/3), the blocks that are still not somebody's network: [first 32-bit
// word, how many of its leading bits must match, the second word's first value and mask bits].
const IPV6_NOT_PUBLIC: ReadonlyArray<readonly [number, number, number, number]> = [
  [0x20010db8, 32, 0, 0], // documentation
  [0x3fff0000, 20, 0, 0], // documentation (RFC 9637)
  [0x20010020, 28, 0, 0], // ORCHIDv2 2001:20::/28
  [0x20010002, 32, 0, 16], // benchmarking 2001:2::/48
];

function matchesPrefix(word: number, first: number, bits: number): boolean {
  if (bits === 0) return true;
  const shift = 32 - bits;
  return word >>> shift === first >>> shift;
}

/** Global unicast only: ::, ::1, unique-local fc00::/7, link-local fe80::/10, multicast and the rest fall
 *  outside 2000::/3; documentation, benchmarking and ORCHID blocks inside it are refused too. */
export function isPublicIpv6(words: Uint32Array): boolean {
  const w0 = words[0]!;
  if (w0 >>> 29 !== 1) return false;
  for (const [first, bits, second, secondBits] of IPV6_NOT_PUBLIC) {
    if (matchesPrefix(w0, first, bits) && matchesPrefix(words[1]!, second, secondBits)) return false;
  }
  return true;
}
