// PBKDF2 in the layouts old systems store it: Django, passlib and ASP.NET Identity v2/v3. node:crypto's async
// pbkdf2 runs on libuv's thread pool, so a high iteration count never blocks the event loop.
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { equalBytes, fromAdaptedBase64, fromBase64, positiveInt } from './encoding.ts';
import type { LegacyHashFamily } from './family.ts';

const pbkdf2Async = promisify(pbkdf2);

type Digest = 'sha1' | 'sha256' | 'sha512';

/** An upper bound so an imported hash cannot make one sign-in burn minutes of CPU. */
const MAX_ITERATIONS = 10_000_000;

interface Parsed {
  digest: Digest;
  iterations: number;
  salt: Buffer;
  expected: Buffer;
}

async function check(parsed: Parsed | undefined, password: string): Promise<boolean> {
  if (!parsed) return false;
  const derived = await pbkdf2Async(Buffer.from(password, 'utf8'), parsed.salt, parsed.iterations, parsed.expected.length, parsed.digest);
  return equalBytes(derived, parsed.expected);
}

function family(name: string, parse: (hash: string) => Parsed | undefined): LegacyHashFamily {
  return { name, weak: false, recognises: (hash) => parse(hash) !== undefined, verify: async (hash, password) => check(parse(hash), password) };
}

/** Django: `pbkdf2_sha256$<iterations>$<salt as text>$<base64 hash>` (and `pbkdf2_sha1$`). */
function parseDjango(hash: string): Parsed | undefined {
  const parts = hash.split('$');
  if (parts.length !== 4) return undefined;
  const [algorithm, rounds, salt, encoded] = parts as [string, string, string, string];
  const digest = ({ pbkdf2_sha256: 'sha256', pbkdf2_sha1: 'sha1' } as const)[algorithm as 'pbkdf2_sha256' | 'pbkdf2_sha1'] as Digest | undefined;
  const iterations = positiveInt(rounds, MAX_ITERATIONS);
  const expected = fromBase64(encoded);
  if (!digest || !iterations || salt === '' || !expected || expected.length < 16) return undefined;
  return { digest, iterations, salt: Buffer.from(salt, 'utf8'), expected };
}

/** passlib: `$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>` (`$pbkdf2$` is SHA-1, `$pbkdf2-sha512$`). */
function parsePasslib(hash: string): Parsed | undefined {
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '') return undefined;
  const [, ident, rounds, salt, encoded] = parts as [string, string, string, string, string];
  const digest = ({ pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' } as const)[ident as 'pbkdf2'] as Digest | undefined;
  const iterations = positiveInt(rounds, MAX_ITERATIONS);
  const saltBytes = fromAdaptedBase64(salt);
  const expected = fromAdaptedBase64(encoded);
  if (!digest || !iterations || !saltBytes || saltBytes.length === 0 || !expected || expected.length < 16) return undefined;
  return { digest, iterations, salt: saltBytes, expected };
}

const ASPNET_PRF: Record<number, Digest> = { 0: 'sha1', 1: 'sha256', 2: 'sha512' };

/**
 * ASP.NET Identity, one base64 blob. v2: 0x00 | salt(16) | subkey(32), PBKDF2-HMAC-SHA1 × 1000.
 * v3: 0x01 | prf (uint32 BE: 0 SHA1, 1 SHA256, 2 SHA512) | iterations (uint32 BE) | salt length (uint32 BE) | salt | subkey.
 */
function parseAspNet(hash: string): Parsed | undefined {
  const blob = fromBase64(hash);
  if (!blob || blob.length < 1) return undefined;
  if (blob[0] === 0x00 && blob.length === 49) {
    return { digest: 'sha1', iterations: 1000, salt: blob.subarray(1, 17), expected: blob.subarray(17) };
  }
  if (blob[0] !== 0x01 || blob.length < 13) return undefined;
  const digest = ASPNET_PRF[blob.readUInt32BE(1)];
  const iterations = blob.readUInt32BE(5);
  const saltLength = blob.readUInt32BE(9);
  if (!digest || iterations < 1 || iterations > MAX_ITERATIONS || saltLength < 8 || 13 + saltLength + 16 > blob.length) return undefined;
  return { digest, iterations, salt: blob.subarray(13, 13 + saltLength), expected: blob.subarray(13 + saltLength) };
}

export const djangoPbkdf2Family = family('pbkdf2-django', parseDjango);
export const passlibPbkdf2Family = family('pbkdf2-passlib', parsePasslib);
export const aspNetIdentityFamily = family('pbkdf2-aspnet-identity', parseAspNet);
