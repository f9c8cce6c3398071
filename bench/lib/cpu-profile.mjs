// Self time of a --cpu-prof profile, by function and by package (shared by the profile summary and the profile diff).
// V8 samples wall time, so on a loaded machine a function that makes a system call (socket write, SQLite commit, waking a
// thread-pool thread) also collects the time its thread waited to run again: read the figures as proportions.
import { readFileSync } from 'node:fs';

/** Where a frame's code lives: an npm package, a folder of our build, or undefined for Node's own and native code. */
function packageOf(url) {
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const ours = /\/dist\/([^/]+(?:\/[^/.]+)?)/.exec(url);
  return ours ? `app:${ours[1]}` : undefined;
}

/**
 * Busy time (µs, idle excluded) of the profile in FILE and its split by function (self time) and by package, samples
 * in the first `skipUs` left out. Native and Node-internal frames count for the nearest caller that belongs to a
 * package (a socket write for koa); GC and V8's "program" have buckets of their own.
 */
export function profileTimes(file, { skipUs = 0 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

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
    let bucket = functionName === '(garbage collector)' ? 'GC' : functionName === '(program)' ? 'program' : undefined;
    for (let cur = id; bucket === undefined && cur !== undefined; cur = parents.get(cur)) bucket = packageOf(nodes.get(cur).callFrame.url);
    bucket ??= 'node internals';
    byPackage.set(bucket, (byPackage.get(bucket) ?? 0) + time);
  }
  return { busy, byFunction, byPackage };
}
