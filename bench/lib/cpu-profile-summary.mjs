// Summarises a .cpuprofile written by `PROFILE_DIR=... npm run bench:signin` (or any node --cpu-prof): busy time by
// function (self) and by package, per unit of work, optionally skipping the start-up seconds.
// Usage: node bench/lib/cpu-profile-summary.mjs FILE.cpuprofile [UNITS=1] [TOP=30]   (SKIP_S=5 ignores the first 5 s)
// Read it as proportions: V8 samples wall time, so on a loaded machine a function that makes a system call (socket
// write, SQLite commit, waking a thread-pool thread) also collects the time the thread waited to run again.
import { readFileSync } from 'node:fs';

const [file, unitsArg, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/cpu-profile-summary.mjs FILE.cpuprofile [UNITS] [TOP]');
  process.exit(2);
}
const units = Number(unitsArg ?? 1);
const top = Number(topArg ?? 30);
const skipUs = Number(process.env.SKIP_S ?? 0) * 1e6;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

/** Where a frame's code lives: an npm package, a folder of our build, or undefined for Node's own and native code. */
function packageOf(url) {
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const ours = /\/dist\/([^/]+(?:\/[^/.]+)?)/.exec(url);
  return ours ? `app:${ours[1]}` : undefined;
}

const selfTime = new Map();
let at = 0;
for (const [i, id] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at >= skipUs) selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
}

const byFunction = new Map();
const byPackage = new Map();
let busy = 0;
for (const [id, time] of selfTime) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  if (functionName === '(idle)') continue;
  busy += time;
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  // Native and Node-internal frames count for the nearest caller that belongs to a package (a socket write for koa).
  let bucket = functionName === '(garbage collector)' ? 'GC' : functionName === '(program)' ? 'program' : undefined;
  for (let cur = id; bucket === undefined && cur !== undefined; cur = parents.get(cur)) bucket = packageOf(nodes.get(cur).callFrame.url);
  bucket ??= 'node internals';
  byPackage.set(bucket, (byPackage.get(bucket) ?? 0) + time);
}

const print = (title, map) => {
  console.log(`--- ${title} (µs per unit, share of busy time)`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(time / units).toFixed(0).padStart(8)} ${((100 * time) / busy).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`busy ${(busy / 1000).toFixed(0)} ms, ${(busy / units).toFixed(0)} µs per unit (${units} units)`);
print('by package', byPackage);
print('by function, self time', byFunction);
