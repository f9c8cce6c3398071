// Card numbers of the old program, and what an imported record must be before any store takes it (shared by
// the adapters so both refuse the same records with the same invalid_input).
//
// Old-program card numbers are not ours: they may be any 8 to 19 digits (the ISO/IEC 7812 card-number range)
// and need not carry a Luhn check digit, so none is checked; leading zeros are part of the number, which is
// why it is text. Members may type spaces and dashes. Our own member numbers (member-number.ts) are a
// separate namespace: an imported card number is only ever looked up among imported records.
import { DomainError } from '../errors.ts';
import { hasForbiddenCharacters } from '../text.ts';
import type { NewImportedMember } from './imported-members.repository.ts';

const CARD_NUMBER = /^[0-9]{8,19}$/;
/** Longest input worth reading: 19 digits with a separator between each leaves room; beyond that it is not a card. */
const MAX_CARD_INPUT_LENGTH = 40;
const E164 = /^\+[1-9][0-9]{6,14}$/;

export const MAX_NAME_LENGTH = 200;
/** Largest balance one imported record may carry (a typo of extra zeros is refused rather than credited). */
export const MAX_IMPORTED_BALANCE = 100_000_000;

/** The card number as stored (digits only), or undefined when the input is not 8-19 digits with optional spaces and dashes. */
export function normaliseCardNumber(input: string): string | undefined {
  if (input.length > MAX_CARD_INPUT_LENGTH) return undefined;
  const digits = input.trim().replace(/[\s-]/g, '');
  return CARD_NUMBER.test(digits) ? digits : undefined;
}

/** "ending 1234": enough for the member to recognise their card in a notice or the ledger, too little to claim it. */
export function cardEnding(cardNumber: string): string {
  return `ending ${cardNumber.slice(-4)}`;
}

export function assertValidImportedMember(record: NewImportedMember): void {
  const invalid = (message: string) => new DomainError('invalid_input', `card ${record.cardNumber}: ${message}`);
  if (!CARD_NUMBER.test(record.cardNumber)) throw new DomainError('invalid_input', 'card number must be 8-19 digits');
  if (record.name.length < 1 || record.name.length > MAX_NAME_LENGTH) throw invalid(`name must be 1-${MAX_NAME_LENGTH} characters`);
  // Whatever the caller, no control character reaches a store (a NUL was a fault on SQLite).
  if (hasForbiddenCharacters(record.name)) throw invalid('name must not contain control characters');
  if (record.email !== null && (!record.email.includes('@') || hasForbiddenCharacters(record.email))) throw invalid('email must be an address or null');
  if (record.phone !== null && !E164.test(record.phone)) throw invalid('phone must be E.164 or null');
  if (!Number.isSafeInteger(record.balance) || record.balance < 0 || record.balance > MAX_IMPORTED_BALANCE) {
    throw invalid(`balance must be a whole number from 0 to ${MAX_IMPORTED_BALANCE}`);
  }
}

/**
 * The old program's one name field as profile names. "Last, First" (how some exports write it) is read as such;
 * otherwise the first word is the given name and the rest the family name, so particles and double surnames
 * ("Ana García Márquez", "Jan van der Berg") stay with the family name; one word is a given name only.
 */
export function splitCardName(name: string): { givenName: string; familyName?: string } | undefined {
  const clean = name.trim().replace(/\s+/g, ' ');
  const [last, first, ...more] = clean.split(',').map((part) => part.trim());
  if (first && last && more.length === 0) return { givenName: first, familyName: last };
  if (!clean || clean.includes(',')) return undefined;
  const [given, ...family] = clean.split(' ');
  return family.length ? { givenName: given!, familyName: family.join(' ') } : { givenName: given! };
}
