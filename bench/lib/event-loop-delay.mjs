// Preloaded into a benchmarked server (node --import): event-loop delay between two SIGUSR2 signals, written as JSON.
// A request's latency under load is mostly its wait behind the longest synchronous turns, and this measures them.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.EVENT_LOOP_DELAY_FILE;
if (out) {
  // 1 ms resolution: the timer's own turns are then frequent enough to see every long turn.
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let started = false;
  process.on('SIGUSR2', () => {
    if (!started) {
      histogram.reset();
      histogram.enable();
      started = true;
      return;
    }
    histogram.disable();
    const ms = (ns) => Number((ns / 1e6).toFixed(2));
    writeFileSync(out, JSON.stringify({ p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) }));
    started = false;
  });
}
