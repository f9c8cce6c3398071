// Preloaded into a benchmarked server (node --import): event-loop delay while enabled, written as JSON. SIGUSR2 turns
// it on and off; each on-period is one entry of the array written at every off (so a benchmark can count only its
// loaded legs). A request's latency under load is mostly its wait behind the longest synchronous turns.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.EVENT_LOOP_DELAY_FILE;
if (out) {
  // 1 ms resolution: the timer's own turns are then frequent enough to see every long turn.
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const periods = [];
  let started = false;
  process.on('SIGUSR2', () => {
    if (!started) {
      histogram.enable();
      // The first sample after enable() spans the time it was off: drop it.
      setTimeout(() => histogram.reset(), 5);
      started = true;
      return;
    }
    histogram.disable();
    const ms = (ns) => Number((ns / 1e6).toFixed(2));
    periods.push({ p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) });
    writeFileSync(out, JSON.stringify(periods));
    started = false;
  });
}
