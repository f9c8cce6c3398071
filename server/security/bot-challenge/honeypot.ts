// The sign-up honeypot: a text field people never see or reach, which form-filling bots tend to fill.
export const HONEYPOT_FIELD = 'website';

/** True when the posted body carries the honeypot field with anything but whitespace in it. */
export function honeypotTripped(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, HONEYPOT_FIELD)) return false;
  const value: unknown = (body as Record<string, unknown>)[HONEYPOT_FIELD];
  if (typeof value === 'string') return value.trim() !== '';
  // Repeated fields (website=a&website=b) arrive as an array; anything else non-empty was not a person either.
  if (Array.isArray(value)) return value.some((item) => typeof item !== 'string' || item.trim() !== '');
  return value !== undefined && value !== null;
}
