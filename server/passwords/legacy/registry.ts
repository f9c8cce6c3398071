// Recognises a stored password hash's family from the string alone, and verifies against it. The import uses
// `recogniseHash` (no KDF work) to refuse unknown formats; sign-in uses `verifyStoredHash`.
import { argon2Family } from './argon2.ts';
import { bcryptFamily } from './bcrypt.ts';
import type { LegacyHashFamily, LegacyHashSettings } from './family.ts';
import { firebaseScryptFamily } from './firebase-scrypt.ts';
import { aspNetIdentityFamily, djangoPbkdf2Family, passlibPbkdf2Family } from './pbkdf2.ts';
import { saltedDigestFamily } from './salted-digest.ts';
import { scryptFamily } from './scrypt.ts';

export type { LegacyHashSettings, FirebaseScryptParameters } from './family.ts';

/** Order matters only for ASP.NET's bare base64, which is tried last: every other format has a marker. */
const FAMILIES: readonly LegacyHashFamily[] = [
  argon2Family,
  bcryptFamily,
  djangoPbkdf2Family,
  passlibPbkdf2Family,
  scryptFamily,
  firebaseScryptFamily,
  saltedDigestFamily,
  aspNetIdentityFamily,
];

/** Longest stored hash we accept; a longer string is refused before any parsing. */
export const MAX_HASH_LENGTH = 1024;

export function recogniseHash(hash: string): LegacyHashFamily | undefined {
  if (hash.length === 0 || hash.length > MAX_HASH_LENGTH) return undefined;
  return FAMILIES.find((family) => family.recognises(hash));
}

export interface StoredHashCheck {
  valid: boolean;
  /** The hash is of a weak family (salted MD5/SHA): the member is told once it is upgraded. */
  weak: boolean;
}

/** Verifies a password against any recognised format; an unknown format never verifies. */
export async function verifyStoredHash(hash: string, password: string, settings: LegacyHashSettings): Promise<StoredHashCheck> {
  const family = recogniseHash(hash);
  if (!family) return { valid: false, weak: false };
  try {
    return { valid: await family.verify(hash, password, settings), weak: family.weak };
  } catch {
    // A hash that parses but cannot be computed (e.g. scrypt memory refused) reads as a wrong password, not a 500.
    return { valid: false, weak: family.weak };
  }
}
