// Analytics as an operator sees it: series from the rollup counters after a scripted sequence of sign-ups,
// sign-ins, points and blocks equal the expected counts; re-running the consumer (a crash and restart) counts
// nothing twice; real sign-ups and sign-ins reach the counters with the client they signed in to; the NDJSON
// export streams a range in id order; bad queries are refused with the parameter named.
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../../config/account-console-client.ts';
import { eventId, type DomainEvent, type EventData } from '../../../server/domain/events/domain-event.ts';
import type { EventType } from '../../../server/domain/events/event-types.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from '../partners/partner-fixture.ts';

const ENV = { WEBHOOK_POLL_MS: '50' };

interface Point { t: string; value: number; [dimension: string]: string | number }
interface SeriesBody { metric: string; interval: string; series: Point[]; details?: { fields: Record<string, string> } }
interface ExportedLine { id: string; type: string; timestamp: string; sub: string | null; data: EventData }

function event(type: EventType, memberId: string | null, at: string, data: EventData = {}): DomainEvent {
  const time = new Date(at);
  return { id: eventId(time), type, time, memberId, data };
}

describe.each(STORES)('analytics (%s)', (store) => {
  const fx = useMemberServer(store, ENV);
  let admin: ReturnType<typeof adminCaller>;
  let token: string;
  let shop: PartnerSetup;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  const catchUp = () => fx.server.container.analytics!.catchUp();
  async function series(query: string): Promise<{ status: number; body: SeriesBody }> {
    const response = await fetch(`${fx.server.url}/admin/analytics?${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as SeriesBody };
  }
  async function points(query: string): Promise<Point[]> {
    await catchUp();
    const answer = await series(query);
    expect([answer.status, answer.body.details]).toEqual([200, undefined]);
    return answer.body.series;
  }
  async function exported(query: string): Promise<{ status: number; type: string | null; lines: ExportedLine[]; text: string }> {
    const response = await fetch(`${fx.server.url}/admin/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    const lines = response.status === 200 ? text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ExportedLine) : [];
    return { status: response.status, type: response.headers.get('content-type'), lines, text };
  }

  beforeAll(async () => {
    token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shop = await partner('Analytics shop');
  });

  // A scripted two days in November (no other test writes there): three sign-ups, sign-ins, points, blocks, factors.
  const a = randomUUID();
  const b = randomUUID();
  const c = randomUUID();
  const scripted = [
    event('member.created', a, '2026-11-02T10:05:00Z', { channel: 'web', method: 'password' }),
    event('signup.code_sent', a, '2026-11-02T10:06:00Z'),
    event('member.email_verified', a, '2026-11-02T10:10:00Z'),
    event('signin.succeeded', a, '2026-11-02T10:10:01Z', { method: 'sign_up', client: null }),
    event('member.created', b, '2026-11-02T10:20:00Z', { channel: 'app', method: 'passkey' }),
    event('signup.code_sent', b, '2026-11-02T10:21:00Z'),
    // A resent code is the same funnel step.
    event('signup.code_sent', b, '2026-11-02T10:25:00Z'),
    event('signin.failed', a, '2026-11-02T10:59:00Z', { method: 'password', reason: 'wrong_password' }),
    event('signin.succeeded', a, '2026-11-02T11:00:00Z', { method: 'password', client: 'shop-web' }),
    // An imported member is a sign-up but never in the funnel.
    event('member.created', c, '2026-11-02T12:00:00Z', { channel: 'kiosk', method: 'import' }),
    event('signin.succeeded', c, '2026-11-02T12:30:00Z', { method: 'password', client: 'shop-web' }),
    event('points.earned', a, '2026-11-02T13:00:00Z', { points: 100, partner_id: 'p1', kind: 'earn' }),
    event('points.earned', a, '2026-11-02T13:05:00Z', { points: 50, partner_id: 'p1', kind: 'earn' }),
    event('points.redeemed', a, '2026-11-02T13:10:00Z', { points: -30, partner_id: 'p1', kind: 'redeem' }),
    event('points.earned', c, '2026-11-02T14:00:00Z', { points: 20, partner_id: null, kind: 'earn' }),
    event('security.blocked', null, '2026-11-02T15:00:00Z', { rule: 'sign_in.blocked', reason: 'pair' }),
    event('security.blocked', a, '2026-11-02T15:01:00Z', { rule: 'sign_in.blocked', reason: 'pair' }),
    event('security.blocked', null, '2026-11-02T15:02:00Z', { rule: 'sign_up.refused', reason: 'honeypot' }),
    event('mfa.enrolled', a, '2026-11-02T16:00:00Z', { factor: 'totp' }),
    event('passkey.added', a, '2026-11-02T16:01:00Z'),
    event('passkey.removed', a, '2026-11-02T16:02:00Z'),
    // The next day: A again (already through the funnel), B without a relying party.
    event('signin.succeeded', a, '2026-11-03T09:00:00Z', { method: 'passkey', client: 'shop-web' }),
    event('signin.succeeded', b, '2026-11-03T09:30:00Z', { method: 'code_email', client: null }),
    event('signin.succeeded', a, '2026-11-03T10:00:00Z', { method: 'passkey', client: 'shop-web' }),
  ];
  const NOV = 'from=2026-11-02&to=2026-11-04';
  const day2 = '2026-11-02T00:00:00.000Z';
  const day3 = '2026-11-03T00:00:00.000Z';

  async function expectScriptedSeries(): Promise<void> {
    expect(await points(`metric=signups&${NOV}`)).toEqual([
      { t: day2, channel: 'app', method: 'passkey', value: 1 },
      { t: day2, channel: 'kiosk', method: 'import', value: 1 },
      { t: day2, channel: 'web', method: 'password', value: 1 },
    ]);
    expect(await points(`metric=signup_funnel&${NOV}`)).toEqual([
      { t: day2, step: 'code_sent', value: 2 },
      { t: day2, step: 'partner_signin', value: 1 },
      { t: day2, step: 'started', value: 2 },
      { t: day2, step: 'verified', value: 1 },
    ]);
    expect(await points(`metric=signins&${NOV}&interval=day`)).toEqual([
      { t: day2, method: 'password', outcome: 'failed', value: 1 },
      { t: day2, method: 'password', outcome: 'succeeded', value: 2 },
      { t: day2, method: 'sign_up', outcome: 'succeeded', value: 1 },
      { t: day3, method: 'code_email', outcome: 'succeeded', value: 1 },
      { t: day3, method: 'passkey', outcome: 'succeeded', value: 2 },
    ]);
    expect(await points('metric=signins&from=2026-11-02T10:00:00Z&to=2026-11-02T13:00:00Z&interval=hour')).toEqual([
      { t: '2026-11-02T10:00:00.000Z', method: 'password', outcome: 'failed', value: 1 },
      { t: '2026-11-02T10:00:00.000Z', method: 'sign_up', outcome: 'succeeded', value: 1 },
      { t: '2026-11-02T11:00:00.000Z', method: 'password', outcome: 'succeeded', value: 1 },
      { t: '2026-11-02T12:00:00.000Z', method: 'password', outcome: 'succeeded', value: 1 },
    ]);
    // Distinct members: A and C on the 2nd, A (twice) and B on the 3rd; three in November.
    expect(await points(`metric=active_members&${NOV}`)).toEqual([
      { t: '2026-11-01T00:00:00.000Z', period: 'month', value: 3 },
      { t: day2, period: 'day', value: 2 },
      { t: day3, period: 'day', value: 2 },
    ]);
    expect(await points(`metric=points&${NOV}`)).toEqual([
      { t: day2, flow: 'earned', partner: 'p1', value: 150 },
      { t: day2, flow: 'earned', partner: 'program', value: 20 },
      { t: day2, flow: 'redeemed', partner: 'p1', value: 30 },
    ]);
    expect(await points(`metric=points_transactions&${NOV}`)).toEqual([
      { t: day2, flow: 'earned', partner: 'p1', value: 2 },
      { t: day2, flow: 'earned', partner: 'program', value: 1 },
      { t: day2, flow: 'redeemed', partner: 'p1', value: 1 },
    ]);
    expect(await points(`metric=security_blocks&${NOV}`)).toEqual([
      { t: day2, reason: 'honeypot', rule: 'sign_up.refused', value: 1 },
      { t: day2, reason: 'pair', rule: 'sign_in.blocked', value: 2 },
    ]);
    expect(await points(`metric=factors&${NOV}`)).toEqual([
      { t: day2, change: 'added', factor: 'passkey', value: 1 },
      { t: day2, change: 'added', factor: 'totp', value: 1 },
      { t: day2, change: 'removed', factor: 'passkey', value: 1 },
    ]);
  }

  test('series after a scripted sequence of sign-ups, sign-ins, points, blocks and factor changes equal the expected counts', async () => {
    await fx.server.container.storage.events.append(scripted);
    await expectScriptedSeries();
  });

  test('a consumer that crashes and runs again over the same events counts none of them twice', async () => {
    const storage = fx.server.container.storage;
    const consumer = fx.server.container.analytics!;
    // Another round over the same events (a restarted consumer reading the outbox again) finds nothing to count.
    expect(await consumer.tick()).toBe(0);
    if (store === 'mongo') {
      // The crash between applying a batch's counters and marking it applied: the restart re-applies it.
      const connection = mongoose.createConnection(fx.server.container.config.mongodbUri!, { autoIndex: false, autoCreate: false, bufferCommands: false });
      try {
        await connection.asPromise();
        expect((await connection.db!.collection('analytics_batches').updateMany({}, { $set: { state: 'pending' } })).matchedCount).toBeGreaterThan(0);
      } finally {
        await connection.close();
      }
      expect(await consumer.tick()).toBe(0);
    }
    // A late event of the same day, written while a round was under way, is counted once by the next.
    await storage.events.append([event('signin.succeeded', c, '2026-11-03T11:00:00Z', { method: 'password', client: null })]);
    await catchUp();
    expect(await consumer.tick()).toBe(0);
    const day3Signins = (await points(`metric=signins&${NOV}`)).filter((p) => p.t === day3);
    expect(day3Signins).toEqual([
      { t: day3, method: 'code_email', outcome: 'succeeded', value: 1 },
      { t: day3, method: 'passkey', outcome: 'succeeded', value: 2 },
      { t: day3, method: 'password', outcome: 'succeeded', value: 1 },
    ]);
    expect((await points(`metric=active_members&${NOV}`)).find((p) => p.t === day3)).toEqual({ t: day3, period: 'day', value: 3 });
    // Everything else as before the restart.
    expect(await points(`metric=signup_funnel&${NOV}`)).toEqual([
      { t: day2, step: 'code_sent', value: 2 },
      { t: day2, step: 'partner_signin', value: 1 },
      { t: day2, step: 'started', value: 2 },
      { t: day2, step: 'verified', value: 1 },
    ]);
    expect((await points(`metric=points&${NOV}`)).map((p) => p.value)).toEqual([150, 20, 30]);
  });

  test('a real sign-up at a partner, its sign-ins and points reach the counters, and sign-in events name the client', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const range = `from=${today}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`;
    const before = {
      funnel: await points(`metric=signup_funnel&${range}`),
      signups: await points(`metric=signups&${range}`),
      points: await points(`metric=points&${range}`),
    };
    const value = (list: Point[], match: Record<string, string>) => list.filter((p) => Object.entries(match).every(([k, v]) => p[k] === v)).reduce((sum, p) => sum + p.value, 0);

    const member = await memberOf(shop);
    const earned = await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(member.sub)}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await partnerToken(shop)}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ points: 70, reason: 'order 1' }),
    });
    expect(earned.status).toBe(201);

    const funnel = await points(`metric=signup_funnel&${range}`);
    for (const step of ['started', 'code_sent', 'verified', 'partner_signin']) expect([step, value(funnel, { step })]).toEqual([step, value(before.funnel, { step }) + 1]);
    expect(value(await points(`metric=signups&${range}`), { channel: 'web', method: 'password' })).toBe(value(before.signups, { channel: 'web', method: 'password' }) + 1);
    expect(value(await points(`metric=points&${range}`), { partner: shop.partnerId, flow: 'earned' })).toBe(value(before.points, { partner: shop.partnerId, flow: 'earned' }) + 70);

    // The sign-in events name the relying party, with method, acr, amr and risk.
    const lines = (await exported(`${range}&types=signin.succeeded,member.created`)).lines.filter((l) => l.sub === member.accountId);
    const clientId = shop.web.clientMetadata().client_id;
    const password = lines.find((l) => l.type === 'signin.succeeded' && l.data.method === 'password');
    expect(password?.data).toMatchObject({ method: 'password', acr: 'urn:loyalty:loa:1', amr: ['pwd'], client: clientId, risk: expect.any(Number) });
    // (The test member signed up on the account console: that sign-in names it, and is not a partner sign-in.)
    expect(lines.find((l) => l.type === 'signin.succeeded' && l.data.method === 'sign_up')?.data).toMatchObject({ client: ACCOUNT_CONSOLE_CLIENT_ID, amr: ['email'] });
    expect(lines.find((l) => l.type === 'member.created')?.data).toMatchObject({ channel: 'web', method: 'password' });
  });

  test('erasure writes member.deleted with it; the member\'s other events are forgotten; an unknown member writes none', async () => {
    const member = await memberOf(shop);
    const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    expect((await exported(range)).lines.filter((l) => l.sub === member.accountId).length).toBeGreaterThan(1);
    expect((await admin('DELETE', `/admin/members/${member.accountId}?grace=none`)).status).toBeLessThan(300);
    const after = (await exported(range)).lines.filter((l) => l.sub === member.accountId);
    expect(after.map((l) => l.type)).toEqual(['member.deleted']);
    // Erasing again (a sweeper finishing a half-done erasure) keeps one.
    await fx.server.container.erasure.request(member.accountId, { grace: 'none', by: 'admin' });
    expect((await exported(`${range}&types=member.deleted`)).lines.filter((l) => l.sub === member.accountId)).toHaveLength(1);
    const unknown = randomUUID();
    expect((await admin('DELETE', `/admin/members/${unknown}?grace=none`)).status).toBe(404);
    expect((await exported(`${range}&types=member.deleted`)).lines.filter((l) => l.sub === unknown)).toHaveLength(0);
  });

  test('the NDJSON export streams a range in id order, filtered by type, across pages', async () => {
    const points2 = await exported('from=2026-11-02&to=2026-11-03&types=points.earned,points.redeemed');
    expect(points2.status).toBe(200);
    expect(points2.type).toMatch(/^application\/x-ndjson/);
    expect(points2.lines.map((l) => [l.type, l.data.points])).toEqual([['points.earned', 100], ['points.earned', 50], ['points.redeemed', -30], ['points.earned', 20]]);
    expect(points2.lines[0]).toEqual({ id: expect.any(String), type: 'points.earned', timestamp: '2026-11-02T13:00:00.000Z', sub: a, data: { points: 100, partner_id: 'p1', kind: 'earn' } });
    // More than one page (500 events a read): every event once, in id order.
    const many = Array.from({ length: 520 }, (_, i) => event('signin.failed', null, new Date(Date.UTC(2026, 9, 1, 0, 0, i)).toISOString(), { method: 'password', n: i }));
    await fx.server.container.storage.events.append(many);
    const all = await exported('from=2026-10-01&to=2026-10-02');
    expect(all.lines).toHaveLength(520);
    expect(all.lines.map((l) => l.data.n)).toEqual(many.map((_, i) => i));
    const ids = all.lines.map((l) => l.id);
    expect([...ids].sort()).toEqual(ids);
    // The whole November script, every type.
    expect((await exported('from=2026-11-02&to=2026-11-04')).lines).toHaveLength(scripted.length + 1);
  });

  test.each([
    ['an unknown metric', 'metric=revenue&from=2026-11-01&to=2026-11-02', 'metric', /unknown metric "revenue"/],
    ['a date that does not parse', 'metric=signups&from=yesterday&to=2026-11-02', 'from', /ISO 8601/],
    ['an impossible date', 'metric=signups&from=2026-02-30T00:00:00Z&to=2026-11-02', 'from', /ISO 8601/],
    ['a reversed range', 'metric=signups&from=2026-11-05&to=2026-11-02', 'to', /later than from/],
    ['an empty range', 'metric=signups&from=2026-11-02&to=2026-11-02', 'to', /later than from/],
    ['too long for hours', 'metric=signups&from=2026-10-01&to=2026-11-02&interval=hour', 'to', /at most 31 days/],
    ['too long for days', 'metric=signups&from=2025-01-01&to=2026-11-02', 'to', /at most 400 days/],
    ['an unknown interval', 'metric=signups&from=2026-11-01&to=2026-11-02&interval=week', 'interval', /day or hour/],
    ['hourly distinct members', 'metric=active_members&from=2026-11-01&to=2026-11-02&interval=hour', 'interval', /per day and month/],
    ['an unknown parameter', 'metric=signups&from=2026-11-01&to=2026-11-02&partner=x', 'partner', /unknown field/],
    ['a repeated metric', 'metric=signups&metric=signins&from=2026-11-01&to=2026-11-02', 'metric', /one metric/],
    ['no metric', 'from=2026-11-01&to=2026-11-02', 'metric', /one metric/],
  ])('analytics refuses %s with a 400 naming the parameter', async (_name, query, field, message) => {
    const answer = await series(query);
    expect(answer.status).toBe(400);
    expect(answer.body.details?.fields[field]).toMatch(message);
  });

  test('the export refuses bad dates, reversed ranges and unknown types; both routes need the admin token', async () => {
    for (const [query, field, message] of [
      ['from=soon&to=2026-11-02', 'from', /ISO 8601/],
      ['from=2026-11-03&to=2026-11-02', 'to', /later than from/],
      ['from=2026-11-01&to=2026-11-02&types=member.teleported', 'types', /unknown event type "member.teleported"/],
      ['to=2026-11-02', 'from', /ISO 8601/],
    ] as const) {
      const response = await fetch(`${fx.server.url}/admin/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect([query, response.status]).toEqual([query, 400]);
      expect(((await response.json()) as SeriesBody).details?.fields[field]).toMatch(message);
    }
    expect((await fetch(`${fx.server.url}/admin/events?from=2026-11-01&to=2026-11-02`)).status).toBe(401);
    expect((await fetch(`${fx.server.url}/admin/analytics?metric=signups&from=2026-11-01&to=2026-11-02`)).status).toBe(401);
  });
});
