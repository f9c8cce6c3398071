// Analytics rollup benchmark (issue 18 item 5): how many outbox events per second the rollup consumer counts, and
// the throughput of sign-in writes (an audit row and its signin.succeeded event in one transaction) with the rollup
// consumer running beside them against without it, in the same run (interleaved rounds, same process and store).
// Usage: npm run bench:analytics   (options: EVENTS, ROUNDS, ROUND_MS, POLL_MS). Embedded store.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openStorage } from '../adapters/index.ts';
import { AnalyticsRollup } from '../server/domain/analytics/analytics-rollup.ts';
import { eventId, type DomainEvent } from '../server/domain/events/domain-event.ts';
import type { EventType } from '../server/domain/events/event-types.ts';
import type { Storage } from '../server/domain/storage.ts';
import { deriveKey } from '../server/security/crypto.ts';

const EVENTS = Number(process.env.EVENTS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const MEMBERS = 500;
/** The consumer's poll (WEBHOOK_POLL_MS, 1000 by default). */
const POLL_MS = Number(process.env.POLL_MS ?? 1000);
const KEK = Buffer.from(randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''), 'hex');

const root = mkdtempSync(join(tmpdir(), 'idp-bench-analytics-'));
const logger = pino({ level: 'warn' });

/** A realistic mix: mostly sign-ins, then points, sign-ups with their funnel, failures and blocks, over three days. */
function syntheticEvents(count: number, members: string[]): DomainEvent[] {
  const start = Date.UTC(2026, 10, 1);
  const mix: Array<[EventType, (i: number) => Record<string, string | number | null>]> = [
    ['signin.succeeded', (i) => ({ method: i % 3 ? 'password' : 'passkey', client: i % 2 ? 'shop-web' : null, acr: 'urn:loyalty:loa:1', amr: 'pwd', risk: 0 })],
    ['signin.succeeded', () => ({ method: 'code_email', client: 'shop-web' })],
    ['points.earned', (i) => ({ points: 10 + (i % 90), partner_id: `p${i % 5}`, kind: 'earn' })],
    ['signin.failed', () => ({ method: 'password', reason: 'wrong_password' })],
    ['points.redeemed', (i) => ({ points: -(i % 50), partner_id: `p${i % 5}`, kind: 'redeem' })],
    ['member.created', (i) => ({ channel: i % 4 ? 'web' : 'app', method: 'password' })],
    ['signup.code_sent', () => ({})],
    ['member.email_verified', () => ({})],
    ['security.blocked', () => ({ rule: 'sign_in.blocked', reason: 'pair' })],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [type, data] = mix[i % mix.length]!;
    const time = new Date(start + Math.floor((i / count) * 3 * 86_400_000));
    return { id: eventId(time), type, time, memberId: type === 'security.blocked' ? null : members[i % members.length]!, data: data(i) };
  });
}

async function open(name: string): Promise<Storage> {
  const dataDir = join(root, name);
  return openStorage({ dataDir, mongodbUri: undefined, clientSecretKey: deriveKey(KEK, 'client-secrets') });
}

/** Events counted per second by the consumer, from a seeded outbox to nothing left. */
async function rollupRate(): Promise<{ events: number; seconds: number }> {
  const storage = await open('rate');
  try {
    const members = Array.from({ length: MEMBERS }, () => randomUUID());
    const events = syntheticEvents(EVENTS, members);
    for (let i = 0; i < events.length; i += 1000) await storage.events.append(events.slice(i, i + 1000));
    const consumer = new AnalyticsRollup({ repository: storage.analytics, leases: storage.events, logger, pollMs: 1000, retentionDays: 400 });
    const started = performance.now();
    const counted = await consumer.catchUp();
    const seconds = (performance.now() - started) / 1000;
    await consumer.stop();
    return { events: counted, seconds };
  } finally {
    await storage.close();
  }
}

/** Sign-in writes completed in `ms` (one at a time, as the event loop of one process serves them). */
async function signInWrites(storage: Storage, members: string[], ms: number): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await storage.audit.append({
      id: randomUUID(), type: 'sign_in.success', at: new Date(), accountId: members[done % members.length]!, ip: '203.0.113.9', userAgent: 'bench',
      country: null, reason: 'password', details: { client_id: 'shop-web', score: 0 },
    });
    done += 1;
  }
  return done;
}

async function onVersusOff(): Promise<{ on: number; off: number; rounds: number }> {
  const storage = await open('writes');
  const members = Array.from({ length: MEMBERS }, () => randomUUID());
  let on = 0;
  let off = 0;
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      // Interleaved, alternating which goes first: drift of the machine (other work on its cores) hits both alike.
      for (const rollups of round % 2 === 0 ? [false, true] : [true, false]) {
        const consumer = rollups ? new AnalyticsRollup({ repository: storage.analytics, leases: storage.events, logger, pollMs: POLL_MS, retentionDays: 400 }) : undefined;
        consumer?.start();
        const writes = await signInWrites(storage, members, ROUND_MS);
        await consumer?.stop();
        // What the consumer left uncounted is counted between rounds, outside the timing.
        if (!rollups) {
          const later = new AnalyticsRollup({ repository: storage.analytics, leases: storage.events, logger, pollMs: 50, retentionDays: 400 });
          await later.catchUp();
          await later.stop();
        }
        if (rollups) on += writes;
        else off += writes;
      }
    }
  } finally {
    await storage.close();
  }
  return { on, off, rounds: ROUNDS };
}

try {
  const rate = await rollupRate();
  console.log(`rollup consumer: ${rate.events} events counted in ${rate.seconds.toFixed(2)} s = ${Math.round(rate.events / rate.seconds)} events/s (SQLite)`);
  const writes = await onVersusOff();
  const seconds = (writes.rounds * ROUND_MS) / 1000;
  console.log(`sign-in writes (audit row + signin.succeeded event): rollups off ${Math.round(writes.off / seconds)}/s, rollups on ${Math.round(writes.on / seconds)}/s, on/off = ${(writes.on / writes.off).toFixed(2)} (${writes.rounds} interleaved rounds of ${ROUND_MS} ms each, poll ${POLL_MS} ms)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
