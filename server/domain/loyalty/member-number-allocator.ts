// Issues member numbers during a bulk import that can collide neither with each other nor with a number a later row
// of the same file keeps: the file's kept numbers are reserved before the first row is written (a Bloom filter, so
// memory stays bounded whatever the file size; a false positive only costs one more draw, never a collision).
import { generateMemberNumber } from './member-number.ts';

/** Bounds of the filter: 64 Ki bits for tiny files, 128 Mi bits (16 MiB) for the largest. */
const MIN_BITS = 2 ** 16;
const MAX_BITS = 2 ** 27;
const PROBES = 4;
/** Draws before giving up: with a sane filter, a draw is refused a few times in a million at most. */
const MAX_DRAWS = 1000;

/** A set of 11-digit numbers with no false negatives: `mightHold` is true for every added number. */
export class NumberFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** `expected`: how many numbers at most will be added (sized at ~32 bits each, within the bounds above). */
  constructor(expected: number) {
    let size = MIN_BITS;
    while (size < expected * 32 && size < MAX_BITS) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(value: string): void {
    for (const bit of this.probes(value)) this.bits[bit >>> 5]! |= 1 << (bit & 31);
  }

  mightHold(value: string): boolean {
    for (const bit of this.probes(value)) if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    return true;
  }

  /** Double hashing over two 32-bit FNV-1a variants of the digits. */
  private probes(value: string): number[] {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < value.length; i += 1) {
      const c = value.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h2 |= 1;
    const out: number[] = [];
    for (let i = 0; i < PROBES; i += 1) out.push(((h1 + Math.imul(i, h2)) >>> 0) & this.mask);
    return out;
  }
}

export class MemberNumberAllocator {
  private readonly reserved: NumberFilter;
  private readonly issued = new Set<string>();
  private readonly draw: () => string;

  /** `draw` is the source of candidates (tests pass a narrow one to force collisions). */
  constructor(reserved: NumberFilter, draw: () => string = generateMemberNumber) {
    this.reserved = reserved;
    this.draw = draw;
  }

  /**
   * A number that no row of the file keeps and that this allocator has not issued since the last `forgetIssued`.
   * Numbers other members already hold in the store are the store's to refuse (the caller draws again).
   */
  next(): string {
    for (let attempt = 0; attempt < MAX_DRAWS; attempt += 1) {
      const candidate = this.draw();
      if (this.issued.has(candidate) || this.reserved.mightHold(candidate)) continue;
      this.issued.add(candidate);
      return candidate;
    }
    throw new Error('could not draw a free member number');
  }

  /** After a committed batch its numbers are in the store, which refuses them from then on: memory stays bounded. */
  forgetIssued(): void {
    this.issued.clear();
  }
}
