// The outbox survives kill -9 between commit and publish: a server process with its dispatcher held back
// (WEBHOOKS_DISPATCHER=false, the test seam) commits sign-ups, sign-ins and point awards, is killed with SIGKILL,
// and a restarted process delivers every committed change's event: exactly once to a receiver deduplicating by
// webhook-id (at least once on the wire). Changes that did not commit (a refused post, a duplicate enrolment)
// publish nothing.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../adapters/index.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { EVENT_TYPES } from '../../server/domain/events/event-types.ts';
import { deriveKey } from '../../server/security/crypto.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { authorizationRequest, discover, REDIRECT_URI, type RegisteredClient } from '../support/oidc-client.ts';
import { adminTokenFor, freePort, bootServerProcess, exitOf, type ServerProcess } from '../support/server-process.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { STORES, type StoreKind, type TestServer } from '../support/test-server.ts';
import { waitFor } from '../support/wait-for.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const ADMIN_ID = 'crash-admin';
const ADMIN_SECRET = 'crash-admin-secret-0123456789abcdef';
/** What each member's sign-up, sign-in and points must have produced, at least. */
const TYPES = ['member.created', 'member.email_verified', 'signin.succeeded', 'points.earned'];

const adminToken = (url: string) => adminTokenFor(url, ADMIN_ID, ADMIN_SECRET);

describe.each(STORES)('outbox crash recovery (%s)', (store: StoreKind) => {
  if (store === 'mongo') allowFerretDbTime();
  const kek = randomBytes(32).toString('hex');
  let dataDir: string;
  let mongoUri: string | undefined;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let storage: Storage;
  let port: number;
  let child: ServerProcess | undefined;

  const env = (dispatcher: boolean): Record<string, string> => ({
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: kek,
    BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_ID,
    BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    SMTP_URL: sink.url,
    CODE_RESEND_COOLDOWN_SECONDS: '0',
    RISK_NEW_DEVICE_STEP_UP: 'false',
    BOT_CHALLENGE_DIFFICULTY: '12',
    WEBHOOKS_DISPATCHER: String(dispatcher),
    WEBHOOK_POLL_MS: '50',
    LOG_LEVEL: 'info',
    ...(mongoUri ? { MONGODB_URI: mongoUri } : {}),
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-outbox-crash-'));
    mongoUri = store === 'mongo' ? mongoTestUri(`idp_crash_${randomUUID().replace(/-/g, '').slice(0, 12)}`) : undefined;
    sink = await startSmtpSink();
    receiver = await startWebhookReceiver();
    port = await freePort();
  });
  afterAll(async () => {
    if (child && child.child.exitCode === null) {
      child.child.kill('SIGKILL');
      await exitOf(child.child);
    }
    await storage?.close();
    await receiver?.close();
    await sink?.close();
    if (mongoUri) await dropMongoDatabase(mongoUri);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('events committed before kill -9 are all delivered after restart, once each after dedup', async () => {
    child = await bootServerProcess(env(false));
    const url = child.url.replace(/:\d+$/, `:${port}`);
    const token = await adminToken(url);
    const created = await fetch(`${url}/admin/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/crash`, events: EVENT_TYPES }),
    });
    expect(created.status).toBe(201);
    receiver.expect('/crash', { current: ((await created.json()) as { secret: string }).secret });

    // The test reads and seeds the same store the child writes (several processes on one store are supported).
    storage = await openStorage({ dataDir, mongodbUri: mongoUri, clientSecretKey: deriveKey(Buffer.from(kek, 'hex'), 'client-secrets') });
    const clientId = `crash-${randomUUID()}`;
    const metadata = {
      client_id: clientId, client_secret: `secret-${randomUUID()}`, client_name: 'Crash shop', redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid email', token_endpoint_auth_method: 'client_secret_basic', first_party: true,
    };
    await storage.clients.create(metadata);
    const client: RegisteredClient = { clientId, clientSecret: metadata.client_secret, metadata };
    const config = await discover({ url } as TestServer, client);

    const members: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const email = uniqueEmail('crash');
      const ua = new UserAgent(url);
      const request = await authorizationRequest(config);
      const login = await signUpAndVerify(ua, await openLoginPage(ua, request.url), sink, email);
      const done = await signIn(ua, login, email);
      expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
      const account = await storage.accounts.findByEmail(email);
      members.push(account!.id);
    }
    // Points posted through the child's store too, by the test process: committed, never published before the kill.
    for (const accountId of members) {
      const result = await storage.loyalty.post({ accountId, kind: 'earn', points: 25, partnerId: null, reason: 'welcome', idempotencyKey: `crash:${accountId}`, requestHash: 'h' });
      expect(result.ok).toBe(true);
    }

    // Not committed: a redemption past the balance writes nothing, and a second enrolment of a member is refused.
    expect(await storage.loyalty.post({ accountId: members[0]!, kind: 'redeem', points: -1000, partnerId: null, reason: 'too much', idempotencyKey: `crash:none:${members[0]}`, requestHash: 'h' }))
      .toEqual({ ok: false, reason: 'insufficient_points' });
    await expect(storage.loyalty.createMember({ accountId: members[0]!, memberNumber: '00000000000', enrolmentChannel: 'web' })).rejects.toThrow();

    const committed = await storage.events.backlog();
    expect(committed).toBeGreaterThanOrEqual(members.length * TYPES.length);
    const committedIds = (await storage.events.unpublished(1000)).map((event) => event.id).sort();
    expect(committedIds).toHaveLength(committed);

    // kill -9: no graceful shutdown, the outbox is all that is left of what was to be published.
    child.child.kill('SIGKILL');
    await exitOf(child.child);
    expect(receiver.wire).toHaveLength(0);

    child = await bootServerProcess(env(true));
    // Every committed event arrives: once each after dedup by webhook-id, at least once on the wire.
    const delivered = await waitFor(() => {
      const unique = receiver.unique('/crash');
      return unique.length >= committed ? unique : undefined;
    }, { timeoutMs: 90_000, what: `the ${committed} committed events after restart` });
    expect(delivered.map((m) => m.id).sort()).toEqual(committedIds);
    expect(receiver.wire.length).toBeGreaterThanOrEqual(committed);
    const kinds = new Set(delivered.map((m) => `${String(m.body.data.sub)} ${m.type}`));
    for (const member of members) for (const type of TYPES) expect(kinds).toContain(`${member} ${type}`);
    // No event for the refused post or the refused enrolment.
    expect(delivered.filter((m) => m.type === 'points.earned').map((m) => m.body.data.points)).toEqual([25, 25, 25]);
    expect(delivered.filter((m) => m.type === 'member.created')).toHaveLength(members.length);
    expect(await storage.events.backlog()).toBe(0);

    child.child.kill('SIGTERM');
    expect(await exitOf(child.child)).toBe(0);
  });
});
