// Cost of storing issued tokens on the embedded store, by the shape of their ids: oidc-provider's 256
// random bits alone, against the same bits after 12 hex digits of issue time (what the server uses,
// server/oidc/time-ordered-token-ids.ts). Drives the built SQLite oidc store as the server does: 8
// writes per event-loop turn, which its group commit puts in one transaction.
// Usage: npm run build && npm run bench:store   (options: TOKENS per round, ROUNDS)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../dist/adapters/sqlite/index.js';
import { withTimePrefix } from '../dist/server/oidc/time-ordered-token-ids.js';

const TOKENS = Number(process.env.TOKENS ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const PER_TURN = 8;
const TTL_S = 600;

const idShapes = {
  random: () => randomBytes(32).toString('base64url').slice(0, 43),
  'time-ordered': () => withTimePrefix(randomBytes(32).toString('base64url').slice(0, 43)),
};

/** Writes TOKENS client-credentials payloads into a fresh store; returns wall and CPU µs per token, and the worst turn. */
async function round(newId) {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-store-'));
  const storage = await openSqliteStorage({ dataDir });
  try {
    const turns = [];
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    for (let written = 0; written < TOKENS; written += PER_TURN) {
      const turnStarted = performance.now();
      const writes = [];
      for (let i = 0; i < PER_TURN; i++) {
        const jti = newId();
        writes.push(storage.oidc.upsert('ClientCredentials', jti, { jti, kind: 'ClientCredentials', clientId: 'bench-client', scope: 'admin', extra: {} }, TTL_S));
      }
      await Promise.all(writes);
      turns.push(performance.now() - turnStarted);
    }
    const wall = performance.now() - started;
    const cpu = process.cpuUsage(cpuStart);
    return { wall: (wall * 1000) / TOKENS, cpu: (cpu.user + cpu.system) / TOKENS, worst: Math.max(...turns) };
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = Object.fromEntries(Object.keys(idShapes).map((shape) => [shape, []]));
// Interleaved, so drift in this VM's disk and CPU speed falls on both shapes alike.
for (let r = 0; r < ROUNDS; r++) {
  for (const [shape, newId] of Object.entries(idShapes)) results[shape].push(await round(newId));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`SQLite oidc store, ${TOKENS} tokens x ${ROUNDS} rounds per id shape, ${PER_TURN} writes per turn, node ${process.version}`);
for (const [shape, rounds] of Object.entries(results)) {
  const wall = median(rounds.map((r) => r.wall));
  const cpu = median(rounds.map((r) => r.cpu));
  const worst = Math.max(...rounds.map((r) => r.worst));
  console.log(`${shape.padEnd(13)} ${wall.toFixed(1)} µs/token of event-loop time (${cpu.toFixed(1)} µs CPU), worst turn ${worst.toFixed(0)} ms`);
}
const ratio = median(results.random.map((r) => r.wall)) / median(results['time-ordered'].map((r) => r.wall));
console.log(`random ids cost ${ratio.toFixed(2)}x the time-ordered ones`);
