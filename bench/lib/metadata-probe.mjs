// A worker thread that reads discovery and the JWKS in turn every `everyMs` until told to stop, then posts the latencies
// (ms). Its own thread and event loop: the load generator's work in the main thread does not add to what it measures.
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { exchange } from './processes.mjs';

const { base, everyMs } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
let running = true;
parentPort.on('message', (message) => {
  if (message === 'stop') running = false;
});
for (let i = 0; running; i += 1) {
  const path = i % 2 === 0 ? '/.well-known/openid-configuration' : '/jwks';
  const t0 = performance.now();
  const response = await exchange(`${base}${path}`, { agent, timeoutMs: 15_000 });
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  latencies.push(performance.now() - t0);
  await sleep(everyMs);
}
agent.destroy();
parentPort.postMessage(latencies);
