// Bad input to the partner API's coupon routes: every wrong type, missing or unknown field, empty or huge body,
// pattern with too few random characters, count out of range or window out of order is a 400 (413/415 for the
// body itself) naming the field, and nothing is created, changed or credited.
import { randomUUID } from 'node:crypto';
import { STORES } from '../../support/test-server.ts';
import { HOUR, useCouponPartners } from './coupon-api.ts';

const at = (offsetHours: number) => new Date(Date.now() + offsetHours * HOUR).toISOString();
const single = { code: 'BAD-INPUT', points: 40, per_member_limit: 1, total_limit: 10, starts_at: at(-1), ends_at: at(1) };
const pattern = { code_pattern: 'GEN-####-####', code_count: 5, points: 40, per_member_limit: 1, starts_at: at(-1), ends_at: at(1) };

/** [what, body, the field the 400 names] */
const BAD_CAMPAIGNS: Array<[string, unknown, string]> = [
  ['a two-letter code', { ...single, code: 'ab' }, 'code'],
  ['a code with a space', { ...single, code: 'with space' }, 'code'],
  ['a 33-character code', { ...single, code: 'A'.repeat(33) }, 'code'],
  ['an empty code', { ...single, code: '' }, 'code'],
  ['a numeric code', { ...single, code: 12345 }, 'code'],
  ['a null code', { ...single, code: null }, 'code'],
  ['no points', { ...single, points: undefined }, 'points'],
  ['zero points', { ...single, points: 0 }, 'points'],
  ['negative points', { ...single, points: -5 }, 'points'],
  ['fractional points', { ...single, points: 1.5 }, 'points'],
  ['points as text', { ...single, points: '40' }, 'points'],
  ['too many points', { ...single, points: 1_000_001 }, 'points'],
  ['a per-member limit of 0', { ...single, per_member_limit: 0 }, 'per_member_limit'],
  ['a per-member limit of 101', { ...single, per_member_limit: 101 }, 'per_member_limit'],
  ['a fractional total limit', { ...single, total_limit: 1.5 }, 'total_limit'],
  ['a total limit above a million', { ...single, total_limit: 1_000_001 }, 'total_limit'],
  ['no total limit for a single code', { ...single, total_limit: undefined }, 'total_limit'],
  ['a start that is no date', { ...single, starts_at: 'yesterday' }, 'starts_at'],
  ['a start without a time', { ...single, starts_at: '2026-01-01' }, 'starts_at'],
  ['a start as a number', { ...single, starts_at: Date.now() }, 'starts_at'],
  ['a month 13', { ...single, ends_at: '2026-13-01T00:00:00Z' }, 'ends_at'],
  ['an end before the start', { ...single, ends_at: at(-2) }, 'ends_at'],
  ['an end equal to the start', { ...single, ends_at: single.starts_at }, 'ends_at'],
  ['an unknown field', { ...single, extra: true }, 'extra'],
  ['a count with a single code', { ...single, code_count: 5 }, 'code_count'],
  ['both a code and a pattern', { ...pattern, code: 'BOTH-1' }, 'code'],
  ['a pattern with 7 random characters', { ...pattern, code_pattern: 'GEN-###-####' }, 'code_pattern'],
  ['a pattern with no random characters', { ...pattern, code_pattern: 'GEN-ABCD-EFGH' }, 'code_pattern'],
  ['a pattern of 33 characters', { ...pattern, code_pattern: `${'#'.repeat(32)}A` }, 'code_pattern'],
  ['a pattern with a bad character', { ...pattern, code_pattern: 'GEN_####_####' }, 'code_pattern'],
  ['a pattern with a space', { ...pattern, code_pattern: 'GEN ########' }, 'code_pattern'],
  ['an empty pattern', { ...pattern, code_pattern: '' }, 'code_pattern'],
  ['a numeric pattern', { ...pattern, code_pattern: 12345678 }, 'code_pattern'],
  ['no count', { ...pattern, code_count: undefined }, 'code_count'],
  ['a count of 0', { ...pattern, code_count: 0 }, 'code_count'],
  ['a count of 10,001', { ...pattern, code_count: 10_001 }, 'code_count'],
  ['a fractional count', { ...pattern, code_count: 2.5 }, 'code_count'],
  ['a count as text', { ...pattern, code_count: '5' }, 'code_count'],
  ['a total limit above the count', { ...pattern, total_limit: 6 }, 'total_limit'],
  ['an unknown field with a pattern', { ...pattern, codes: ['GEN-AAAA-AAAA'] }, 'codes'],
];

