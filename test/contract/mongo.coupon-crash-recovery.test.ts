// A coupon redemption cut by a crash on MongoDB leaves its idempotency key, generated code and slots claimed by an
// attempt that never finished: the retry with the same key and body (or the member's own retry on the account page)
// must settle that attempt itself and get the original answer, not a 409 until the sweep; one use, one earn.
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { couponLedgerKey } from '../../server/domain/coupons/coupon-service.ts';
import type { NewGeneratedCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { requestHash } from '../../server/domain/loyalty/loyalty-service.ts';
import { isSecurityPage, noticeOn, signedInMember } from '../support/account.ts';
import { pointsOn } from '../support/card.ts';
import type { RawDoc } from '../support/mongo-databases.ts';
import { useCouponPartners } from '../protocol/partners/coupon-api.ts';

const HOUR = 3600_000;

/** How far the crash got: each step is one insert of a redemption (adapters/mongo/coupon-uses.ts), in order. */
type CutAfter = 'key' | 'code' | 'member slot' | 'total slot' | 'commit';

describe('coupon crash recovery (mongo)', () => {
  const setup = useCouponPartners('mongo');
  const { fx } = setup;
  const { call, generated, redeem, balanceOf } = setup.api;
  let raw: mongoose.Connection;
  const collection = (name: string) => raw.collection<RawDoc>(name);
  const storage = () => fx.server.container.storage;

  beforeAll(async () => {
    // A plain connection to the server's own database, to leave what a cut write leaves behind its back.
    raw = mongoose.createConnection(fx.server.container.config.mongodbUri!, { autoIndex: false, autoCreate: false, bufferCommands: false });
    await raw.asPromise();
  });
  afterAll(async () => {
    await raw?.close();
  });

  /** A campaign of one generated code, one use in all and per member: a leftover of the cut attempt blocks every limit. */
  async function oneCodeCampaign() {
    const created = await generated(setup.shopToken, { code_count: 1, total_limit: 1, per_member_limit: 1, points: 60 });
    expect(created.status).toBe(201);
    return { campaignId: String(created.body.id), code: (created.body.codes as string[])[0]! };
  }

  /**
   * The documents a redemption through the partner API leaves when the process dies after `cut`: a real attempt
   * under the key and hash the API computes (without its ledger earn, which comes after), rolled back to that step.
   */
  async function cutRedemption(member: { accountId: string }, target: { campaignId: string; code: string }, key: string, cut: CutAfter) {
    const scopedKey = `${setup.shop.partnerId}:${key}`;
    const taken = await storage().coupons.redeem({
      campaignId: target.campaignId, accountId: member.accountId, at: new Date(), generatedCode: target.code,
      idempotency: { key: scopedKey, requestHash: requestHash({ accountId: member.accountId, code: target.code }) },
    });
    if (!taken.ok) throw new Error(`the attempt was refused: ${taken.reason}`);
    const use = await collection('coupon_uses').findOne({ _id: taken.use.id });
    const attemptId = use!.attemptId as string;
    // The key is bound to its use last, so every cut leaves it pending.
    await collection('coupon_keys').updateOne({ _id: scopedKey }, { $set: { useId: null } });
    if (cut === 'commit') return { scopedKey, attemptId };
    await collection('coupon_code_uses').updateOne({ attemptId }, { $set: { useId: null } });
    await collection('coupon_attempts').deleteOne({ _id: attemptId });
    if (cut === 'total slot') return { scopedKey, attemptId };
    await collection('coupon_uses').deleteOne({ _id: taken.use.id });
    if (cut === 'member slot') return { scopedKey, attemptId };
    await collection('coupon_uses').deleteMany({ attemptId });
    if (cut === 'code') return { scopedKey, attemptId };
    await collection('coupon_code_uses').deleteMany({ attemptId });
    return { scopedKey, attemptId };
  }

  /** Exactly one use of the campaign, its code bound to it, one earn under the use's key, and the balance its sum. */
  async function expectOneUse(campaignId: string, accountId: string, points: number) {
    expect((await call('GET', setup.shopToken, `/campaigns/${campaignId}`)).body.uses).toBe(1);
    const slots = await collection('coupon_uses').find({ campaignId }).toArray();
    expect(slots.map((slot) => slot.kind).sort()).toEqual(['member', 'total']);
    const use = slots.find((slot) => slot.kind === 'total')!;
    expect(await collection('coupon_code_uses').find({ campaignId }).toArray()).toEqual([expect.objectContaining({ useId: use._id, accountId })]);
    const entries = await storage().loyalty.listEntries(accountId, { limit: 10 });
    expect(entries.map((entry) => [entry.idempotencyKey, entry.points])).toEqual([[couponLedgerKey(campaignId, use._id), points]]);
    expect(await balanceOf(accountId)).toBe(await storage().loyalty.sumEntries(accountId));
  }

  test.each<CutAfter>(['key', 'code', 'member slot', 'total slot'])(
    'cut after its %s: the retry abandons the attempt, takes the code itself and answers as the original would have',
    async (cut) => {
      const member = await setup.fixture.memberOf(setup.shop);
      const target = await oneCodeCampaign();
      const key = randomUUID();
      const { scopedKey } = await cutRedemption(member, target, key, cut);

      // Held for the few seconds a live attempt could still need (coupon-uses.ts PENDING_WAIT_MS), then taken.
      const retry = await redeem(setup.shopToken, member.sub, target.code.toLowerCase(), key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(retry.body).toMatchObject({ campaign_id: target.campaignId, points: 60, points_balance: 60 });
      const again = await redeem(setup.shopToken, member.sub, target.code, key);
      expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([201, 'true', retry.body]);
      await expectOneUse(target.campaignId, member.accountId, 60);
      expect(await collection('coupon_keys').findOne({ _id: scopedKey })).toMatchObject({ useId: expect.any(String) });
    },
  );

  test('cut after its attempt committed: the retry replays that use at once and credits it once', async () => {
    const member = await setup.fixture.memberOf(setup.shop);
    const target = await oneCodeCampaign();
    const key = randomUUID();
    await cutRedemption(member, target, key, 'commit');
    const retry = await redeem(setup.shopToken, member.sub, target.code, key);
    expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(retry.body).toMatchObject({ campaign_id: target.campaignId, points: 60, points_balance: 60 });
    await expectOneUse(target.campaignId, member.accountId, 60);
  });

  test('cut after its earn, before the answer: the retry gets the original answer, one earn', async () => {
    const member = await setup.fixture.memberOf(setup.shop);
    const target = await oneCodeCampaign();
    const key = randomUUID();
    const first = await redeem(setup.shopToken, member.sub, target.code, key);
    expect(first.status).toBe(201);
    // Died after the earn and before marking the use credited and its key bound.
    await collection('coupon_keys').updateOne({ _id: `${setup.shop.partnerId}:${key}` }, { $set: { useId: null } });
    await collection('coupon_uses').updateOne({ campaignId: target.campaignId, kind: 'total' }, { $set: { creditedAt: null } });
    const retry = await redeem(setup.shopToken, member.sub, target.code, key);
    expect([retry.status, retry.headers.get('idempotent-replayed'), retry.body]).toEqual([201, 'true', first.body]);
    await expectOneUse(target.campaignId, member.accountId, 60);
  });

  test('a different body under a key left pending is a 409 at once, and takes nothing', async () => {
    const member = await setup.fixture.memberOf(setup.shop);
    const target = await oneCodeCampaign();
    const other = await oneCodeCampaign();
    const key = randomUUID();
    await cutRedemption(member, target, key, 'member slot');
    const conflict = await redeem(setup.shopToken, member.sub, other.code, key);
    expect([conflict.status, conflict.body.error]).toEqual([409, 'idempotency_conflict']);
    expect(await collection('coupon_uses').countDocuments({ campaignId: other.campaignId })).toBe(0);
    expect(await collection('coupon_code_uses').countDocuments({ campaignId: other.campaignId })).toBe(0);
    // The same body still settles it.
    expect((await redeem(setup.shopToken, member.sub, target.code, key)).status).toBe(201);
    await expectOneUse(target.campaignId, member.accountId, 60);
  });

  test('on the account page, the member\'s retry after a cut takes over the code and slot the dead attempt held', async () => {
    const input: NewGeneratedCampaign = {
      partnerId: setup.shop.partnerId, codePattern: 'PAGE-####-####', codeCount: 1, points: 45, perMemberLimit: 1, totalLimit: 1,
      startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() + HOUR),
    };
    const { campaign, codes } = await fx.server.container.coupons.createGeneratedCampaign(input);
    const { ua, accountId } = await signedInMember(fx, 'coupon-crash');
    // The first submit died after taking the code and the member's slot (no key on the account page).
    const taken = await storage().coupons.redeem({ campaignId: campaign.id, accountId, at: new Date(), generatedCode: codes[0] });
    if (!taken.ok) throw new Error(`the attempt was refused: ${taken.reason}`);
    const attemptId = (await collection('coupon_uses').findOne({ _id: taken.use.id }))!.attemptId as string;
    await collection('coupon_code_uses').updateOne({ attemptId }, { $set: { useId: null } });
    await collection('coupon_attempts').deleteOne({ _id: attemptId });
    await collection('coupon_uses').deleteOne({ _id: taken.use.id });

    const done = await ua.submit(await ua.follow('/account/coupon'), '/account/coupon', { code: codes[0]! });
    expect(isSecurityPage(done)).toBe(true);
    expect(noticeOn(done)).toBe('Coupon redeemed. Its points are in your balance now.');
    expect(pointsOn(done)).toBe(45);
    expect(await storage().coupons.countUses(campaign.id)).toBe(1);
    const entries = await storage().loyalty.listEntries(accountId, { limit: 10 });
    expect(entries.map((entry) => entry.points)).toEqual([45]);
    expect(await balanceOf(accountId)).toBe(await storage().loyalty.sumEntries(accountId));
  });
});
