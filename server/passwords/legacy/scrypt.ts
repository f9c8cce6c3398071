// scrypt in passlib's encoding: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<ab64 salt>$<ab64 hash>`; node:crypto's async
// scrypt runs on the thread pool.
import { scrypt, type ScryptOptions } from 'node:crypto';
import { equalBytes, fromAdaptedBase64, positiveInt } from './encoding.ts';
import type { LegacyHashFamily } from './family.ts';

/** Derives with the given cost; maxmem sized to the cost (128·N·r plus slack) so Node does not refuse it. */
export function scryptAsync(password: Buffer, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  const settings: ScryptOptions = { ...options, maxmem: 128 * options.N * options.r * 2 + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, settings, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Bounds so an imported hash cannot ask for gigabytes of memory or minutes of CPU per sign-in (memory is also capped in parse). */
const MAX_LN = 20;
const MAX_R = 16;
const MAX_P = 16;

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  expected: Buffer;
}

function parse(hash: string): Parsed | undefined {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9./+]+)\$([A-Za-z0-9./+]+)$/.exec(hash);
  if (!match) return undefined;
  const ln = positiveInt(match[1], MAX_LN);
  const r = positiveInt(match[2], MAX_R);
  const p = positiveInt(match[3], MAX_P);
  const salt = fromAdaptedBase64(match[4] as string);
  const expected = fromAdaptedBase64(match[5] as string);
  // 128·N·r bytes of memory: keep it at or under 256 MiB.
  if (!ln || !r || !p || !salt || salt.length === 0 || !expected || expected.length < 16 || 128 * 2 ** ln * r > 256 * 1024 * 1024) return undefined;
  return { N: 2 ** ln, r, p, salt, expected };
}

export const scryptFamily: LegacyHashFamily = {
  name: 'scrypt',
  weak: false,
  recognises: (hash) => parse(hash) !== undefined,
  async verify(hash, password) {
    const parsed = parse(hash);
    if (!parsed) return false;
    const derived = await scryptAsync(Buffer.from(password, 'utf8'), parsed.salt, parsed.expected.length, parsed);
    return equalBytes(derived, parsed.expected);
  },
};
