// Threat: guessing coupon codes through the partner API. 30 attempts per member and partner an hour; the
// 31st is a 429 with Retry-After (JSON, as every API answers) and nothing is credited.
import { STORES } from '../support/test-server.ts';
import { useCouponPartners } from '../protocol/partners/coupon-api.ts';

describe.each(STORES)('coupon guessing through the partner API (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { redeem, campaign, balanceOf } = setup.api;

  test('the 31st attempt for one member in an hour is refused with 429 and Retry-After, even with a good code', async () => {
    await campaign(setup.shopToken, { code: 'REAL-CODE-1', points: 10 });
    const member = await setup.fixture.memberOf(setup.shop);
    for (let i = 0; i < 30; i += 1) expect((await redeem(setup.shopToken, member.sub, `GUESS-${i}`)).status).toBe(404);
    const refused = await redeem(setup.shopToken, member.sub, 'REAL-CODE-1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ error: 'rate_limited' });
    expect(await balanceOf(member.accountId)).toBe(0);
    // Another member of the same partner is not affected.
    const other = await setup.fixture.memberOf(setup.shop);
    expect((await redeem(setup.shopToken, other.sub, 'REAL-CODE-1')).status).toBe(201);
  });
});
