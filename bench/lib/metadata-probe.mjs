// A worker thread that reads discovery and the JWKS in turn, one read every `everyMs` on a fixed schedule, until told
// to stop, then posts its reads ({ at: epoch ms when sent, ms: latency }) and its own event-loop delay. The schedule
// does not wait for the previous answer (a read still in flight gets company on another keep-alive connection): a
// probe that waited would send one read through a 300 ms stall instead of fifteen and under-count slow moments.
// Its own thread and event loop: the load generator's work in the main thread does not add to what it measures, and
// its own delay (p99/max) shows how much of a slow read could be the probe's side rather than the server's.
import { Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { exchange } from './processes.mjs';

const { base, everyMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const reads = [];
const failures = [];
const inFlight = new Set();
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let running = true;
parentPort.on('message', (message) => {
  if (message === 'stop') running = false;
});

async function read(path) {
  const at = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  const response = await exchange(`${base}${path}`, { agent, timeoutMs: 15_000 });
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  reads.push({ at, ms: performance.now() - t0 });
}

const start = performance.now();
for (let i = 0; running; i += 1) {
  const wait = start + i * everyMs - performance.now();
  if (wait > 0) await sleep(wait);
  if (!running) break;
  const pending = read(i % 2 === 0 ? '/.well-known/openid-configuration' : '/jwks').catch((error) => failures.push(error));
  inFlight.add(pending);
  void pending.finally(() => inFlight.delete(pending));
}
await Promise.all(inFlight);
delay.disable();
agent.destroy();
if (failures.length > 0) throw failures[0];
parentPort.postMessage({ reads, ownDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } });
