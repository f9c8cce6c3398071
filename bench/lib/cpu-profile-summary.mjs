// Summarises a .cpuprofile written by `PROFILE_DIR=... npm run bench:signin` (or any node --cpu-prof): busy time by
// function (self) and by package, per unit of work, optionally skipping the start-up seconds.
// Usage: node bench/lib/cpu-profile-summary.mjs FILE.cpuprofile [UNITS=1] [TOP=30]   (SKIP_S=5 ignores the first 5 s)
// Read it as proportions (bench/lib/cpu-profile.mjs says why).
import { profileTimes } from './cpu-profile.mjs';

const [file, unitsArg, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/cpu-profile-summary.mjs FILE.cpuprofile [UNITS] [TOP]');
  process.exit(2);
}
const units = Number(unitsArg ?? 1);
const top = Number(topArg ?? 30);
const { busy, byFunction, byPackage } = profileTimes(file, { skipUs: Number(process.env.SKIP_S ?? 0) * 1e6 });

const print = (title, map) => {
  console.log(`--- ${title} (µs per unit, share of busy time)`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(time / units).toFixed(0).padStart(8)} ${((100 * time) / busy).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`busy ${(busy / 1000).toFixed(0)} ms, ${(busy / units).toFixed(0)} µs per unit (${units} units)`);
print('by package', byPackage);
print('by function, self time', byFunction);
