// argon2id hashing (OWASP parameters). argon2 runs on libuv's thread pool, off the event loop.
import argon2 from 'argon2';
import { verifyStoredHash, type LegacyHashSettings, type StoredHashCheck } from '../../passwords/legacy/registry.ts';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

let dummyHash: Promise<string> | undefined;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    // A malformed stored hash must read as "wrong password", never as a 500 that reveals the account.
    return false;
  }
}

/**
 * Verifies against any stored format: our argon2id, or an imported legacy hash (bcrypt, PBKDF2, scrypt, salted
 * digests, ...). A legacy check also runs the dummy argon2 verification beside it, so a member with a fast legacy
 * hash (salted MD5) is never answered faster than an unknown email.
 */
export async function verifyAnyHash(hash: string, password: string, settings: LegacyHashSettings): Promise<StoredHashCheck> {
  if (hash.startsWith('$argon2id$') && !needsRehash(hash)) return { valid: await verifyPassword(hash, password), weak: false };
  const [check] = await Promise.all([verifyStoredHash(hash, password, settings), verifyAgainstDummy(password)]);
  return check;
}

/**
 * Spends the same work as a real verification, for unknown accounts and accounts without a password,
 * so response time does not reveal whether an email is registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= argon2.hash('dummy-password-for-timing-equalisation', OPTIONS);
  await verifyPassword(await dummyHash, password);
  return false;
}

export function needsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, OPTIONS);
  } catch {
    return true;
  }
}
