// Member numbers issued during an import never collide: not with each other, and not with a number a later row of
// the same file keeps (the bug: ~12 rows per million were refused because an issued number had taken theirs).
import { randomInt } from 'node:crypto';
import { generateMemberNumber, normaliseMemberNumber } from './member-number.ts';
import { MemberNumberAllocator, NumberFilter } from './member-number-allocator.ts';

/** Luhn-valid 11-digit numbers from a space of `size` payloads, so that collisions would be frequent without the allocator. */
function narrowSpace(size: number): () => string {
  return () => {
    const payload = String(7_000_000_000 + randomInt(size));
    let sum = 0;
    for (let i = 0; i < payload.length; i += 1) {
      let digit = Number(payload[payload.length - 1 - i]);
      if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    return payload + String((10 - (sum % 10)) % 10);
  };
}

describe('member number allocator', () => {
  it('issues 50,000 numbers that are unique, valid and never one the file keeps, from a space where chance would collide', () => {
    const draw = narrowSpace(200_000);
    // The file keeps 50,000 numbers of the same narrow space (the old program's numbering).
    const kept = new Set<string>();
    while (kept.size < 50_000) kept.add(draw());
    const filter = new NumberFilter(100_000);
    for (const number of kept) filter.add(number);
    const allocator = new MemberNumberAllocator(filter, draw);
    const issued = Array.from({ length: 50_000 }, () => allocator.next());
    expect(new Set(issued).size).toBe(issued.length);
    expect(issued.filter((number) => kept.has(number))).toEqual([]);
    for (const number of issued.slice(0, 1000)) expect(normaliseMemberNumber(number)).toBe(number);
  });

  it('holds every number added (no false negatives) with few false positives at its size', () => {
    const filter = new NumberFilter(20_000);
    const added = Array.from({ length: 20_000 }, generateMemberNumber);
    for (const number of added) filter.add(number);
    expect(added.every((number) => filter.mightHold(number))).toBe(true);
    const addedSet = new Set(added);
    const others = Array.from({ length: 20_000 }, generateMemberNumber).filter((number) => !addedSet.has(number));
    expect(others.filter((number) => filter.mightHold(number)).length).toBeLessThan(others.length / 100);
  });

  it('forgets issued numbers after a batch (the store holds them from then on), so memory stays bounded', () => {
    const allocator = new MemberNumberAllocator(new NumberFilter(10), () => '79927398713');
    expect(allocator.next()).toBe('79927398713');
    expect(() => allocator.next()).toThrow('could not draw a free member number');
    allocator.forgetIssued();
    expect(allocator.next()).toBe('79927398713');
  });
});
