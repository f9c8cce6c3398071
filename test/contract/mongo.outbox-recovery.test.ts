// What a crash leaves in the Mongo outbox is settled, never lost and never invented: a ledger post cut before
// its event went in writes it when its pending claim is settled; an event left pending before its change is
// made ready when the change is there and deleted when it is not (so nothing is published for a change that
// never committed).
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { Buffer } from 'node:buffer';
import { pairId } from '../../adapters/mongo/claims.ts';
import { grantRevokedEvent, memberCreatedEvent } from '../../server/domain/events/domain-event.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { RawDoc } from '../support/mongo-databases.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('outbox crash recovery (mongo)', () => {
  allowFerretDbTime();
  let server: TestServer;
  let raw: mongoose.Connection;
  const events = () => raw.collection<RawDoc>('events');
  const storage = () => server.container.storage;

  beforeAll(async () => {
    // The dispatcher held back: the outbox is read here as the crash left it.
    server = await startTestServer({ store: 'mongo', env: { WEBHOOKS_DISPATCHER: 'false' } });
    raw = mongoose.createConnection(server.container.config.mongodbUri!, { autoIndex: false, autoCreate: false, bufferCommands: false });
    await raw.asPromise();
  });
  afterAll(async () => {
    await raw?.close();
    await server?.close();
  });

  async function member(): Promise<string> {
    const accountId = randomUUID();
    await storage().loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
    return accountId;
  }

  test('a post cut after its entry and before its event: settling the claim writes the event, once', async () => {
    const accountId = await member();
    const key = `recovery:${randomUUID()}`;
    const posted = await storage().loyalty.post({ accountId, kind: 'earn', points: 40, partnerId: null, reason: 'r', idempotencyKey: key, requestHash: 'h' });
    expect(posted.ok).toBe(true);
    const ours = { type: 'points.earned', memberId: accountId };
    expect(await events().countDocuments(ours)).toBe(1);
    // As the crash left it: the entry in, the claim still pending, no event.
    await events().deleteMany(ours);
    await raw.collection<RawDoc>('ledger_keys').updateOne({ _id: key }, { $set: { status: 'pending', entryId: null, createdAt: new Date(Date.now() - 3_600_000) } });
    expect(await storage().loyalty.recoverPending(new Date())).toBe(1);
    expect(await events().countDocuments({ ...ours, state: 'ready' })).toBe(1);
    // Settled again (a second sweep, a retried post): still one.
    await storage().loyalty.post({ accountId, kind: 'earn', points: 40, partnerId: null, reason: 'r', idempotencyKey: key, requestHash: 'h' });
    expect(await events().countDocuments(ours)).toBe(1);
  });

  test('an event left pending is made ready when its change is there, deleted when it is not', async () => {
    const accountId = await member();
    const enrolled = await storage().loyalty.findMember(accountId);
    const old = new Date(Date.now() - 3_600_000);
    const committed = memberCreatedEvent(enrolled!);
    const never = memberCreatedEvent({ ...enrolled!, accountId: randomUUID(), memberNumber: '12345678903' });
    for (const [event, proof] of [[committed, `member:${accountId}:${enrolled!.memberNumber}`], [never, `member:${never.memberId}:12345678903`]] as const) {
      await events().deleteMany({ _id: event.id });
      await events().insertOne({ _id: event.id, type: event.type, time: event.time, memberId: event.memberId, data: JSON.stringify(event.data), state: 'pending', proof, createdAt: old });
    }
    expect(await storage().events.recoverPending(new Date())).toBeGreaterThanOrEqual(2);
    expect(await events().findOne({ _id: committed.id })).toMatchObject({ state: 'ready' });
    expect(await events().findOne({ _id: never.id })).toBeNull();
    const relayable = (await storage().events.unpublished(1000)).map((event) => event.id);
    expect(relayable).toContain(committed.id);
    expect(relayable).not.toContain(never.id);
  });

  test('a Stop sharing cut after its grant.revoked went in pending: ready once the consent memory is gone, deleted while it is there', async () => {
    const accountId = randomUUID();
    const [stopped, kept] = [`shop-${randomUUID()}`, `cafe-${randomUUID()}`];
    await storage().consents.save({ accountId, clientId: kept, scopes: ['openid'], claims: [], resources: [], updatedAt: new Date() });
    const old = new Date(Date.now() - 3_600_000);
    const done = grantRevokedEvent(accountId, stopped);
    const cut = grantRevokedEvent(accountId, kept);
    for (const [event, clientId] of [[done, stopped], [cut, kept]] as const) {
      const proof = `withdrawn:${Buffer.from(pairId(accountId, clientId)).toString('base64url')}`;
      await events().insertOne({ _id: event.id, type: event.type, time: event.time, memberId: event.memberId, data: JSON.stringify(event.data), state: 'pending', proof, createdAt: old });
    }
    expect(await storage().events.recoverPending(new Date())).toBeGreaterThanOrEqual(2);
    expect(await events().findOne({ _id: done.id })).toMatchObject({ state: 'ready' });
    expect(await events().findOne({ _id: cut.id })).toBeNull();
  });
});
