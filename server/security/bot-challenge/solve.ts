// Proof-of-work arithmetic shared by the verifier and by whoever plays the solver in Node (tests, the attack bench).
import { createHash } from 'node:crypto';

/** How many zero bits the hash starts with (0-256). */
export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/**
 * Finds the smallest decimal nonce whose SHA-256(token + ":" + nonce) starts with `difficulty` zero bits:
 * what the browser script does, synchronously (2^difficulty hashes on average). The hash of the fixed
 * prefix is computed once and copied for each nonce.
 */
export function solveChallenge(token: string, difficulty: number): string {
  const prefix = createHash('sha256').update(`${token}:`);
  // Up to 2^53 - 1 (16 digits): the verifier takes at most 16 digits, and larger numbers lose precision.
  for (let nonce = 0; nonce <= Number.MAX_SAFE_INTEGER; nonce += 1) {
    const text = String(nonce);
    if (leadingZeroBits(prefix.copy().update(text).digest()) >= difficulty) return text;
  }
  throw new Error('no nonce of 16 digits or fewer solves this challenge');
}
