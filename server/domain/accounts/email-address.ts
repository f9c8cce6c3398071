// The one email rule: normalisation (NFC, trimmed, lower case, IDN domain as punycode) and a strict syntax
// check (no control characters, RFC 5321 lengths); the verification code is the real proof of the address.
import { domainToASCII } from 'node:url';
import { hasForbiddenCharacters } from '../text.ts';

/** RFC 5321: a path of at most 256 octets, so 254 for the address; 64 octets for the local part. */
const MAX_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
/** Read at all only up to this length: longer input is not an address, and is not normalised. */
const MAX_INPUT_LENGTH = 320;
/** No spaces or specials in the local part; ASCII (punycode) domain labels with a dot; deliberately not RFC 5322-complete. */
const SHAPE = /^[^\s@"<>()[\]\\,;:]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

const octets = (value: string) => Buffer.byteLength(value, 'utf8');

/**
 * The stored spelling. The domain goes through the WHATWG IDNA mapping (domainToASCII), so "Bücher.example"
 * and "xn--bcher-kva.example" are one address, and an invalid domain comes back unchanged for isValidEmail to
 * refuse. A control character is never removed here: `victim\u0000@example.com` must not become a second
 * spelling of victim@example.com (nodemailer would deliver it there); isValidEmail refuses it.
 */
export function normaliseEmail(input: string): string {
  if (input.length > MAX_INPUT_LENGTH) return input;
  const trimmed = input.normalize('NFC').trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || hasForbiddenCharacters(trimmed)) return trimmed.toLowerCase();
  const domain = domainToASCII(trimmed.slice(at + 1));
  return `${trimmed.slice(0, at).toLowerCase()}@${domain || trimmed.slice(at + 1).toLowerCase()}`;
}

/** Whether a normalised address may be stored, looked up or mailed. */
export function isValidEmail(normalised: string): boolean {
  if (normalised.length > MAX_LENGTH || hasForbiddenCharacters(normalised) || octets(normalised) > MAX_LENGTH) return false;
  const at = normalised.lastIndexOf('@');
  const local = normalised.slice(0, at);
  return at > 0
    && octets(local) <= MAX_LOCAL_LENGTH
    && SHAPE.test(normalised)
    && !local.startsWith('.') && !local.endsWith('.')
    && !normalised.includes('..');
}

/**
 * a***@e***.com, for a shared screen (a kiosk, issue 21): the domain is hidden too (a company's own domain would
 * name the member's employer to the next person in the queue); the top-level domain stays for recognition.
 */
export function maskEmailForSharedScreen(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const hiddenDomain = dot > 0 ? `${domain[0]}***${domain.slice(dot)}` : '***';
  return `${email[0]}***@${hiddenDomain}`;
}

/** j***@example.com: enough for the member to recognise, little for a shoulder-surfer. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
