// argon2i / argon2id / argon2d with any parameters, in the PHC encoding; the argon2 package reads them from the string.
import argon2 from 'argon2';
import type { LegacyHashFamily } from './family.ts';

const FORMAT = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d{1,8},t=\d{1,4},p=\d{1,3}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

export const argon2Family: LegacyHashFamily = {
  name: 'argon2',
  weak: false,
  recognises: (hash) => FORMAT.test(hash),
  async verify(hash, password) {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  },
};
