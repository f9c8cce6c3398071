// Preloaded into a server process by a test (NODE_OPTIONS=--import=…): between two SIGUSR2 it records V8's young-generation
// collections and writes to GC_PROMOTION_FILE how many bytes they moved into the old generation, and how many they swept.
import { writeFileSync } from 'node:fs';
import { GCProfiler } from 'node:v8';

const out = process.env.GC_PROMOTION_FILE;
if (out) {
  let profiler;
  process.on('SIGUSR2', () => {
    if (!profiler) {
      profiler = new GCProfiler();
      profiler.start();
      return;
    }
    const { statistics } = profiler.stop();
    profiler = undefined;
    const used = (side, name) => side.heapSpaceStatistics.find((space) => space.spaceName === name)?.spaceUsedSize ?? 0;
    let promoted = 0;
    let collected = 0;
    let scavenges = 0;
    for (const entry of statistics) {
      if (entry.gcType !== 'Scavenge') continue;
      scavenges += 1;
      // What left the young generation: promoted into the old space, or dead and swept.
      promoted += Math.max(0, used(entry.afterGC, 'old_space') - used(entry.beforeGC, 'old_space'));
      collected += Math.max(0, used(entry.beforeGC, 'new_space') - used(entry.afterGC, 'new_space'));
    }
    writeFileSync(out, JSON.stringify({ promoted, collected, scavenges }));
  });
}
