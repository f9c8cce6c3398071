// Member numbers carry a Luhn check digit that catches every single-digit typo and most swaps.
import { generateMemberNumber, MEMBER_NUMBER_LENGTH, normaliseMemberNumber } from './member-number.ts';

describe('member numbers', () => {
  it('are 11 digits with a valid check digit, and differ', () => {
    const numbers = Array.from({ length: 200 }, generateMemberNumber);
    for (const n of numbers) {
      expect(n).toMatch(new RegExp(`^[1-9][0-9]{${MEMBER_NUMBER_LENGTH - 1}}$`));
      expect(normaliseMemberNumber(n)).toBe(n);
    }
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('checks a known Luhn example and accepts spaces and dashes', () => {
    // 7992739871 has check digit 3: the classic Luhn example, 11 digits like ours.
    expect(normaliseMemberNumber('7992 7398 713')).toBe('79927398713');
    expect(normaliseMemberNumber('79927398710')).toBeUndefined();
    const n = generateMemberNumber();
    expect(normaliseMemberNumber(`${n.slice(0, 4)}-${n.slice(4, 8)} ${n.slice(8)}`)).toBe(n);
  });

  it('rejects every single-digit change of a valid number', () => {
    const n = generateMemberNumber();
    for (let i = 0; i < n.length; i += 1) {
      for (let d = 0; d <= 9; d += 1) {
        if (String(d) === n[i]) continue;
        expect(normaliseMemberNumber(n.slice(0, i) + d + n.slice(i + 1))).toBeUndefined();
      }
    }
  });

  it('rejects wrong lengths, letters and empty input', () => {
    for (const bad of ['', '123', '1234567890123', 'abcdefghijk', `${generateMemberNumber()}0`]) {
      expect(normaliseMemberNumber(bad)).toBeUndefined();
    }
  });
});
