// One rule for free text from outside (names, labels, reasons, client metadata): no control characters,
// NFC, trimmed, bounded; any script's letters and marks are welcome.
import { z } from 'zod';

/**
 * Refused anywhere in a value: C0 and C1 controls and DEL (a NUL ends a C string in a mail header or a
 * driver, a CR/LF splits a header or a log line), lone surrogates (not text; some stores refuse them with a
 * fault), the line and paragraph separators, the byte-order mark, and the bidirectional embedding, override
 * and isolate characters (they make a name read differently to an operator than it is stored).
 */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u2028\u2029\uFEFF\u202A-\u202E\u2066-\u2069]/u;

export const FORBIDDEN_CHARACTERS_MESSAGE = 'must not contain control or invisible formatting characters';

export function hasForbiddenCharacters(value: string): boolean {
  return FORBIDDEN.test(value);
}

/**
 * The stored spelling: NFC (so "é" typed precomposed or as e + combining accent is one value) and trimmed.
 * A lone surrogate survives normalize() and is caught by hasForbiddenCharacters afterwards.
 */
export function cleanText(value: string): string {
  return value.normalize('NFC').trim();
}

/** cleanText, or undefined when the value has a forbidden character or is outside min..max characters. */
export function parseText(value: string, max: number, min = 1): string | undefined {
  if (hasForbiddenCharacters(value)) return undefined;
  const clean = cleanText(value);
  return clean.length >= min && clean.length <= max ? clean : undefined;
}

/**
 * The zod form of parseText for every edge (hosted forms, admin and partner APIs): a string of at most
 * `max` characters after cleaning (at least `min`, default 1), each failure with its own message. The raw
 * input is bounded first (4 × max) so a huge value is refused before it is normalised.
 */
export function textField(max: number, min = 1) {
  return z.string()
    .max(max * 4, `must be at most ${max} characters`)
    .refine((value) => !hasForbiddenCharacters(value), FORBIDDEN_CHARACTERS_MESSAGE)
    .transform(cleanText)
    .pipe(z.string()
      .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
      .max(max, `must be at most ${max} characters`));
}
