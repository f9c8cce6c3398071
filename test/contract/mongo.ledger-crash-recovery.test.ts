// A points write cut by a crash on MongoDB leaves its idempotency key claimed but pending: the partner's retry
// with the same key and body must settle that claim itself and get the original answer, not a 409 until a sweep.
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { requestHash } from '../../server/domain/loyalty/loyalty-service.ts';
import type { RawDoc } from '../support/mongo-databases.ts';
import { useMemberServer } from '../support/suite.ts';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from '../protocol/partners/partner-fixture.ts';

describe('ledger crash recovery (mongo)', () => {
  const fx = useMemberServer('mongo');
  let admin: ReturnType<typeof adminCaller>;
  let shop: PartnerSetup;
  let raw: mongoose.Connection;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  const earn = (token: string, sub: string, body: { points: number; reason: string }, key: string) =>
    fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  const keys = () => raw.collection<RawDoc>('ledger_keys');
  const ledger = () => fx.server.container.storage.loyalty;

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shop = await partner('Crash shop');
    // A plain connection to the server's own database, to leave what a cut write leaves behind its back.
    raw = mongoose.createConnection(fx.server.container.config.mongodbUri!, { autoIndex: false, autoCreate: false, bufferCommands: false });
    await raw.asPromise();
  });
  afterAll(async () => {
    await raw?.close();
  });

  test('a write cut after its entry went in: the retry replays the original answer, one entry', async () => {
    const member = await memberOf(shop);
    const token = await partnerToken(shop);
    const key = randomUUID();
    const body = { points: 120, reason: 'order 2001' };
    const first = await earn(token, member.sub, body, key);
    expect(first.status).toBe(201);
    const original = await first.json();
    // The process died after appending the entry and before marking the claim applied: a fresh pending claim.
    const ledgerKey = `earn:${shop.partnerId}:${key}`;
    await keys().updateOne({ _id: ledgerKey }, { $set: { status: 'pending', entryId: null, createdAt: new Date() } });

    const retry = await earn(token, member.sub, body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(original);
    expect(await keys().findOne({ _id: ledgerKey })).toMatchObject({ status: 'applied' });
    const loyalty = ledger();
    expect(await loyalty.listEntries(member.accountId, { limit: 10 })).toHaveLength(1);
    expect((await loyalty.findMember(member.accountId))?.balance).toBe(await loyalty.sumEntries(member.accountId));
  });

  test('a write cut before its entry went in: the retry takes the key over and writes it once', async () => {
    const member = await memberOf(shop);
    const token = await partnerToken(shop);
    const key = randomUUID();
    const body = { points: 75, reason: 'order 2002' };
    // The process died between claiming the key and appending: the claim exactly as the adapter inserts it
    // (same scoped key and request hash as the partner API computes), just now, with no entry.
    await fx.server.container.loyalty.ensureMember(member.accountId);
    const ledgerKey = `earn:${shop.partnerId}:${key}`;
    await keys().insertOne({
      _id: ledgerKey,
      requestHash: requestHash({ kind: 'earn', points: body.points, partnerId: shop.partnerId, reason: body.reason, accountId: member.accountId }),
      accountId: member.accountId,
      status: 'pending',
      entryId: null,
      createdAt: new Date(),
    });

    // Held for the few seconds a live post could still need (adapters/mongo/loyalty.ts PENDING_WAIT_MS), then written.
    const retry = await earn(token, member.sub, body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await retry.json()).toMatchObject({ points: 75, reason: 'order 2002', points_balance: 75 });
    // A second retry is now a plain replay.
    const again = await earn(token, member.sub, body, key);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    const loyalty = ledger();
    expect(await loyalty.listEntries(member.accountId, { limit: 10 })).toHaveLength(1);
    expect((await loyalty.findMember(member.accountId))?.balance).toBe(await loyalty.sumEntries(member.accountId));
    expect(await loyalty.sumEntries(member.accountId)).toBe(75);
  });

  test('a different body under a key left pending is still refused, not written', async () => {
    const member = await memberOf(shop);
    const token = await partnerToken(shop);
    const key = randomUUID();
    expect((await earn(token, member.sub, { points: 10, reason: 'order 2003' }, key)).status).toBe(201);
    await keys().updateOne({ _id: `earn:${shop.partnerId}:${key}` }, { $set: { status: 'pending', entryId: null, createdAt: new Date() } });
    expect((await earn(token, member.sub, { points: 999, reason: 'order 2003' }, key)).status).toBe(409);
    expect(await fx.server.container.storage.loyalty.sumEntries(member.accountId)).toBe(10);
  });
});
