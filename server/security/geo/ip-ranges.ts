// Range tables for the geo look-up: DB-IP's `start,end,CC` CSV (addresses as decimal integers) turned into
// one sorted array of boundaries per family, answered by bisection. A step function, not start/end
// pairs: the file's ranges are contiguous but for a dozen gaps, so storing only starts (plus one
// "no country" step per gap) halves the memory of the 700k ranges.

/** Boundaries of one address family. Step i covers its start up to the next step's start (exclusive). */
export interface RangeTable {
  /** 32-bit words per address: 1 for IPv4, 4 for IPv6 (most significant first). */
  readonly width: 1 | 4;
  /** Number of steps. */
  readonly length: number;
  /** Step i's first address at words [i·width, (i+1)·width), strictly ascending; step 0 starts at 0. */
  readonly starts: Uint32Array;
  /** Country of each step, an index into `codes`. */
  readonly countries: Uint16Array;
  /** ISO 3166-1 alpha-2 codes; index 0 is "no country" (gaps and DB-IP's `ZZ`). */
  readonly codes: ReadonlyArray<string | undefined>;
}

const NEWLINE = 10;
const RETURN = 13;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const LETTER_A = 65;
const LETTER_Z = 90;
/** Folded in at once when reading a 128-bit number (nine digits): 10^9 · 2^16 stays exact in a double. */
const CHUNK_SCALE = 1e9;
/**
 * Bound once: under Jest every module runs in a vm context, where each look-up of a global such as
 * `Math` goes through an interceptor (~300 ns); in the 128-bit loop that made a 0.3 s load take 20 s.
 */
const { floor } = Math;

/**
 * Builds a table from the CSV in slices, so a caller can hand the event loop back between them. Refuses
 * (throws) a malformed, unsorted or overlapping file: a quietly wrong table would misplace members.
 */
export class RangeTableBuilder {
  private starts: Uint32Array;
  private countries: Uint16Array;
  private length = 0;
  private line = 0;
  private readonly codes: Array<string | undefined> = [undefined];
  /** Index in `codes` by (first letter · 26 + second letter); -1 while unseen. */
  private readonly codeIndex = new Int16Array(26 * 26).fill(-1);
  /** The previous range's end + 1, where the next range must start to leave no gap (once `hasNext`). */
  private readonly next: Uint32Array;
  private hasNext = false;
  /** The next address wrapped past the top of the address space: nothing may follow. */
  private full = false;
  private readonly start: Uint32Array;
  private readonly end: Uint32Array;
  private readonly limbs = new Float64Array(8);
  private readonly width: 1 | 4;
  /** Names the file in errors. */
  private readonly label: string;

  /** `expectedRows` sizes the arrays up front (each growth leaves the old arrays behind as garbage). */
  constructor(width: 1 | 4, label: string, expectedRows = 1 << 16) {
    this.width = width;
    this.label = label;
    // Grown as needed and trimmed by finish(): the files hold ~350k rows each.
    const capacity = Math.max(1024, Math.ceil(expectedRows));
    this.starts = new Uint32Array(capacity * width);
    this.countries = new Uint16Array(capacity);
    this.next = new Uint32Array(width);
    this.start = new Uint32Array(width);
    this.end = new Uint32Array(width);
    // DB-IP's "ZZ" (unknown) is no country: it shares index 0 with the gaps.
    this.codeIndex[25 * 26 + 25] = 0;
  }

  /**
   * Parses up to `maxRows` lines of `buf` from `offset` (a line start); returns the offset after the last
   * line parsed, `buf.length` once the file is done. A file read in pieces passes `final` false for every piece
   * but the last (each piece whole lines), so an empty line is tolerated only at the very end of the file.
   */
  parse(buf: Uint8Array, offset: number, maxRows: number, final = true): number {
    let at = offset;
    for (let rows = 0; rows < maxRows && at < buf.length; rows++) {
      this.line++;
      if (buf[at] === NEWLINE) {
        // Only a trailing empty line is tolerated.
        if (!final || at + 1 !== buf.length) this.fail();
        return buf.length;
      }
      at = this.readNumber(buf, at, this.start);
      if (buf[at++] !== COMMA) this.fail();
      at = this.readNumber(buf, at, this.end);
      if (buf[at++] !== COMMA) this.fail();
      const country = this.readCountry(buf[at], buf[at + 1]);
      at += 2;
      if (buf[at] === RETURN) at++;
      if (at < buf.length && buf[at++] !== NEWLINE) this.fail();
      this.addRange(country);
    }
    return at;
  }

  finish(): RangeTable {
    if (this.hasNext && !this.full) this.push(this.next, 0);
    const { width, length } = this;
    // Trim the growth slack (up to a third) unless it is too small to be worth a copy.
    const trim = this.countries.length - length > 1024;
    return Object.freeze({
      width,
      length,
      starts: trim ? this.starts.slice(0, length * width) : this.starts,
      countries: trim ? this.countries.slice(0, length) : this.countries,
      codes: Object.freeze([...this.codes]),
    });
  }

  private fail(): never {
    throw new Error(`${this.label}: line ${this.line} is not "start,end,CC" in ascending order`);
  }

