// argon2i / argon2id / argon2d with any parameters, in the PHC encoding; the argon2 package reads them from the string.
import argon2 from 'argon2';
import type { LegacyHashFamily } from './family.ts';

// Parameters in any order: the argon2 package writes m,p,t where the reference writes m,t,p.
const FORMAT = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?([mtp]=\d{1,10}(?:,[mtp]=\d{1,10}){2})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
/** An imported hash may not ask for more than 256 MiB or 20 passes per sign-in. */
const MAX_MEMORY_KIB = 262_144;
const MAX_TIME = 20;

function recognises(hash: string): boolean {
  const match = FORMAT.exec(hash);
  if (!match) return false;
  const params = Object.fromEntries((match[1] as string).split(',').map((pair) => pair.split('=') as [string, string]));
  const [m, t, p] = [Number(params.m), Number(params.t), Number(params.p)];
  return m >= 1 && m <= MAX_MEMORY_KIB && t >= 1 && t <= MAX_TIME && p >= 1 && p <= 16;
}

export const argon2Family: LegacyHashFamily = {
  name: 'argon2',
  weak: false,
  recognises,
  async verify(hash, password) {
    if (!recognises(hash)) return false;
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  },
};
