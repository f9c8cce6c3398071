// Salted fast digests, weak by design: `sha256$<salt>$<hex>`, `sha512$<salt>$<hex>`, `md5$<salt>$<hex>` where the
// hex is DIGEST(salt ‖ password) over UTF-8 bytes. Accepted once so members keep their password, then upgraded.
import { createHash } from 'node:crypto';
import { equalBytes, fromHex } from './encoding.ts';
import type { LegacyHashFamily } from './family.ts';

const LENGTHS = { md5: 16, sha256: 32, sha512: 64 } as const;
type Algorithm = keyof typeof LENGTHS;

function parse(hash: string): { algorithm: Algorithm; salt: string; expected: Buffer } | undefined {
  const parts = hash.split('$');
  if (parts.length !== 3) return undefined;
  const [algorithm, salt, hex] = parts as [string, string, string];
  if (!(algorithm in LENGTHS) || salt === '') return undefined;
  const expected = fromHex(hex);
  if (!expected || expected.length !== LENGTHS[algorithm as Algorithm]) return undefined;
  return { algorithm: algorithm as Algorithm, salt, expected };
}

export const saltedDigestFamily: LegacyHashFamily = {
  name: 'salted-digest',
  weak: true,
  recognises: (hash) => parse(hash) !== undefined,
  async verify(hash, password) {
    const parsed = parse(hash);
    if (!parsed) return false;
    const computed = createHash(parsed.algorithm).update(parsed.salt, 'utf8').update(password, 'utf8').digest();
    return equalBytes(computed, parsed.expected);
  },
};
