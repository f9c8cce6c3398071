// Coupon-code squatting: members type codes on /account/coupon without naming a partner, so one partner must not
// be able to take a code another partner's open or upcoming campaign uses (the page would credit the squatter's
// campaign and the squatter would learn who redeems the rival's printed code), not even by racing the rival's
// creation of it.
import { STORES } from '../support/test-server.ts';
import { HOUR, useCouponPartners } from '../protocol/partners/coupon-api.ts';

describe.each(STORES)('coupon codes cannot be squatted across partners (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { call, campaign, generated } = setup.api;
  const later = { starts_at: new Date(Date.now() + HOUR).toISOString(), ends_at: new Date(Date.now() + 2 * HOUR).toISOString() };
  const past = { starts_at: new Date(Date.now() - 2 * HOUR).toISOString(), ends_at: new Date(Date.now() - HOUR).toISOString() };

  const expectTaken = (reply: { status: number; body: Record<string, unknown> }) => {
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ error: 'conflict', details: { reason: 'code_taken' } });
    expect(String(reply.body.error_description)).toMatch(/another partner/);
  };

  test('another partner\'s open campaign code is a 409 with a clear message, in any spelling', async () => {
    expect((await campaign(setup.shopToken, { code: 'SQUAT-OPEN' })).status).toBe(201);
    expectTaken(await campaign(setup.cafeToken, { code: 'squat-open' }));
    const listed = (await call('GET', setup.cafeToken, '/campaigns?limit=100')).body.items as { code: string }[];
    expect(listed.map((item) => item.code)).not.toContain('SQUAT-OPEN');
  });

  test('another partner\'s upcoming campaign code is taken too', async () => {
    expect((await campaign(setup.shopToken, { code: 'SQUAT-LATER', ...later })).status).toBe(201);
    expectTaken(await campaign(setup.cafeToken, { code: 'SQUAT-LATER' }));
    expectTaken(await campaign(setup.cafeToken, { code: 'SQUAT-LATER', ...later }));
  });

  test('another partner\'s live generated code cannot be taken as a single code', async () => {
    const created = await generated(setup.shopToken, { code_pattern: 'SQG-####-####', code_count: 2 });
    expect(created.status).toBe(201);
    const [code] = created.body.codes as string[];
    expectTaken(await campaign(setup.cafeToken, { code: code! }));
  });

  test('a code whose campaigns are over (expired or ended) is free again for another partner', async () => {
    expect((await campaign(setup.shopToken, { code: 'SQUAT-PAST', ...past })).status).toBe(201);
    expect((await campaign(setup.cafeToken, { code: 'SQUAT-PAST' })).status).toBe(201);
    const ended = await campaign(setup.shopToken, { code: 'SQUAT-ENDED' });
    expect((await call('POST', setup.shopToken, `/campaigns/${String(ended.body.id)}/end`)).status).toBe(200);
    expect((await campaign(setup.cafeToken, { code: 'SQUAT-ENDED' })).status).toBe(201);
  });

  test('reviving an expired campaign whose code another partner now runs is a 409; the campaign keeps its window', async () => {
    const old = await campaign(setup.shopToken, { code: 'SQUAT-REVIVE', ...past });
    expect((await campaign(setup.cafeToken, { code: 'SQUAT-REVIVE' })).status).toBe(201);
    expectTaken(await call('PATCH', setup.shopToken, `/campaigns/${String(old.body.id)}`, { ends_at: new Date(Date.now() + 3 * HOUR).toISOString() }));
    expect((await call('GET', setup.shopToken, `/campaigns/${String(old.body.id)}`)).body.ends_at).toBe(old.body.ends_at);
    // Changes that do not bring the code back are still fine.
    expect((await call('PATCH', setup.shopToken, `/campaigns/${String(old.body.id)}`, { points: 45 })).status).toBe(200);
  });

  test('of 10 partners creating one code at the same instant exactly one gets it; once its campaign ends another may', async () => {
    const racers = [setup.shopToken, setup.cafeToken];
    for (let i = racers.length; i < 10; i += 1) racers.push(await setup.fixture.partnerToken(await setup.fixture.partner(`Coupon racer ${i}`)));
    const replies = await Promise.all(racers.map((token) => campaign(token, { code: 'SQUAT-RACE' })));
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    replies.filter((reply) => reply.status === 409).forEach(expectTaken);
    const winner = replies.findIndex((reply) => reply.status === 201);
    const loser = racers[(winner + 1) % racers.length]!;
    expectTaken(await campaign(loser, { code: 'SQUAT-RACE' }));
    expect((await call('POST', racers[winner]!, `/campaigns/${String(replies[winner]!.body.id)}/end`)).status).toBe(200);
    expect((await campaign(loser, { code: 'SQUAT-RACE' })).status).toBe(201);
  });

  test('two partners generating from one pattern get codes that do not meet (40 random bits each)', async () => {
    const shop = (await generated(setup.shopToken, { code_pattern: 'SQX-####-####', code_count: 50, total_limit: 50 })).body.codes as string[];
    const cafe = (await generated(setup.cafeToken, { code_pattern: 'SQX-####-####', code_count: 50, total_limit: 50 })).body.codes as string[];
    expect(shop.filter((code) => cafe.includes(code))).toEqual([]);
  });
});
