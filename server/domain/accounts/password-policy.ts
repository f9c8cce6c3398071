// NIST 800-63B password policy: length 8-128, not a common password, no composition rules.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MIN_PASSWORD_LENGTH = 8;
// Long enough for passphrases and password managers, short enough to bound hashing cost.
export const MAX_PASSWORD_LENGTH = 128;

export type PasswordProblem = 'password.too_short' | 'password.too_long' | 'password.common';

let common: Set<string> | undefined;

/**
 * The 10,000 most common passwords: the first 10,000 entries of the ranked list (derived from
 * Xato's 10M-password corpus) that zxcvbn 4.4.2 (MIT) ships, one per line, lower-case.
 */
function commonPasswords(): Set<string> {
  if (!common) {
    const file = fileURLToPath(new URL('./common-passwords.txt', import.meta.url));
    common = new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean));
  }
  return common;
}

export function checkPassword(password: string): PasswordProblem | null {
  // Count code points, not UTF-16 units, so emoji and CJK passphrases are measured as people see them.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'password.too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'password.too_long';
  if (commonPasswords().has(password.toLowerCase())) return 'password.common';
  return null;
}
