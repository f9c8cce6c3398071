// Where our token path costs more than the bare provider's: self time per function (or per package) in the two
// --cpu-prof profiles `PROFILE_DIR=dir npm run bench` writes, per token issued, ours minus bare.
// Usage: node bench/profile-diff.mjs DIR [fn|pkg] [rows]   (token counts come from DIR/tokens.json, written by the bench)
// The profiles sample wall time on the main thread: on a loaded machine a preempted thread is charged to whatever it
// was running (often a syscall such as the log's write), so read the figures against the CPU per token the bench prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileTimes } from './lib/cpu-profile.mjs';

const [dir, mode = 'pkg', rows = '30'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/profile-diff.mjs DIR [fn|pkg] [rows]');
  process.exit(2);
}
const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8'));

/** µs of self time per token, by function or by package (bench/lib/cpu-profile.mjs), idle excluded. */
function selfTimes(file, count) {
  const { byFunction, byPackage } = profileTimes(file);
  return new Map([...(mode === 'fn' ? byFunction : byPackage)].map(([key, value]) => [key, value / count]));
}

const ours = selfTimes(join(dir, 'our-server.cpuprofile'), tokens.ours);
const bare = selfTimes(join(dir, `${tokens.baselineName}.cpuprofile`), tokens.bare);
const total = (times) => [...times.values()].reduce((sum, value) => sum + value, 0);
console.log(`busy main-thread time per token: ours ${total(ours).toFixed(1)} µs (${tokens.ours} tokens), baseline ${total(bare).toFixed(1)} µs (${tokens.bare} tokens); boot included`);
console.log('   ours    bare  ours-bare  where');
const keys = [...new Set([...ours.keys(), ...bare.keys()])];
const difference = (key) => (ours.get(key) ?? 0) - (bare.get(key) ?? 0);
for (const key of keys.sort((a, b) => Math.abs(difference(b)) - Math.abs(difference(a))).slice(0, Number(rows))) {
  const cell = (value) => (value ?? 0).toFixed(2).padStart(7);
  console.log(`${cell(ours.get(key))} ${cell(bare.get(key))} ${difference(key).toFixed(2).padStart(10)}  ${key}`);
}