  private addRange(country: number): void {
    const { width, start, end, next } = this;
    if (compare(end, 0, start, 0, width) < 0) this.fail();
    if (!this.hasNext) {
      if (!isZero(start, width)) this.push(new Uint32Array(width), 0);
    } else {
      if (this.full) this.fail();
      const order = compare(start, 0, next, 0, width);
      if (order < 0) this.fail();
      if (order > 0) this.push(next, 0);
    }
    this.push(start, country);
    for (let w = 0; w < width; w++) next[w] = end[w]!;
    this.full = increment(next, width);
    this.hasNext = true;
  }

  /** Appends a step, unless it would only repeat the previous step's country. */
  private push(address: Uint32Array, country: number): void {
    const { width } = this;
    if (this.length > 0 && this.countries[this.length - 1] === country) return;
    if (this.length === this.countries.length) this.grow();
    // A loop, not TypedArray#set: for one to four words the call costs more than the copy.
    const at = this.length * width;
    for (let w = 0; w < width; w++) this.starts[at + w] = address[w]!;
    this.countries[this.length] = country;
    this.length++;
  }

  private grow(): void {
    const capacity = Math.ceil(this.countries.length * 1.5);
    const starts = new Uint32Array(capacity * this.width);
    starts.set(this.starts);
    const countries = new Uint16Array(capacity);
    countries.set(this.countries);
    this.starts = starts;
    this.countries = countries;
  }

  private readCountry(first: number | undefined, second: number | undefined): number {
    if (first === undefined || second === undefined) this.fail();
    if (first < LETTER_A || first > LETTER_Z || second < LETTER_A || second > LETTER_Z) this.fail();
    const key = (first - LETTER_A) * 26 + (second - LETTER_A);
    let index = this.codeIndex[key]!;
    if (index < 0) {
      index = this.codes.length;
      this.codes.push(String.fromCharCode(first, second));
      this.codeIndex[key] = index;
    }
    return index;
  }

  /** A decimal integer at `at` into `out`; returns the offset after it. */
  private readNumber(buf: Uint8Array, at: number, out: Uint32Array): number {
    const after = this.width === 1 ? readDecimal32(buf, at, out) : readDecimal128(buf, at, out, this.limbs);
    if (after < 0) this.fail();
    return after;
  }
}

/** An unsigned 32-bit decimal at `at` into out[0]; the offset after it, or -1. */
function readDecimal32(buf: Uint8Array, at: number, out: Uint32Array): number {
  let i = at;
  let value = 0;
  for (let c = buf[i]; c !== undefined && c >= ZERO && c <= NINE; c = buf[++i]) value = value * 10 + (c - ZERO);
  if (i === at || i - at > 10 || value > 0xffffffff) return -1;
  out[0] = value;
  return i;
}

/**
 * An unsigned 128-bit decimal at `at` into out[0..3] (big-endian words), without BigInt (which costs
 * twice as much here): eight 16-bit limbs, most significant first, fed nine digits at a time.
 * The offset after it, or -1.
 */
function readDecimal128(buf: Uint8Array, at: number, out: Uint32Array, limbs: Float64Array): number {
  let i = at;
  limbs.fill(0);
  let top = 7;
  for (;;) {
    let chunk = 0;
    let scale = 1;
    for (let c = buf[i]; scale < CHUNK_SCALE && c !== undefined && c >= ZERO && c <= NINE; c = buf[++i]) {
      chunk = chunk * 10 + (c - ZERO);
      scale *= 10;
    }
    if (scale === 1) break;
    let carry = chunk;
    // Limbs above `top` are still zero: stop there once nothing carries into them.
    for (let j = 7; j >= 0 && (j >= top || carry !== 0); j--) {
      const v = limbs[j]! * scale + carry;
      carry = floor(v / 65536);
      limbs[j] = v - carry * 65536;
      if (j < top) top = j;
    }
    if (carry !== 0) return -1;
  }
  if (i === at) return -1;
  for (let w = 0; w < 4; w++) out[w] = limbs[2 * w]! * 65536 + limbs[2 * w + 1]!;
  return i;
}

function compare(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number, width: number): number {
  for (let w = 0; w < width; w++) {
    const x = a[aAt + w]!;
    const y = b[bAt + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZero(a: Uint32Array, width: number): boolean {
  for (let w = 0; w < width; w++) if (a[w] !== 0) return false;
  return true;
}

/** Adds one in place; returns true when it wrapped past the top (the address was all ones). */
function increment(a: Uint32Array, width: number): boolean {
  for (let w = width - 1; w >= 0; w--) {
    if (a[w] !== 0xffffffff) {
      a[w] = a[w]! + 1;
      return false;
    }
    a[w] = 0;
  }
  return true;
}

/**
 * The country index of the last step whose start is at or below the address, as told by
 * `startAtOrBelow(i)`; step 0 starts at 0, so there always is one in a non-empty table.
 */
function findStep(table: RangeTable, startAtOrBelow: (step: number) => boolean): number {
  let low = 0;
  let high = table.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (startAtOrBelow(mid)) low = mid;
    else high = mid - 1;
  }
  return table.length === 0 ? 0 : table.countries[low]!;
}

/** The country index of an IPv4 address (unsigned 32-bit number). */
export function findIpv4(table: RangeTable, address: number): number {
  const { starts } = table;
  return findStep(table, (step) => starts[step]! <= address);
}

/** The country index of an IPv6 address (four big-endian 32-bit words). */
export function findIpv6(table: RangeTable, address: Uint32Array): number {
  const { starts } = table;
  return findStep(table, (step) => compare(starts, step * 4, address, 0, 4) <= 0);
}
