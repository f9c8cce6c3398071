// Email normalisation and a pragmatic syntax check (the verification code is the real proof).
const MAX_LENGTH = 254;
// One @, no spaces, a dot in the domain, no leading/trailing dots; deliberately not RFC 5322-complete.
const SHAPE = /^[^\s@"<>()[\]\\,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normaliseEmail(input: string): string {
  return input.trim().toLowerCase();
}

export function isValidEmail(normalised: string): boolean {
  return normalised.length <= MAX_LENGTH && SHAPE.test(normalised) && !normalised.startsWith('.') && !normalised.includes('..');
}

/** j***@example.com: enough for the member to recognise, little for a shoulder-surfer. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
