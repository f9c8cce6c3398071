// Firebase Authentication's modified scrypt, per github.com/firebase/scrypt: key = scrypt(password, salt ‖ salt
// separator, N = 2^mem_cost, r = rounds, p = 1, 64 bytes); hash = AES-256-CTR(key[0..32], IV 0) over the project's
// signer key. Stored here as `$firebase-scrypt$<base64 salt>$<base64 hash>` (the export's passwordSalt and
// passwordHash); the project parameters come from FIREBASE_SCRYPT_* config.
import { createCipheriv } from 'node:crypto';
import { equalBytes, fromBase64 } from './encoding.ts';
import type { LegacyHashFamily } from './family.ts';
import { scryptAsync } from './scrypt.ts';

const FORMAT = /^\$firebase-scrypt\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function parse(hash: string): { salt: Buffer; expected: Buffer } | undefined {
  const match = FORMAT.exec(hash);
  const salt = match && fromBase64(match[1] as string);
  const expected = match && fromBase64(match[2] as string);
  return salt && expected && salt.length > 0 && expected.length > 0 ? { salt, expected } : undefined;
}

export const firebaseScryptFamily: LegacyHashFamily = {
  name: 'firebase-scrypt',
  weak: false,
  recognises: (hash) => parse(hash) !== undefined,
  async verify(hash, password, settings) {
    const parsed = parse(hash);
    const project = settings.firebaseScrypt;
    if (!parsed || !project) return false;
    const signerKey = fromBase64(project.signerKey);
    const separator = fromBase64(project.saltSeparator);
    if (!signerKey || !separator) return false;
    const key = await scryptAsync(Buffer.from(password, 'utf8'), Buffer.concat([parsed.salt, separator]), 64, {
      N: 2 ** project.memCost,
      r: project.rounds,
      p: 1,
    });
    const cipher = createCipheriv('aes-256-ctr', key.subarray(0, 32), Buffer.alloc(16, 0));
    const computed = Buffer.concat([cipher.update(signerKey), cipher.final()]);
    return equalBytes(computed, parsed.expected);
  },
};
