// Held redemptions on MongoDB survive a crash between their steps (no transactions): a hold cut before or after its
// ledger entry, and a release or reject cut after its decision was taken, are finished by recoverPending() (or by a
// retry of the hold) exactly once; the balance always equals the sum of the entries.
import { randomUUID } from 'node:crypto';
import type mongoose from 'mongoose';
import type { NewHold } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { holdId } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { useMongoDatabases, type RawDoc } from '../support/mongo-databases.ts';

const { withRawAccess } = useMongoDatabases('holds');
const LONG_AGO = new Date(Date.now() - 60 * 60 * 1000);
const LATER = new Date(Date.now() + 60 * 1000);

async function memberWith(storage: Storage, points: number): Promise<string> {
  const accountId = randomUUID();
  await storage.loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
  const key = randomUUID();
  await storage.loyalty.post({ accountId, kind: 'earn', points, partnerId: null, reason: 'earn', idempotencyKey: key, requestHash: key });
  return accountId;
}

function request(accountId: string, points: number): NewHold {
  const key = randomUUID();
  return { accountId, points, partnerId: null, reason: 'gift card', idempotencyKey: key, requestHash: `hash-${key}`, score: 70, signals: ['balance-drain'] };
}

async function addsUp(storage: Storage, accountId: string, balance: number) {
  expect((await storage.loyalty.findMember(accountId))?.balance).toBe(balance);
  expect(await storage.loyalty.sumEntries(accountId)).toBe(balance);
}

const holds = (raw: mongoose.Connection) => raw.collection<RawDoc>('held_redemptions');

describe('held redemption crash recovery (mongo)', () => {
  test('a hold cut after its entry went in is marked held by the sweep; a retry of it would replay it', () => withRawAccess(async (storage, raw) => {
    const accountId = await memberWith(storage, 1000);
    const input = request(accountId, 800);
    const first = await storage.heldRedemptions.hold(input);
    if (!first.ok || !first.hold) throw new Error('expected a hold');
    // The process died after the hold entry, before the record said `held`.
    await holds(raw).updateOne({ _id: first.hold.id }, { $set: { status: 'pending', entryId: null, createdAt: LONG_AGO } });
    expect(await storage.heldRedemptions.find(first.hold.id)).toBeUndefined();
    expect(await storage.heldRedemptions.recoverPending(LATER)).toBe(1);
    expect(await storage.heldRedemptions.find(first.hold.id)).toMatchObject({ status: 'held', entryId: first.entry.id });
    const again = await storage.heldRedemptions.hold(input);
    expect(again).toMatchObject({ ok: true, replayed: true, hold: { id: first.hold.id } });
    await addsUp(storage, accountId, 200);
  }));

  test('a hold cut before its entry reserved nothing: the sweep forgets it; a retry holds it once', () => withRawAccess(async (storage, raw) => {
    const accountId = await memberWith(storage, 1000);
    const input = request(accountId, 600);
    const id = holdId(input.idempotencyKey);
    await holds(raw).insertOne({
      _id: id, accountId, points: 600, partnerId: null, reason: 'gift card', idempotencyKey: input.idempotencyKey, requestHash: input.requestHash,
      entryId: null, score: 70, signals: ['balance-drain'], status: 'pending', createdAt: LONG_AGO, decidedAt: null, decidedBy: null,
    });
    // A retry that comes before the sweep finishes the hold itself.
    const retried = await storage.heldRedemptions.hold(input);
    expect(retried).toMatchObject({ ok: true, replayed: false, hold: { id, status: 'held' } });
    await addsUp(storage, accountId, 400);

    const other = request(accountId, 100);
    await holds(raw).insertOne({
      _id: holdId(other.idempotencyKey), accountId, points: 100, partnerId: null, reason: 'x', idempotencyKey: other.idempotencyKey, requestHash: other.requestHash,
      entryId: null, score: 70, signals: [], status: 'pending', createdAt: LONG_AGO, decidedAt: null, decidedBy: null,
    });
    expect(await storage.heldRedemptions.recoverPending(LATER)).toBe(1);
    expect(await holds(raw).findOne({ _id: holdId(other.idempotencyKey) })).toBeNull();
    await addsUp(storage, accountId, 400);
  }));

  test('a release cut after its decision: the sweep writes points.redeemed and the status, once', () => withRawAccess(async (storage, raw) => {
    const accountId = await memberWith(storage, 1000);
    const held = await storage.heldRedemptions.hold(request(accountId, 900));
    if (!held.ok || !held.hold) throw new Error('expected a hold');
    // The winner inserted its decision, then died.
    await raw.collection<RawDoc>('hold_decisions').insertOne({ _id: held.hold.id, status: 'released', decidedBy: 'admin', decidedAt: LONG_AGO });
    expect(await storage.heldRedemptions.release(held.hold.id, 'someone-else')).toMatchObject({ ok: false, reason: 'decided' });
    expect(await storage.heldRedemptions.recoverPending(LATER)).toBe(1);
    expect(await storage.heldRedemptions.find(held.hold.id)).toMatchObject({ status: 'released', decidedBy: 'admin' });
    expect(await storage.heldRedemptions.recoverPending(LATER)).toBe(0);
    const events = (await storage.events.listByTime({ from: new Date(0), to: LATER, limit: 100 })).filter((e) => e.type === 'points.redeemed' && e.memberId === accountId);
    expect(events).toHaveLength(1);
    await addsUp(storage, accountId, 100);
  }));

  test('a reject cut after its return entry: the sweep sets the status without returning the points twice', () => withRawAccess(async (storage, raw) => {
    const accountId = await memberWith(storage, 1000);
    const held = await storage.heldRedemptions.hold(request(accountId, 700));
    if (!held.ok || !held.hold) throw new Error('expected a hold');
    expect(await storage.heldRedemptions.reject(held.hold.id, 'admin')).toMatchObject({ ok: true });
    // As if the process died before the status was written (the decision is older than the sweep's age).
    await holds(raw).updateOne({ _id: held.hold.id }, { $set: { status: 'held', decidedAt: null, decidedBy: null } });
    await raw.collection<RawDoc>('hold_decisions').updateOne({ _id: held.hold.id }, { $set: { decidedAt: LONG_AGO } });
    expect(await storage.heldRedemptions.recoverPending(LATER)).toBe(1);
    expect(await storage.heldRedemptions.find(held.hold.id)).toMatchObject({ status: 'rejected' });
    const entries = await storage.loyalty.listEntries(accountId, { limit: 10 });
    expect(entries.filter((e) => e.kind === 'hold_return')).toHaveLength(1);
    await addsUp(storage, accountId, 1000);
  }));
});
