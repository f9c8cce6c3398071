// Member numbers: 10 random digits plus a Luhn check digit, so a mistyped card number is caught before
// any lookup (and a guessed one is right only one time in ten at best).
import { randomInt } from 'node:crypto';

export const MEMBER_NUMBER_LENGTH = 11;

function luhnDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i += 1) {
    // From the right, every second digit (starting with the one next to the check digit) is doubled.
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function generateMemberNumber(): string {
  // A leading 1-9 keeps the length fixed when the number is handled as an integer somewhere.
  const payload = String(randomInt(1, 10)) + Array.from({ length: MEMBER_NUMBER_LENGTH - 2 }, () => randomInt(10)).join('');
  return payload + luhnDigit(payload);
}

/** Well-formed: the right length, digits only (spaces and dashes allowed in input), check digit right. */
export function normaliseMemberNumber(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  if (!new RegExp(`^[0-9]{${MEMBER_NUMBER_LENGTH}}$`).test(digits)) return undefined;
  return luhnDigit(digits.slice(0, -1)) === Number(digits.at(-1)) ? digits : undefined;
}
