// Preloaded into a benchmarked server (node --import) when MEMORY_PROBE_FILE is set: what its resident memory is made
// of, sampled from inside every PROBE_MS, and the sample taken at the highest RSS written as JSON at exit (SIGTERM).
import { readFileSync, writeFileSync } from 'node:fs';
import { setInterval } from 'node:timers';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.MEMORY_PROBE_FILE;
const everyMs = Number(process.env.MEMORY_PROBE_MS ?? 250);
const mib = (bytes) => Number((bytes / 1048576).toFixed(1));

/**
 * Resident kB per kind of mapping from /proc/self/smaps: the brk heap (glibc's main arena), glibc's thread arenas
 * (an anonymous read-write mapping followed by its PROT_NONE reserve, 64 MiB together, 64 MiB aligned), other
 * anonymous memory (V8's heap pages, its code space, Buffers, thread stacks), and file-backed mappings by file.
 */
function smaps() {
  const kinds = { brkHeap: 0, threadArenas: 0, otherAnon: 0, stacks: 0, files: {} };
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const maps = [];
  let current;
  for (const line of lines) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      current = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], inode: head[4], name: head[5], rss: 0 };
      maps.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rss = Number(rss[1]);
  }
  const arena = 64n * 1024n * 1024n;
  for (let i = 0; i < maps.length; i += 1) {
    const map = maps[i];
    if (map.name === '[heap]') kinds.brkHeap += map.rss;
    else if (map.name.startsWith('[stack')) kinds.stacks += map.rss;
    else if (map.name === '' || map.inode === '0') {
      const next = maps[i + 1];
      const isArena = map.perms.startsWith('rw') && map.start % arena === 0n && next && next.start === map.end && next.perms.startsWith('---') && next.end - map.start === arena;
      if (isArena) kinds.threadArenas += map.rss;
      else kinds.otherAnon += map.rss;
    } else if (map.rss > 0) kinds.files[map.name] = (kinds.files[map.name] ?? 0) + map.rss;
  }
  const files = Object.entries(kinds.files).sort((a, b) => b[1] - a[1]);
  const toMiB = (kb) => Number((kb / 1024).toFixed(1));
  return {
    brkHeap: toMiB(kinds.brkHeap), threadArenas: toMiB(kinds.threadArenas), otherAnon: toMiB(kinds.otherAnon), stacks: toMiB(kinds.stacks),
    files: toMiB(files.reduce((sum, [, kb]) => sum + kb, 0)),
    topFiles: Object.fromEntries(files.slice(0, 6).map(([name, kb]) => [name.replace(/^.*\/(node_modules\/)?/, ''), toMiB(kb)])),
  };
}

function sample() {
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, { size: mib(space.space_size), used: mib(space.space_used_size), committed: mib(space.physical_space_size) }]));
  return { at: Date.now(), rss: mib(usage.rss), heapTotal: mib(usage.heapTotal), heapUsed: mib(usage.heapUsed), external: mib(usage.external), arrayBuffers: mib(usage.arrayBuffers), spaces };
}

if (out) {
  let peak = { rss: 0 };
  const samples = [];
  const timer = setInterval(() => {
    const now = sample();
    samples.push({ at: now.at, rss: now.rss, heapTotal: now.heapTotal, heapUsed: now.heapUsed, external: now.external });
    // smaps is read only when RSS is at a new high: reading it costs a few ms for a thousand mappings.
    if (now.rss > peak.rss) peak = { ...now, smaps: smaps() };
  }, everyMs);
  timer.unref();
  const write = () => writeFileSync(out, JSON.stringify({ peak, samples }, null, 1));
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
