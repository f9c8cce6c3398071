// Coupons through the partner API: a partner creates a campaign (one code, points, limits, window) and
// redeems its code for its own members; limits hold, the window holds, another partner's code is unknown.
import { randomUUID } from 'node:crypto';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from './partner-fixture.ts';

const HOUR = 3600_000;

describe.each(STORES)('partner API coupons (%s)', (store) => {
  const fx = useMemberServer(store);
  let admin: ReturnType<typeof adminCaller>;
  let shop: PartnerSetup;
  let cafe: PartnerSetup;
  let shopToken: string;
  let cafeToken: string;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  const post = (token: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fx.server.url}/partner-api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const campaign = (token: string, over: Record<string, unknown> = {}) => post(token, '/campaigns', {
    code: `c-${Math.random().toString(36).slice(2, 10)}`,
    points: 40,
    per_member_limit: 1,
    total_limit: 100,
    starts_at: new Date(Date.now() - HOUR).toISOString(),
    ends_at: new Date(Date.now() + HOUR).toISOString(),
    ...over,
  });
  const redeem = (token: string, sub: string, code: string, key = randomUUID()) => post(token, `/members/${encodeURIComponent(sub)}/coupons`, { code }, { 'idempotency-key': key });
  const balanceOf = async (accountId: string) => (await fx.server.container.storage.loyalty.findMember(accountId))?.balance ?? 0;

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shop = await partner('Coupon shop');
    cafe = await partner('Coupon cafe');
    shopToken = await partnerToken(shop);
    cafeToken = await partnerToken(cafe);
  });

  test('creates a campaign and credits its points once per use, up to the member limit', async () => {
    const created = await campaign(shopToken, { code: 'spring-25', points: 75, per_member_limit: 2 });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ code: 'SPRING-25', points: 75, per_member_limit: 2, total_limit: 100 });
    const member = await memberOf(shop);
    const first = await redeem(shopToken, member.sub, 'Spring-25');
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ points: 75, points_balance: 75 });
    expect((await redeem(shopToken, member.sub, 'SPRING-25')).status).toBe(201);
    const third = await redeem(shopToken, member.sub, 'spring-25');
    expect(third.status).toBe(409);
    expect(await third.json()).toMatchObject({ error: 'conflict' });
    expect(await balanceOf(member.accountId)).toBe(150);
    const entries = await fx.server.container.storage.loyalty.listEntries(member.accountId, { limit: 5 });
    expect(entries.map((e) => e.idempotencyKey).every((key) => key.startsWith('coupon:'))).toBe(true);
  });

  test('refuses a second campaign with the same code for the partner (409), not for another partner', async () => {
    expect((await campaign(shopToken, { code: 'TWICE-1' })).status).toBe(201);
    expect((await campaign(shopToken, { code: 'twice-1' })).status).toBe(409);
    expect((await campaign(cafeToken, { code: 'TWICE-1' })).status).toBe(201);
  });

  test('stops at the total limit', async () => {
    await campaign(shopToken, { code: 'ONLY-ONE', total_limit: 1 });
    const [a, b] = [await memberOf(shop), await memberOf(shop)];
    expect((await redeem(shopToken, a.sub, 'ONLY-ONE')).status).toBe(201);
    const late = await redeem(shopToken, b.sub, 'ONLY-ONE');
    expect(late.status).toBe(409);
    expect(await balanceOf(b.accountId)).toBe(0);
  });

  test('a code outside its window, unknown, or another partner\'s is a 404', async () => {
    const member = await memberOf(shop);
    await campaign(shopToken, { code: 'LATER', starts_at: new Date(Date.now() + HOUR).toISOString(), ends_at: new Date(Date.now() + 2 * HOUR).toISOString() });
    await campaign(shopToken, { code: 'OVER', starts_at: new Date(Date.now() - 2 * HOUR).toISOString(), ends_at: new Date(Date.now() - HOUR).toISOString() });
    await campaign(cafeToken, { code: 'CAFE-ONLY' });
    for (const code of ['LATER', 'OVER', 'CAFE-ONLY', 'NO-SUCH-CODE', '!!']) {
      expect([code, (await redeem(shopToken, member.sub, code)).status]).toEqual([code, 404]);
    }
    // And the cafe cannot reach the shop's member at all.
    expect((await redeem(cafeToken, member.sub, 'CAFE-ONLY')).status).toBe(404);
    expect(await balanceOf(member.accountId)).toBe(0);
  });

  test('bad input is a 400', async () => {
    for (const over of [
      { code: 'ab' },
      { code: 'with space' },
      { points: 0 },
      { per_member_limit: 0 },
      { total_limit: 1.5 },
      { starts_at: 'yesterday' },
      { ends_at: new Date(Date.now() - 2 * HOUR).toISOString() },
      { extra: true },
    ]) {
      expect([over, (await campaign(shopToken, over)).status]).toEqual([over, 400]);
    }
    const member = await memberOf(shop);
    const key = { 'idempotency-key': randomUUID() };
    expect((await post(shopToken, `/members/${member.sub}/coupons`, { code: 'X', more: 1 }, key)).status).toBe(400);
    expect((await post(shopToken, `/members/${member.sub}/coupons`, {}, key)).status).toBe(400);
  });

  test('needs the loyalty:earn scope', async () => {
    const readOnly = await partnerToken(shop, 'members:read');
    expect((await campaign(readOnly)).status).toBe(403);
  });
});
