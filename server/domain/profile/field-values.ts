// Checks and normalises what a member typed into a profile field; a value either fits or is refused with
// a message id (no silent truncation).
import type { ProfileFieldSpec } from '../../../config/profile-fields.ts';
import { cleanText, hasForbiddenCharacters } from '../text.ts';

export type FieldCheck = { ok: true; value: string } | { ok: false; error: string };

const MAX_TEXT = 100;
const MIN_AGE = 13;
const MAX_AGE = 120;

export function checkFieldValue(spec: ProfileFieldSpec, input: string, today = new Date()): FieldCheck {
  // NFC first, so a name typed with combining accents is stored as one spelling (server/domain/text.ts).
  const value = cleanText(input).replace(/\s+/g, ' ');
  if (!value) return { ok: false, error: 'profile.error.empty' };
  if (hasForbiddenCharacters(value)) return { ok: false, error: `profile.error.${spec.type === 'text' ? 'name' : spec.type}` };
  switch (spec.type) {
    case 'text':
      // Letters in any script, with the marks, spaces, apostrophes, dots and hyphens names use.
      if (value.length > MAX_TEXT || !/^[\p{L}\p{M}][\p{L}\p{M} '.\u2019-]*$/u.test(value)) return { ok: false, error: 'profile.error.name' };
      return { ok: true, value };
    case 'postal_code': {
      const code = value.toUpperCase();
      if (code.length > 10 || !/^[A-Z0-9][A-Z0-9 -]*[A-Z0-9]$/.test(code)) return { ok: false, error: 'profile.error.postal_code' };
      return { ok: true, value: code };
    }
    case 'date': {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
      // Round-tripping rejects 2001-02-30 and friends.
      if (!date || date.toISOString().slice(0, 10) !== value) return { ok: false, error: 'profile.error.date' };
      const age = (today.getTime() - date.getTime()) / (365.25 * 24 * 3600 * 1000);
      if (age < MIN_AGE || age > MAX_AGE) return { ok: false, error: 'profile.error.age' };
      return { ok: true, value };
    }
    case 'choice':
      return spec.choices?.includes(value) ? { ok: true, value } : { ok: false, error: 'profile.error.choice' };
  }
}
