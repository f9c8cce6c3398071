// Mongo coupons beyond the contract: documents stored before generated codes read as they were meant, what a
// crash leaves between the unique inserts of a redemption (an idempotency key or a code claimed, its use not
// recorded) is settled by recoverPending: kept when the use was taken, given back when it was not; and a claim of a
// single code whose campaign a crash left unwritten (or unrevived) holds the code only for a grace period.
import { randomBytes, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { pairId } from '../../adapters/mongo/claims.ts';
import { registerCouponModels } from '../../adapters/mongo/coupon-models.ts';
import { MongoCouponUses } from '../../adapters/mongo/coupon-uses.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { CLAIM_GRACE_MS } from '../../adapters/mongo/coupon-code-claims.ts';
import { MongoCouponsRepository } from '../../adapters/mongo/coupons.ts';
import { openMongoStorage } from '../../adapters/mongo/index.ts';
import { registerModels } from '../../adapters/mongo/models.ts';
import { couponLedgerKey, CouponService } from '../../server/domain/coupons/coupon-service.ts';
import type { NewCampaign, NewGeneratedCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { drawCode } from '../../server/domain/coupons/coupon-rules.ts';
import { LoyaltyService } from '../../server/domain/loyalty/loyalty-service.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { expectCodeTaken } from './coupons.contract.ts';

const uri = mongoTestUri(`coupons_${randomBytes(4).toString('hex')}`);
let storage: Storage;
let raw: mongoose.Connection;

beforeAll(async () => {
  storage = await openMongoStorage({ uri });
  raw = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
  await raw.asPromise();
});
afterAll(async () => {
  await raw?.close();
  await storage?.close();
  await dropMongoDatabase(uri);
});

interface RawDoc {
  _id: string;
  [field: string]: unknown;
}
const collection = (name: string) => raw.collection<RawDoc>(name);
const tenMinutesAgo = () => new Date(Date.now() - 10 * 60 * 1000);
const recoveryCutoff = () => new Date(Date.now() - 5 * 60 * 1000);

const generated = (over: Partial<NewGeneratedCampaign> = {}): NewGeneratedCampaign => ({
  partnerId: randomUUID(), codePattern: 'CRASH-########', codeCount: 3, points: 20, perMemberLimit: 3, totalLimit: 3,
  startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z'), ...over,
});

/** `model` with its next create() held until `gate` opens (`onHold` says it is held): an instance stalled mid-write. */
function holdingNextCreate<T extends object>(model: T, gate: Promise<void>, onHold: () => void): T {
  let held = false;
  return new Proxy(model, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'create' || typeof value !== 'function') return value;
      return async (...args: unknown[]): Promise<unknown> => {
        if (!held) {
          held = true;
          onHold();
          await gate;
        }
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
}

const single = (code: string, over: Partial<NewCampaign> = {}): NewCampaign => ({
  partnerId: randomUUID(), code, points: 20, perMemberLimit: 1, totalLimit: 10,
  startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z'), ...over,
});
const AT = new Date('2026-06-01T00:00:00Z');
const after = (ms: number) => new Date(AT.getTime() + ms);

/** The claim a process leaves when it dies after claiming `code` for a campaign it then never writes (or revives). */
const leaveClaim = (code: string, gen: number, campaignId: string, partnerId: string) => collection('coupon_code_claims').insertOne({
  _id: `${code}:${gen}`, code, gen, campaignId, partnerId, endsAt: new Date('2027-06-01T00:00:00Z'), createdAt: AT,
});

describe('mongo coupon code claims', () => {
  it('a claim whose campaign was never written holds the code for the grace period only', async () => {
    await leaveClaim('ORPHAN-1', 1, 'never-written', 'p-dead');
    await expectCodeTaken(storage.coupons.create(single('ORPHAN-1'), AT));
    await expectCodeTaken(storage.coupons.create(single('ORPHAN-1'), after(CLAIM_GRACE_MS - 1000)));
    const taken = await storage.coupons.create(single('ORPHAN-1'), after(CLAIM_GRACE_MS + 1000));
    expect(await storage.coupons.findAllByCode('ORPHAN-1')).toEqual([taken]);
    // Taken over by the next generation: the orphan is left as it was, never deleted under a racing claimer.
    expect(await collection('coupon_code_claims').find({ code: 'ORPHAN-1' }).sort({ gen: 1 }).toArray())
      .toMatchObject([{ gen: 1, campaignId: 'never-written' }, { gen: 2, campaignId: taken.id }]);
  });

  it('the grace period is the repository\'s to set', async () => {
    await leaveClaim('ORPHAN-2', 1, 'never-written', 'p-dead');
    const repository = new MongoCouponsRepository(registerModels(raw), { claimGraceMs: 0 });
    expect(await repository.create(single('ORPHAN-2'), AT)).toMatchObject({ code: 'ORPHAN-2' });
  });

  it('a revival cut short (claim renewed, new end never written) holds the code for the grace period only', async () => {
    const old = await storage.coupons.create(single('REVIVED-1', { startsAt: new Date('2025-01-01T00:00:00Z'), endsAt: new Date('2026-01-01T00:00:00Z') }), AT);
    await leaveClaim('REVIVED-1', 2, old.id, old.partnerId);
    await expectCodeTaken(storage.coupons.create(single('REVIVED-1'), AT));
    expect(await storage.coupons.create(single('REVIVED-1'), after(CLAIM_GRACE_MS + 1000))).toMatchObject({ code: 'REVIVED-1' });
  });

  it('a live campaign stored before claims existed still holds its code', async () => {
    await collection('coupon_campaigns').insertOne({
      _id: randomUUID(), partnerId: 'p-legacy', code: 'LEGACY-1', points: 5, perMemberLimit: 1, totalLimit: 5,
      startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z'), createdAt: new Date(1000),
    });
    await expectCodeTaken(storage.coupons.create(single('LEGACY-1'), AT));
    expect(await storage.coupons.create(single('LEGACY-1'), new Date('2027-01-01T00:00:00Z'))).toMatchObject({ code: 'LEGACY-1' });
  });
});

describe('mongo coupons', () => {
  allowFerretDbTime();

  it('reads a campaign and a use stored before generated codes, and credits that use once', async () => {
    const campaignId = randomUUID();
    await collection('coupon_campaigns').insertOne({
      _id: campaignId, partnerId: 'p-old', code: 'OLD-CODE', points: 30, perMemberLimit: 2, totalLimit: 5,
      startsAt: new Date(1000), endsAt: new Date('2030-01-01T00:00:00Z'), createdAt: new Date(1000),
    });
    await collection('coupon_uses').insertOne({ _id: `${campaignId}:1`, campaignId, accountId: 'old-member', kind: 'total', createdAt: new Date(2000) });
    expect(await storage.coupons.find(campaignId)).toMatchObject({ code: 'OLD-CODE', codePattern: null, codeCount: 0, endedAt: null });
    expect(await storage.coupons.findByCode('p-old', 'OLD-CODE')).toMatchObject({ id: campaignId });

    const service = new CouponService(storage.coupons, new LoyaltyService(storage.loyalty));
    const uncredited = (await storage.coupons.findUncredited(new Date(3000), 100)).filter((use) => use.campaignId === campaignId);
    expect(uncredited).toEqual([expect.objectContaining({ id: `${campaignId}:1`, code: null, points: null, creditedAt: null })]);
    expect(await service.recoverUncredited(new Date(3000))).toMatchObject({ credited: 1, failed: 0 });
    expect(await storage.loyalty.findEntryByKey(couponLedgerKey(campaignId, `${campaignId}:1`))).toMatchObject({ points: 30, reason: 'coupon OLD-CODE' });
    expect(await service.recoverUncredited(new Date(3000))).toEqual({ credited: 0, failed: 0 });
  });

  it('settles keys and codes a crash left claimed: kept when their use was taken, given back when not, young ones left', async () => {
    const { campaign, codes } = await storage.coupons.createGenerated(generated({ codeCount: 4, totalLimit: 4 }), () => drawCode('CRASH-########'));
    const keys = collection('coupon_keys');
    const codeUses = collection('coupon_code_uses');
    const at = new Date();

    // A key whose request took its use, and one whose request died before taking anything.
    const taken = { key: `p:${randomUUID()}`, requestHash: 'h-taken' };
    const redeemed = await storage.coupons.redeem({ campaignId: campaign.id, accountId: 'm1', at, generatedCode: codes[0], idempotency: taken });
    if (!redeemed.ok) throw new Error('redemption refused');
    await keys.updateOne({ _id: taken.key }, { $set: { useId: null, createdAt: tenMinutesAgo() } });
    await codeUses.updateOne({ _id: pairId(campaign.partnerId, codes[0]!) }, { $set: { useId: null, createdAt: tenMinutesAgo() } });
    const lost = { key: `p:${randomUUID()}`, requestHash: 'h-lost' };
    await keys.insertOne({ _id: lost.key, requestHash: lost.requestHash, useId: null, createdAt: tenMinutesAgo() });
    // A code claimed by a request that died before its slots; and a claim young enough to be in flight.
    await codeUses.insertOne({ _id: pairId(campaign.partnerId, codes[1]!), campaignId: campaign.id, code: codes[1], accountId: 'm2', useId: null, createdAt: tenMinutesAgo() });
    await codeUses.insertOne({ _id: pairId(campaign.partnerId, codes[2]!), campaignId: campaign.id, code: codes[2], accountId: 'm3', useId: null, createdAt: new Date() });

    // Nobody retries these (a retry would settle its own key at once: mongo.coupon-crash-recovery.test.ts): the sweep
    // does. Three: settling the taken key binds its code as well.
    expect(await storage.coupons.recoverPending(recoveryCutoff())).toBe(3);
    expect(await keys.findOne({ _id: taken.key })).toMatchObject({ useId: redeemed.use.id });
    expect(await keys.findOne({ _id: lost.key })).toBeNull();
    expect(await codeUses.findOne({ _id: pairId(campaign.partnerId, codes[0]!) })).toMatchObject({ useId: redeemed.use.id });
    expect(await codeUses.findOne({ _id: pairId(campaign.partnerId, codes[1]!) })).toBeNull();
    expect(await codeUses.findOne({ _id: pairId(campaign.partnerId, codes[2]!) })).toMatchObject({ useId: null });
    expect(await storage.coupons.recoverPending(recoveryCutoff())).toBe(0);

    // The kept key replays; the given-back code and key work again.
    expect(await storage.coupons.redeem({ campaignId: campaign.id, accountId: 'm1', at, generatedCode: codes[0], idempotency: taken })).toEqual({ ...redeemed, replayed: true });
    expect(await storage.coupons.redeem({ campaignId: campaign.id, accountId: 'm2', at, generatedCode: codes[1], idempotency: lost })).toMatchObject({ ok: true, replayed: false });
    expect(await storage.coupons.redeem({ campaignId: campaign.id, accountId: 'm4', at, generatedCode: codes[2] })).toEqual({ ok: false, reason: 'code_used' });
    expect(await storage.coupons.countUses(campaign.id)).toBe(2);
  });

  it('an attempt slower than a retry\'s wait cannot commit: it gives its slots back and replays the retry\'s use', async () => {
    const { campaign, codes } = await storage.coupons.createGenerated(generated({ codeCount: 1, totalLimit: 1, perMemberLimit: 1 }), () => drawCode('CRASH-########'));
    // A second instance whose attempt stalls after taking the key, the code and both slots, before writing its outcome.
    const slowConnection = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
    await slowConnection.asPromise();
    try {
      let open!: () => void;
      let held!: () => void;
      const gate = new Promise<void>((resolve) => { open = resolve; });
      const stalled = new Promise<void>((resolve) => { held = resolve; });
      const models = registerCouponModels(slowConnection);
      const slow = new MongoCouponUses({ ...models, couponAttempts: holdingNextCreate(models.couponAttempts, gate, held) });
      const request = { campaignId: campaign.id, accountId: 'slow-member', at: new Date(), generatedCode: codes[0], idempotency: { key: `p:${randomUUID()}`, requestHash: 'h-slow' } };
      const slowAnswer = slow.redeem(request);
      await stalled;

      // The retry waits out the few seconds a live attempt may need, abandons this one and takes the use itself.
      const retry = await storage.coupons.redeem(request);
      expect(retry).toMatchObject({ ok: true, replayed: false });
      open();
      expect(await slowAnswer).toEqual({ ...retry, replayed: true });

      expect(await storage.coupons.countUses(campaign.id)).toBe(1);
      const slots = await collection('coupon_uses').find({ campaignId: campaign.id }).toArray();
      expect(slots.map((slot) => slot.kind).sort()).toEqual(['member', 'total']);
      const attemptIds = new Set(slots.map((slot) => slot.attemptId));
      expect(attemptIds.size).toBe(1);
      expect(await collection('coupon_code_uses').find({ campaignId: campaign.id }).toArray()).toEqual([expect.objectContaining({ useId: retry.ok && retry.use.id, attemptId: [...attemptIds][0] })]);
    } finally {
      await slowConnection.close();
    }
  });

  it('stores a generated campaign under a code nobody can type, so a partner may have many', async () => {
    const partnerId = randomUUID();
    const first = await storage.coupons.createGenerated(generated({ partnerId }), () => drawCode('CRASH-########'));
    const second = await storage.coupons.createGenerated(generated({ partnerId }), () => drawCode('CRASH-########'));
    expect([first.campaign.code, second.campaign.code]).toEqual([null, null]);
    const stored = await collection('coupon_campaigns').find({ partnerId }).toArray();
    expect(stored.map((doc) => doc.code).sort()).toEqual([`#${first.campaign.id}`, `#${second.campaign.id}`].sort());
  });
});
