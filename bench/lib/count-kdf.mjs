// Preloaded with `node --import` by bench/import.ts into the import process: counts every call into a password KDF
// (argon2, bcryptjs, node:crypto pbkdf2/scrypt) and, at exit, writes the counts and the peak RSS to KDF_COUNT_FILE,
// so the benchmark can show the import does no KDF work at all (hashes are stored as they come).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';

const require = createRequire(import.meta.url);
const argon2 = require('argon2');
const counts = {};

function wrap(target, name, label) {
  const original = target[name];
  if (typeof original !== 'function') return;
  counts[label] = 0;
  target[name] = function counted(...args) {
    counts[label] += 1;
    return original.apply(this, args);
  };
}

for (const name of ['hash', 'verify']) wrap(argon2, name, `argon2.${name}`);
for (const name of ['hash', 'hashSync', 'compare', 'compareSync']) wrap(bcrypt, name, `bcrypt.${name}`);
for (const name of ['pbkdf2', 'pbkdf2Sync', 'scrypt', 'scryptSync', 'argon2', 'argon2Sync']) wrap(crypto, name, `crypto.${name}`);
// ESM named imports of node:crypto (`import { scrypt } from 'node:crypto'`) see the wrapped functions too.
syncBuiltinESMExports();

process.on('exit', () => {
  const file = process.env.KDF_COUNT_FILE;
  if (!file) return;
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  // maxRSS is in KiB: the peak resident set of the whole import process. CPU time (µs) is what the import cost on a
  // shared machine, where wall time also counts the other processes' turns.
  const usage = process.resourceUsage();
  writeFileSync(file, JSON.stringify({ total, counts, maxRssKiB: usage.maxRSS, cpuMicros: usage.userCPUTime + usage.systemCPUTime }));
});
