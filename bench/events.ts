// Outbox benchmark (issue 18): events per second from the outbox to a local webhook receiver, the write cost the
// outbox adds to a sign-in's audit transaction, and the token throughput of a server whose dispatcher is delivering
// a backlog against one whose dispatcher is off, measured in the same run (interleaved rounds). Embedded store.
// Usage: npm run bench:events   (options: EVENTS, DURATION_S, CONCURRENCY, ROUNDS)
import { Buffer } from 'node:buffer';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../adapters/index.ts';
import { WebhookService } from '../server/domain/events/webhook-service.ts';
import { generateMemberNumber } from '../server/domain/loyalty/member-number.ts';
import type { Storage } from '../server/domain/storage.ts';
import { deriveKey } from '../server/security/crypto.ts';

const EVENTS = Number(process.env.EVENTS ?? 3000);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const KEK = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
const CLIENT_ID = 'bench-admin';
const CLIENT_SECRET = 'bench-admin-secret-0123456789abcdef';
const MEMBERS = 100;

const root = mkdtempSync(join(tmpdir(), 'idp-bench-events-'));
const children: ChildProcess[] = [];

/** A receiver that only counts distinct webhook-ids (as light as a receiver can be: it shares the cores). */
async function startReceiver() {
  const seen = new Set<string>();
  let firstAt = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      if (!seen.has(id)) {
        seen.add(id);
        lastAt = performance.now();
        if (seen.size === 1) firstAt = lastAt;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => seen.size,
    span: () => lastAt - firstAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Seeds a store: a webhook to the receiver for member.created and points.earned, and `events` committed changes. */
async function seed(dataDir: string, receiverUrl: string, events: number): Promise<number> {
  const storage: Storage = await openStorage({ dataDir, mongodbUri: undefined, clientSecretKey: deriveKey(Buffer.from(KEK, 'hex'), 'client-secrets') });
  try {
    const service = new WebhookService({
      repository: storage.webhooks, events: storage.events, partners: storage.partners, pairwiseSalt: deriveKey(Buffer.from(KEK, 'hex'), 'pairwise-subjects'),
      partnerExists: async () => false, sealKey: deriveKey(Buffer.from(KEK, 'hex'), 'webhook-secrets'), outbound: { targetProblem: async () => undefined },
    });
    await service.create({ url: `${receiverUrl}/bench`, events: ['member.created', 'points.earned'], partnerId: null });
    const members: string[] = [];
    for (let i = 0; i < MEMBERS; i += 1) {
      const accountId = randomUUID();
      await storage.loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
      members.push(accountId);
    }
    for (let i = 0; i < events - MEMBERS; i += 1) {
      const accountId = members[i % MEMBERS]!;
      await storage.loyalty.post({ accountId, kind: 'earn', points: 1, partnerId: null, reason: 'bench', idempotencyKey: `bench:${randomUUID()}`, requestHash: 'h' });
    }
    return await storage.events.backlog();
  } finally {
    await storage.close();
  }
}

async function startServer(name: string, dataDir: string, dispatcher: boolean): Promise<{ child: ChildProcess; url: string }> {
  const logFile = join(root, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['server/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', KEY_ENCRYPTION_KEY: KEK,
      BOOTSTRAP_ADMIN_CLIENT_ID: CLIENT_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: CLIENT_SECRET, WEBHOOKS_DISPATCHER: String(dispatcher), WEBHOOK_POLL_MS: '20',
    },
    stdio: ['ignore', out, 'inherit'],
  });
  closeSync(out);
  children.push(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const port = /"port":(\d+)[^\n]*"msg":"listening"/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (port) return { child, url: `http://127.0.0.1:${port}` };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const BODY = 'grant_type=client_credentials&scope=admin';
const AUTH = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

function token(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/token`, { method: 'POST', agent, headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', 'content-length': BODY.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`token: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

async function load(url: string, seconds: number): Promise<number> {
  let count = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      await token(url);
      count += 1;
    }
  }));
  return count;
}

/** The audit write of a sign-in with its outbox row (sign_in.success) against one without (sign_in.challenged). */
async function auditWriteCost(): Promise<{ withEvent: number; without: number }> {
  const storage = await openStorage({ dataDir: join(root, 'audit'), mongodbUri: undefined, clientSecretKey: undefined });
  const n = 2000;
  const times = { withEvent: 0, without: 0 };
  try {
    for (let round = 0; round < 10; round += 1) {
      for (const type of round % 2 === 0 ? (['sign_in.success', 'sign_in.challenged'] as const) : (['sign_in.challenged', 'sign_in.success'] as const)) {
        const started = performance.now();
        for (let i = 0; i < n; i += 1) {
          await storage.audit.append({ id: randomUUID(), type, at: new Date(), accountId: randomUUID(), ip: '127.0.0.1', userAgent: 'bench', country: null, reason: 'password', details: { score: 0 } });
        }
        times[type === 'sign_in.success' ? 'withEvent' : 'without'] += performance.now() - started;
      }
    }
  } finally {
    await storage.close();
  }
  return { withEvent: (10 * n) / 2 / (times.withEvent / 1000), without: (10 * n) / 2 / (times.without / 1000) };
}

const watchdog = setTimeout(() => {
  console.error('benchmark overran its time limit');
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, (4 * DURATION_S + 300) * 1000);

try {
  const receiver = await startReceiver();
  console.log(`machine: ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')} (shared: figures are indicative)`);

  // 1. Outbox → receiver: a committed backlog, delivered by a server started with its dispatcher on.
  const seeded = await seed(join(root, 'throughput'), receiver.url, EVENTS);
  const started = performance.now();
  const server = await startServer('throughput', join(root, 'throughput'), true);
  while (receiver.count() < seeded) {
    if (performance.now() - started > 240_000) throw new Error(`only ${receiver.count()} of ${seeded} delivered`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const wall = (performance.now() - started) / 1000;
  console.log(`outbox → receiver: ${seeded} events in ${wall.toFixed(1)} s from process start (${(seeded / wall).toFixed(0)} events/s), ${(seeded / (receiver.span() / 1000)).toFixed(0)} events/s first to last delivery`);
  await stop(server.child);

  // 2. The outbox row in a sign-in's audit transaction.
  const audit = await auditWriteCost();
  console.log(`sign-in audit write: ${audit.withEvent.toFixed(0)}/s with its outbox row, ${audit.without.toFixed(0)}/s without (ratio ${(audit.withEvent / audit.without).toFixed(2)})`);

  // 3. Token throughput while the dispatcher delivers a backlog, against a server whose dispatcher is off.
  await seed(join(root, 'busy'), receiver.url, EVENTS * 3);
  await seed(join(root, 'idle'), receiver.url, EVENTS * 3);
  const busy = await startServer('busy', join(root, 'busy'), true);
  const idle = await startServer('idle', join(root, 'idle'), false);
  const totals = { busy: 0, idle: 0 };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of round % 2 === 0 ? (['busy', 'idle'] as const) : (['idle', 'busy'] as const)) {
      totals[name] += await load(name === 'busy' ? busy.url : idle.url, DURATION_S / ROUNDS);
    }
  }
  console.log(`token endpoint: ${(totals.busy / DURATION_S).toFixed(0)}/s while delivering (${receiver.count() - seeded} of ${EVENTS * 3} delivered meanwhile), `
    + `${(totals.idle / DURATION_S).toFixed(0)}/s with the dispatcher off (ratio ${(totals.busy / totals.idle).toFixed(2)})`);
  await stop(busy.child);
  await stop(idle.child);
  await receiver.close();
} finally {
  clearTimeout(watchdog);
  agent.destroy();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
