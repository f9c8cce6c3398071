// bcrypt ($2a$ / $2b$ / $2y$), verified with bcryptjs (pure JS: no native build; it compares in constant time)
// on worker threads, so a compare never blocks the event loop (bcrypt-pool.ts).
import { bcryptPool } from './bcrypt-pool.ts';
import type { LegacyHashFamily } from './family.ts';

// 22 salt + 31 hash characters of bcrypt's own base64; cost 04-31.
const FORMAT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

export const bcryptFamily: LegacyHashFamily = {
  name: 'bcrypt',
  weak: false,
  recognises: (hash) => FORMAT.test(hash),
  async verify(hash, password) {
    if (!FORMAT.test(hash)) return false;
    // bcryptjs knows $2a$/$2b$; $2y$ (PHP's name for the fixed $2a$) is the same algorithm.
    return bcryptPool.compare(password, hash.replace(/^\$2y\$/, '$2b$'));
  },
};
