// Reads a mobile number as a member types it into E.164, refusing anything that cannot take an SMS code
// (and the premium, toll-free and satellite ranges that SMS-pumping fraud sends codes to).
import { isSupportedCountry, parsePhoneNumberFromString, type PhoneNumberType } from 'libphonenumber-js/max';

export type PhoneNumberResult =
  | { ok: true; e164: string; country: string }
  | { ok: false; reason: 'phone.invalid' | 'phone.not_mobile' };

/** Longest input worth parsing: the longest E.164 number is 15 digits, which leaves room for spacing. */
const MAX_INPUT_LENGTH = 32;

/**
 * Digits with the punctuation people type ("+44 (0) 7400 123-456", "0151/2345678"), an optional leading
 * "+", nothing else. libphonenumber would otherwise pull a number out of any text and turn vanity
 * letters into digits; refusing letters also refuses extensions ("ext. 12", "x12"), which no SMS reaches.
 */
const NUMBER_LIKE = /^\+?[0-9\s().\-/]+$/;

/**
 * Number types that receive SMS. FIXED_LINE_OR_MOBILE is what the metadata says where the two share a
 * range (all of North America, among others): refusing it would refuse every US and Canadian member.
 * A valid number with no type is refused: with the full ("max") metadata every country has type
 * patterns and a number is valid only when it matches one, so no type would mean metadata we do not
 * understand, and each SMS costs money.
 */
const SMS_CAPABLE: ReadonlySet<PhoneNumberType> = new Set<PhoneNumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * `defaultCountry` (ISO 3166-1 alpha-2: the phone field's selected country, or SMS_DEFAULT_COUNTRY for
 * imports) lets members type the national format ("55 1234 5678" in MX, "07400 123456" in GB); without it
 * only "+<country code> ..." (or a default country's "00 ..." prefix) reads.
 */
export function parsePhoneNumber(input: string, defaultCountry?: string): PhoneNumberResult {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_INPUT_LENGTH || !NUMBER_LIKE.test(text)) return { ok: false, reason: 'phone.invalid' };
  const country = defaultCountry?.toUpperCase();
  const parsed = parsePhoneNumberFromString(withoutMexicanMobileOne(text), {
    defaultCountry: country !== undefined && isSupportedCountry(country) ? country : undefined,
    extract: false,
  });
  if (!parsed?.isValid()) return { ok: false, reason: 'phone.invalid' };
  // Non-geographic numbers (+870 Inmarsat, +881 Iridium, +882/+883 international networks) have no
  // country; they are satellite and carrier ranges that cost the most per SMS, so pumping targets them.
  if (!parsed.country) return { ok: false, reason: 'phone.not_mobile' };
  const type = parsed.getType();
  // Premium rate, shared cost, toll free, fixed line, VoIP, personal numbers, pagers, UAN, voicemail.
  if (type === undefined || !SMS_CAPABLE.has(type)) return { ok: false, reason: 'phone.not_mobile' };
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/**
 * Mexico dropped the "1" of mobile numbers dialled from abroad in 2019 ("+52 1 55 1234 5678" is now
 * "+52 55 1234 5678"), but members still type it and their phones' contacts still hold it.
 */
function withoutMexicanMobileOne(text: string): string {
  const digits = text.replace(/[\s().\-/]/g, '');
  const match = /^(?:\+|00)521(\d{10})$/.exec(digits);
  return match ? `+52${match[1]}` : text;
}

/**
 * "+52 55 1234 5678": a stored E.164 number as members read it (international format, so it reads the same
 * on every page language and for a member abroad). Anything unparsable is shown as stored.
 */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/**
 * "+44 ••• ••• 0123": enough for a member to recognise their number on a page or in an email, and too
 * little to learn it. The bullets do not follow the length of the number.
 */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const digits = parsed ? parsed.nationalNumber : e164.replace(/\D/g, '');
  // A short number would give away half of itself with four digits.
  const shown = digits.slice(-(digits.length >= 8 ? 4 : 2));
  return parsed ? `+${parsed.countryCallingCode} ••• ••• ${shown}` : `••• ••• ${shown}`;
}
