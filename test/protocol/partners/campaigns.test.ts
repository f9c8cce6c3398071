// Campaigns through the partner API: generated codes (handed out once at creation, paged later with used or
// unused, each redeemable once by the partner or on the account page), listing, reading, changing and ending
// a campaign — and every campaign route answers another partner exactly as it answers an unknown id.
import { STORES } from '../../support/test-server.ts';
import { useCouponPartners } from './coupon-api.ts';

const CODE = /^GEN-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}$/;

describe.each(STORES)('partner API campaigns (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { call, campaign, generated, redeem, balanceOf } = setup.api;
  const memberOf = () => setup.fixture.memberOf(setup.shop);
  const shop = (method: string, path: string, body?: unknown) => call(method, setup.shopToken, path, body);

  test('a generated campaign hands out its codes once; each works once, then shows as used', async () => {
    const created = await generated(setup.shopToken, { code_pattern: 'gen-####-####', code_count: 30, points: 25 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: null, code_pattern: 'GEN-####-####', code_count: 30, total_limit: 30, uses: 0 });
    const codes = created.body.codes as string[];
    expect(codes).toHaveLength(30);
    expect(new Set(codes).size).toBe(30);
    expect(codes.every((code) => CODE.test(code))).toBe(true);

    const [a, b] = [await memberOf(), await memberOf()];
    expect((await redeem(setup.shopToken, a.sub, codes[0]!.toLowerCase())).body).toMatchObject({ campaign_id: created.body.id, points: 25 });
    const again = await redeem(setup.shopToken, b.sub, codes[0]!);
    expect([again.status, again.body.details]).toEqual([409, { reason: 'code_used' }]);
    // One per member (per_member_limit 1), whichever code.
    expect((await redeem(setup.shopToken, a.sub, codes[1]!)).body.details).toEqual({ reason: 'member_limit' });
    expect((await redeem(setup.shopToken, b.sub, codes[1]!)).status).toBe(201);
    expect([await balanceOf(a.accountId), await balanceOf(b.accountId)]).toEqual([25, 25]);

    const id = String(created.body.id);
    const first = await shop('GET', `/campaigns/${id}/codes?limit=20`);
    expect(first.status).toBe(200);
    const page = first.body.items as Array<{ code: string; used: boolean; used_at: string | null }>;
    expect(page).toHaveLength(20);
    const second = await shop('GET', `/campaigns/${id}/codes?limit=20&after=${String(first.body.next)}`);
    const all = [...page, ...(second.body.items as typeof page)];
    expect(second.body.next).toBeNull();
    expect(all.map((item) => item.code)).toEqual([...codes].sort());
    expect(all.filter((item) => item.used).map((item) => item.code).sort()).toEqual([codes[0], codes[1]].sort());
    expect(all.every((item) => item.used === (item.used_at !== null))).toBe(true);
    expect((await shop('GET', `/campaigns/${id}`)).body).toMatchObject({ uses: 2 });
    // The codes are not repeated anywhere but at creation and in this listing.
    expect((await shop('GET', `/campaigns/${id}`)).body.codes).toBeUndefined();
  });

  test('20 concurrent redemptions of one generated code by 20 members: exactly one succeeds', async () => {
    const created = await generated(setup.shopToken, { code_count: 3 });
    const code = (created.body.codes as string[])[2]!;
    const members = [];
    for (let i = 0; i < 20; i += 1) members.push(await memberOf());
    const replies = await Promise.all(members.map((member) => redeem(setup.shopToken, member.sub, code)));
    expect(replies.filter((reply) => reply.status === 201)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 409 && (reply.body.details as { reason: string }).reason === 'code_used')).toHaveLength(19);
    const balances = await Promise.all(members.map((member) => balanceOf(member.accountId)));
    expect(balances.filter((balance) => balance === 25)).toHaveLength(1);
    expect(balances.filter((balance) => balance === 0)).toHaveLength(19);
    expect((await shop('GET', `/campaigns/${String(created.body.id)}`)).body).toMatchObject({ uses: 1 });
  });

  test('another partner\'s generated code is unknown to this partner', async () => {
    const cafeCodes = (await generated(setup.cafeToken)).body.codes as string[];
    const member = await memberOf();
    expect((await redeem(setup.shopToken, member.sub, cafeCodes[0]!)).status).toBe(404);
    expect(await balanceOf(member.accountId)).toBe(0);
  });

  test('lists only the caller\'s campaigns, oldest first, in pages', async () => {
    const fresh = await setup.fixture.partner('Lister');
    const token = await setup.fixture.partnerToken(fresh);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push(String((await campaign(token)).body.id));
    ids.push(String((await generated(token)).body.id));
    const first = await call('GET', token, '/campaigns?limit=3');
    expect(first.status).toBe(200);
    const rest = await call('GET', token, `/campaigns?limit=3&after=${String(first.body.next)}`);
    const listed = [...(first.body.items as Array<{ id: string }>), ...(rest.body.items as Array<{ id: string }>)];
    expect(listed.map((item) => item.id).sort()).toEqual([...ids].sort());
    expect(rest.body.next).toBeNull();
    expect((rest.body.items as Array<Record<string, unknown>>)[0]).not.toHaveProperty('codes');
    const shopIds = ((await shop('GET', '/campaigns?limit=100')).body.items as Array<{ id: string }>).map((item) => item.id);
    expect(shopIds.some((id) => ids.includes(id))).toBe(false);
    // Another partner's campaign as the cursor gives an empty page, not that partner's neighbours.
    expect((await shop('GET', `/campaigns?after=${ids[0]!}`)).body).toEqual({ items: [], next: null });
  });

  test('PATCH changes points, limits and window; never below the uses taken; ended campaigns stay ended', async () => {
    const created = await campaign(setup.shopToken, { per_member_limit: 1, total_limit: 5, points: 10 });
    const id = String(created.body.id);
    const [a, b] = [await memberOf(), await memberOf()];
    await redeem(setup.shopToken, a.sub, String(created.body.code));
    const endsAt = new Date(Date.now() + 5 * 3600_000).toISOString();
    const changed = await shop('PATCH', `/campaigns/${id}`, { points: 60, per_member_limit: 2, total_limit: 3, ends_at: endsAt });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id, code: created.body.code, points: 60, per_member_limit: 2, total_limit: 3, ends_at: endsAt, uses: 1 });
    // Uses already taken keep the points they were taken for; new ones get the new points.
    expect((await redeem(setup.shopToken, b.sub, String(created.body.code))).body).toMatchObject({ points: 60 });
    expect([await balanceOf(a.accountId), await balanceOf(b.accountId)]).toEqual([10, 60]);

    const below = await shop('PATCH', `/campaigns/${id}`, { total_limit: 1 });
    expect([below.status, below.body.details]).toEqual([409, { reason: 'below_uses' }]);
    expect((await shop('PATCH', `/campaigns/${id}`, { total_limit: 2 })).body).toMatchObject({ total_limit: 2 });
    expect((await redeem(setup.shopToken, (await memberOf()).sub, String(created.body.code))).body.details).toEqual({ reason: 'used_up' });

    const ended = await shop('POST', `/campaigns/${id}/end`);
    expect(ended.status).toBe(200);
    expect(typeof ended.body.ended_at).toBe('string');
    expect((await shop('POST', `/campaigns/${id}/end`)).body.ended_at).toBe(ended.body.ended_at);
    const late = await shop('PATCH', `/campaigns/${id}`, { points: 1 });
    expect([late.status, late.body.details]).toEqual([409, { reason: 'ended' }]);
    expect((await shop('GET', `/campaigns/${id}`)).body).toMatchObject({ points: 60, total_limit: 2, ended_at: ended.body.ended_at });
  });

  test('a generated campaign\'s total limit stays within its codes; a single-code campaign has no codes to page', async () => {
    const created = await generated(setup.shopToken, { code_count: 4, total_limit: 2 });
    expect(created.body).toMatchObject({ total_limit: 2 });
    const id = String(created.body.id);
    expect((await shop('PATCH', `/campaigns/${id}`, { total_limit: 4 })).body).toMatchObject({ total_limit: 4 });
    const over = await shop('PATCH', `/campaigns/${id}`, { total_limit: 5 });
    expect([over.status, over.body.details]).toEqual([400, { fields: { total_limit: 'must be at most code_count' } }]);
    const single = await campaign(setup.shopToken);
    const codes = await shop('GET', `/campaigns/${String(single.body.id)}/codes`);
    expect([codes.status, codes.body.details]).toEqual([409, { reason: 'single_code' }]);
  });

  test('BOLA: every campaign route answers another partner\'s campaign exactly as an unknown one', async () => {
    const mine = String((await generated(setup.shopToken)).body.id);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/campaigns/{id}'],
      ['PATCH', '/campaigns/{id}', { points: 1 }],
      ['POST', '/campaigns/{id}/end'],
      ['GET', '/campaigns/{id}/codes'],
    ];
    for (const [method, path, body] of routes) {
      const foreign = await call(method, setup.cafeToken, path.replace('{id}', mine), body);
      const unknown = await call(method, setup.cafeToken, path.replace('{id}', '00000000-0000-4000-8000-000000000000'), body);
      const junk = await call(method, setup.cafeToken, path.replace('{id}', 'x'.repeat(200)), body);
      expect([method, path, foreign.status, foreign.body]).toEqual([method, path, 404, unknown.body]);
      expect([junk.status, junk.body]).toEqual([404, unknown.body]);
    }
    // Nothing the cafe sent changed or ended the shop's campaign.
    expect((await shop('GET', `/campaigns/${mine}`)).body).toMatchObject({ points: 25, ended_at: null });
  });

  test('every campaign route needs a partner token with loyalty:earn', async () => {
    const id = String((await campaign(setup.shopToken)).body.id);
    const readOnly = await setup.fixture.partnerToken(setup.shop, 'members:read');
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/campaigns', {}], ['GET', '/campaigns'], ['GET', `/campaigns/${id}`], ['PATCH', `/campaigns/${id}`, { points: 1 }],
      ['POST', `/campaigns/${id}/end`], ['GET', `/campaigns/${id}/codes`],
    ];
    for (const [method, path, body] of routes) {
      expect([method, path, (await call(method, readOnly, path, body)).status]).toEqual([method, path, 403]);
      expect([method, path, (await call(method, 'not-a-token', path, body)).status]).toEqual([method, path, 401]);
    }
    expect((await shop('GET', `/campaigns/${id}`)).body).toMatchObject({ ended_at: null, points: 40 });
  });
});
