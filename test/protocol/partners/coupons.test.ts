// Coupons through the partner API: a partner creates a campaign (one code, points, limits, window) and redeems
// its code for its own members; limits hold, the window holds, another partner's code is unknown; and a retry
// with the same Idempotency-Key never takes a second use, even sent many times at once.
import { randomUUID } from 'node:crypto';
import { STORES } from '../../support/test-server.ts';
import { HOUR, useCouponPartners } from './coupon-api.ts';

describe.each(STORES)('partner API coupons (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { fx } = setup;
  const { call, campaign, redeem, balanceOf } = setup.api;
  const memberOf = () => setup.fixture.memberOf(setup.shop);
  const useCount = async (campaignId: unknown) => (await call('GET', setup.shopToken, `/campaigns/${String(campaignId)}`)).body.uses;

  test('creates a campaign and credits its points once per use, up to the member limit', async () => {
    const created = await campaign(setup.shopToken, { code: 'spring-25', points: 75, per_member_limit: 2 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'SPRING-25', code_pattern: null, code_count: 0, points: 75, per_member_limit: 2, total_limit: 100, ended_at: null, uses: 0 });
    const member = await memberOf();
    const first = await redeem(setup.shopToken, member.sub, 'Spring-25');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ campaign_id: created.body.id, points: 75, points_balance: 75 });
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await redeem(setup.shopToken, member.sub, 'SPRING-25')).status).toBe(201);
    const third = await redeem(setup.shopToken, member.sub, 'spring-25');
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ error: 'conflict', details: { reason: 'member_limit' } });
    expect(await balanceOf(member.accountId)).toBe(150);
    const entries = await fx.server.container.storage.loyalty.listEntries(member.accountId, { limit: 5 });
    expect(entries.map((e) => e.idempotencyKey).every((key) => key.startsWith('coupon:'))).toBe(true);
  });

  test('refuses a second campaign with the same code for the partner (409), and for another partner while it runs', async () => {
    const first = await campaign(setup.shopToken, { code: 'TWICE-1' });
    expect(first.status).toBe(201);
    expect((await campaign(setup.shopToken, { code: 'twice-1' })).status).toBe(409);
    // Codes are global on the hosted page (test/security/coupon-code.squatting.test.ts); once the shop's ends, it is free.
    expect((await campaign(setup.cafeToken, { code: 'TWICE-1' })).status).toBe(409);
    expect((await call('POST', setup.shopToken, `/campaigns/${String(first.body.id)}/end`)).status).toBe(200);
    expect((await campaign(setup.cafeToken, { code: 'TWICE-1' })).status).toBe(201);
  });

  test('stops at the total limit', async () => {
    await campaign(setup.shopToken, { code: 'ONLY-ONE', total_limit: 1 });
    const [a, b] = [await memberOf(), await memberOf()];
    expect((await redeem(setup.shopToken, a.sub, 'ONLY-ONE')).status).toBe(201);
    const late = await redeem(setup.shopToken, b.sub, 'ONLY-ONE');
    expect([late.status, late.body.details]).toEqual([409, { reason: 'used_up' }]);
    expect(await balanceOf(b.accountId)).toBe(0);
  });

  test('a code outside its window, ended, unknown, or another partner\'s is a 404', async () => {
    const member = await memberOf();
    await campaign(setup.shopToken, { code: 'LATER', starts_at: new Date(Date.now() + HOUR).toISOString(), ends_at: new Date(Date.now() + 2 * HOUR).toISOString() });
    await campaign(setup.shopToken, { code: 'OVER', starts_at: new Date(Date.now() - 2 * HOUR).toISOString(), ends_at: new Date(Date.now() - HOUR).toISOString() });
    const ended = await campaign(setup.shopToken, { code: 'ENDED-EARLY' });
    expect((await call('POST', setup.shopToken, `/campaigns/${String(ended.body.id)}/end`)).status).toBe(200);
    await campaign(setup.cafeToken, { code: 'CAFE-ONLY' });
    for (const code of ['LATER', 'OVER', 'ENDED-EARLY', 'CAFE-ONLY', 'NO-SUCH-CODE', '!!']) {
      expect([code, (await redeem(setup.shopToken, member.sub, code)).status]).toEqual([code, 404]);
    }
    // And the cafe cannot reach the shop's member at all.
    expect((await redeem(setup.cafeToken, member.sub, 'CAFE-ONLY')).status).toBe(404);
    expect(await balanceOf(member.accountId)).toBe(0);
  });

  describe('Idempotency-Key', () => {
    test('the same key and body replay the original answer; another body is a 409; no second use either way', async () => {
      const created = await campaign(setup.shopToken, { code: 'RETRY-1', per_member_limit: 5, points: 30 });
      const member = await memberOf();
      const key = randomUUID();
      const first = await redeem(setup.shopToken, member.sub, 'RETRY-1', key);
      expect(first.status).toBe(201);
      const again = await redeem(setup.shopToken, member.sub, 'retry-1', key);
      expect([again.status, again.headers.get('idempotent-replayed'), again.body]).toEqual([201, 'true', first.body]);
      const other = await campaign(setup.shopToken, { code: 'RETRY-2', per_member_limit: 5 });
      expect((await redeem(setup.shopToken, member.sub, 'RETRY-2', key)).body).toMatchObject({ error: 'idempotency_conflict' });
      const otherMember = await memberOf();
      expect((await redeem(setup.shopToken, otherMember.sub, 'RETRY-1', key)).status).toBe(409);
      expect([await useCount(created.body.id), await useCount(other.body.id)]).toEqual([1, 0]);
      expect(await balanceOf(member.accountId)).toBe(30);
      // The key is the partner's own: another partner may use the same one for its own request.
      await campaign(setup.cafeToken, { code: 'RETRY-1-CAFE' });
      const cafeMember = await setup.fixture.memberOf(setup.cafe);
      expect((await redeem(setup.cafeToken, cafeMember.sub, 'RETRY-1-CAFE', key)).status).toBe(201);
    });

    test('a replay answers as the first time even after the campaign ended; a refused request leaves its key unused', async () => {
      const created = await campaign(setup.shopToken, { code: 'RETRY-3', total_limit: 1 });
      const [member, late] = [await memberOf(), await memberOf()];
      const key = randomUUID();
      const first = await redeem(setup.shopToken, member.sub, 'RETRY-3', key);
      await call('POST', setup.shopToken, `/campaigns/${String(created.body.id)}/end`);
      const replay = await redeem(setup.shopToken, member.sub, 'RETRY-3', key);
      expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([201, 'true', first.body]);

      const lateKey = randomUUID();
      const refused = await campaign(setup.shopToken, { code: 'RETRY-4', total_limit: 1 });
      await redeem(setup.shopToken, member.sub, 'RETRY-4');
      expect((await redeem(setup.shopToken, late.sub, 'RETRY-4', lateKey)).status).toBe(409);
      expect((await call('PATCH', setup.shopToken, `/campaigns/${String(refused.body.id)}`, { total_limit: 2 })).status).toBe(200);
      const retried = await redeem(setup.shopToken, late.sub, 'RETRY-4', lateKey);
      expect([retried.status, retried.headers.get('idempotent-replayed')]).toEqual([201, null]);
    });

    test('20 concurrent retries with one key take one use and all get its answer', async () => {
      const created = await campaign(setup.shopToken, { code: 'RETRY-RACE', per_member_limit: 20, points: 15 });
      const member = await memberOf();
      const key = randomUUID();
      const replies = await Promise.all(Array.from({ length: 20 }, () => redeem(setup.shopToken, member.sub, 'RETRY-RACE', key)));
      expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(201));
      expect(replies.filter((reply) => reply.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      expect(new Set(replies.map((reply) => reply.body.id)).size).toBe(1);
      expect(await useCount(created.body.id)).toBe(1);
      expect(await balanceOf(member.accountId)).toBe(15);
    });

    test('is required, and must be 1 to 255 visible characters', async () => {
      await campaign(setup.shopToken, { code: 'NEEDS-KEY' });
      const member = await memberOf();
      const path = `/members/${encodeURIComponent(member.sub)}/coupons`;
      expect((await call('POST', setup.shopToken, path, { code: 'NEEDS-KEY' })).status).toBe(400);
      for (const key of ['x'.repeat(256), 'with space', 'tab\tkey']) {
        expect([key.length, (await call('POST', setup.shopToken, path, { code: 'NEEDS-KEY' }, { 'idempotency-key': key })).status]).toEqual([key.length, 400]);
      }
      expect(await balanceOf(member.accountId)).toBe(0);
    });
  });
});