const BAD_CHANGES: Array<[string, unknown, string]> = [
  ['no change at all', {}, '(body)'],
  ['the code', { code: 'NEW-CODE' }, 'code'],
  ['the pattern', { code_pattern: 'NEW-########' }, 'code_pattern'],
  ['the end time directly', { ended_at: at(0) }, 'ended_at'],
  ['zero points', { points: 0 }, 'points'],
  ['a total limit as text', { total_limit: '9' }, 'total_limit'],
  ['a null per-member limit', { per_member_limit: null }, 'per_member_limit'],
  ['a window out of order in the body', { starts_at: at(3), ends_at: at(2) }, 'ends_at'],
  ['an end before the stored start', { ends_at: at(-2) }, 'ends_at'],
  ['a start after the stored end', { starts_at: at(2) }, 'ends_at'],
];

describe.each(STORES)('partner API coupon routes, bad input (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { call, redeem, balanceOf } = setup.api;
  const shop = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(method, setup.shopToken, path, body, headers);
  const campaignCount = async () => ((await shop('GET', '/campaigns?limit=100')).body.items as unknown[]).length;

  test.each(BAD_CAMPAIGNS)('POST /campaigns with %s is a 400 naming the field', async (_what, body, field) => {
    const before = await campaignCount();
    const reply = await shop('POST', '/campaigns', body);
    expect([reply.status, reply.body.error]).toEqual([400, 'invalid_input']);
    expect(Object.keys((reply.body.details as { fields: Record<string, string> }).fields)).toContain(field);
    expect(await campaignCount()).toBe(before);
  });

  test('POST /campaigns with no body, a body of the wrong shape, broken JSON, a huge body or another type is refused', async () => {
    const before = await campaignCount();
    const cases: Array<[unknown, Record<string, string>, number]> = [
      [undefined, {}, 400],
      ['', { 'content-type': 'application/json' }, 400],
      ['[]', { 'content-type': 'application/json' }, 400],
      ['null', { 'content-type': 'application/json' }, 400],
      ['"SUMMER"', { 'content-type': 'application/json' }, 400],
      ['{"code": "BROKEN"', { 'content-type': 'application/json' }, 400],
      [JSON.stringify({ ...single, code: 'HUGE-1', padding: 'x'.repeat(70_000) }), { 'content-type': 'application/json' }, 413],
      ['code=FORM-1', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ];
    for (const [body, headers, status] of cases) {
      expect([String(body).slice(0, 30), (await shop('POST', '/campaigns', body, headers)).status]).toEqual([String(body).slice(0, 30), status]);
    }
    expect(await campaignCount()).toBe(before);
  });

  test.each(BAD_CHANGES)('PATCH /campaigns/{id} with %s is a 400 and changes nothing', async (_what, body, field) => {
    const created = await shop('POST', '/campaigns', { ...single, code: `P-${randomUUID().slice(0, 8)}` });
    const id = String(created.body.id);
    const reply = await shop('PATCH', `/campaigns/${id}`, body);
    expect([reply.status, reply.body.error]).toEqual([400, 'invalid_input']);
    expect(Object.keys((reply.body.details as { fields: Record<string, string> }).fields)).toContain(field);
    const { uses: _uses, ...stored } = (await shop('GET', `/campaigns/${id}`)).body;
    const { uses: _created, ...original } = created.body;
    expect(stored).toEqual(original);
  });

  test('listing parameters out of range, of the wrong type, repeated or unknown are a 400', async () => {
    const created = await shop('POST', '/campaigns', { ...pattern });
    const codes = `/campaigns/${String(created.body.id)}/codes`;
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=1&limit=2', 'after=', `after=${'x'.repeat(65)}`, 'page=2']) {
      expect([query, (await shop('GET', `/campaigns?${query}`)).status]).toEqual([query, 400]);
    }
    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'used=true']) {
      expect([query, (await shop('GET', `${codes}?${query}`)).status]).toEqual([query, 400]);
    }
    expect((await shop('GET', `${codes}?limit=1000`)).status).toBe(200);
  });

  test('POST /members/{sub}/coupons with a bad body is a 400 and credits nothing', async () => {
    await shop('POST', '/campaigns', { ...single, code: 'GOOD-CODE' });
    const member = await setup.fixture.memberOf(setup.shop);
    const path = `/members/${encodeURIComponent(member.sub)}/coupons`;
    for (const body of [{}, { code: 12345 }, { code: null }, { code: 'x'.repeat(65) }, { code: 'GOOD-CODE', points: 1000 }, ['GOOD-CODE'], 'GOOD-CODE']) {
      const reply = await shop('POST', path, body, { 'idempotency-key': randomUUID() });
      expect([JSON.stringify(body).slice(0, 30), reply.status]).toEqual([JSON.stringify(body).slice(0, 30), 400]);
    }
    expect((await redeem(setup.shopToken, member.sub, '')).status).toBe(404);
    expect(await balanceOf(member.accountId)).toBe(0);
  });
});
