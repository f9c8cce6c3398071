// Contract: AuditRepository — append-only events, newest-first pages by (at, id) without gaps or repeats,
// filters by account, type and time window, unique ids, retention and concurrent appends.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditQuery } from '../../server/domain/audit/audit.repository.ts';
import { expectDomainError, useStorage, type OpenStorage } from './harness.ts';

/**
 * Every group shares one store, so each test keeps to its own account ids, id prefix and year: the years
 * from 2001 on are the tests' windows, and only the retention test writes before 2000.
 */
const year = (n: number, ms = 0) => new Date(Date.UTC(n, 0, 1) + ms);

function event(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(),
    type: 'sign_in.failure',
    at: year(2001),
    accountId: randomUUID(),
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    country: 'FR',
    reason: 'wrong_password',
    details: {},
    ...over,
  };
}

/** Every event of the query, page after page of `limit`, each page starting strictly before the last one's end. */
async function pageThrough(list: (query: AuditQuery) => Promise<AuditEvent[]>, query: Omit<AuditQuery, 'limit' | 'before'>, limit: number) {
  const pages: AuditEvent[][] = [];
  let before: AuditQuery['before'];
  for (;;) {
    const page = await list({ ...query, limit, before });
    if (page.length === 0) return pages;
    pages.push(page);
    const last = page.at(-1)!;
    before = { at: last.at, id: last.id };
  }
}

export function describeAuditContract(open: OpenStorage): void {
  describe('audit', () => {
    const storage = useStorage(open);
    const audit = () => storage().audit;

    it('gives back every field as appended, details of every flat kind included', async () => {
      const full = event({
        type: 'admin.action',
        at: year(2002, 123),
        ip: '2001:db8::1',
        country: 'GB',
        reason: 'POST /admin/clients',
        details: { status: 201, admin_client_id: 'test-admin', ratio: -0.25, ok: true, replayed: false, note: 'x'.repeat(200), missing: null },
      });
      const bare = event({ type: 'sms.blocked', at: year(2002, 124), accountId: null, ip: null, userAgent: null, country: null, reason: null, details: {} });
      await audit().append(full);
      await audit().append(bare);

      const [found] = await audit().list({ accountId: full.accountId!, limit: 10 });
      expect(found).toEqual(full);
      expect(found!.at).toBeInstanceOf(Date);
      expect(await audit().list({ from: year(2002), to: year(2003), limit: 10 })).toEqual([bare, full]);
    });

    it('lists newest first, ties on `at` broken by id (descending)', async () => {
      const accountId = randomUUID();
      const prefix = randomUUID();
      const at = year(2003);
      const later = new Date(at.getTime() + 1);
      const events = [
        event({ accountId, at, id: `${prefix}-b` }),
        event({ accountId, at: later, id: `${prefix}-a` }),
        event({ accountId, at, id: `${prefix}-c` }),
        event({ accountId, at, id: `${prefix}-a` + '0' }),
      ];
      for (const e of events) await audit().append(e);
      const listed = await audit().list({ accountId, limit: 10 });
      expect(listed.map((e) => e.id)).toEqual([`${prefix}-a`, `${prefix}-c`, `${prefix}-b`, `${prefix}-a0`]);
    });

    it('filters by account, by any of several types, from (inclusive) and to (exclusive)', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const start = year(2004);
      const end = year(2004, 3000);
      const atStart = event({ accountId: a, at: start, type: 'sign_in.success' });
      const inside = event({ accountId: a, at: year(2004, 1000), type: 'sign_in.failure' });
      const otherType = event({ accountId: a, at: year(2004, 2000), type: 'factor.added' });
      const atEnd = event({ accountId: a, at: end, type: 'sign_in.success' });
      const justBefore = event({ accountId: a, at: year(2004, -1), type: 'sign_in.success' });
      const otherAccount = event({ accountId: b, at: year(2004, 1500), type: 'sign_in.success' });
      for (const e of [atStart, inside, otherType, atEnd, justBefore, otherAccount]) await audit().append(e);

      expect(await audit().list({ accountId: a, limit: 10 })).toEqual([atEnd, otherType, inside, atStart, justBefore]);
      expect(await audit().list({ accountId: b, limit: 10 })).toEqual([otherAccount]);
      expect(await audit().list({ accountId: a, from: start, to: end, limit: 10 })).toEqual([otherType, inside, atStart]);
      expect(await audit().list({ accountId: a, types: ['sign_in.success'], limit: 10 })).toEqual([atEnd, atStart, justBefore]);
      expect(await audit().list({ accountId: a, types: ['sign_in.success', 'factor.added', 'sign_in.success'], from: start, to: end, limit: 10 }))
        .toEqual([otherType, atStart]);
      expect(await audit().list({ from: start, to: end, limit: 10 })).toEqual([otherType, otherAccount, inside, atStart]);
      expect(await audit().list({ types: ['sign_in.success'], from: start, to: end, limit: 10 })).toEqual([otherAccount, atStart]);
      expect(await audit().list({ accountId: randomUUID(), limit: 10 })).toEqual([]);
      expect(await audit().list({ accountId: a, from: end, to: end, limit: 10 })).toEqual([]);
    });

    it('filters by address and by country (the console\'s security page), alone and with the other filters, and pages', async () => {
      const ip = '198.51.100.41';
      const v6 = '2001:db8::41';
      const a = randomUUID();
      const fromIp = [
        event({ ip, country: 'BR', at: year(2041, 1) }),
        event({ ip, country: 'BR', accountId: a, type: 'sign_in.blocked', at: year(2041, 2) }),
        event({ ip, country: 'BR', at: year(2041, 3) }),
      ];
      const others = [event({ ip: v6, country: 'BR', at: year(2041, 4) }), event({ ip: '198.51.100.42', country: 'PL', accountId: a, at: year(2041, 5) }), event({ ip: null, country: null, at: year(2041, 6) })];
      for (const e of [...fromIp, ...others]) await audit().append(e);
      const window = { from: year(2041), to: year(2042) };
      expect(await audit().list({ ...window, ip, limit: 10 })).toEqual([...fromIp].reverse());
      expect(await audit().list({ ...window, ip: v6, limit: 10 })).toEqual([others[0]]);
      expect(await audit().list({ ...window, country: 'BR', limit: 10 })).toEqual([others[0], ...[...fromIp].reverse()]);
      expect(await audit().list({ ...window, country: 'PL', accountId: a, limit: 10 })).toEqual([others[1]]);
      expect(await audit().list({ ...window, ip, accountId: a, types: ['sign_in.blocked'], limit: 10 })).toEqual([fromIp[1]]);
      expect(await audit().list({ ...window, ip, country: 'PL', limit: 10 })).toEqual([]);
      expect(await audit().list({ ...window, ip: '192.0.2.99', limit: 10 })).toEqual([]);
      expect((await pageThrough((q) => audit().list(q), { ...window, ip }, 2)).flat()).toEqual([...fromIp].reverse());
      for (const bad of [{ ip: 'not an address' }, { ip: '' }, { country: 'br' }, { country: 'BRA' }, { country: '' }]) {
        await expectDomainError(audit().list({ ...window, ...bad, limit: 10 }), 'invalid_input');
      }
    });

    it('pages through a few hundred events with many ties: no gaps, no repeats, in order', async () => {
      const accountId = randomUUID();
      // 7 events share each millisecond, so most page boundaries fall inside a tie.
      const events = Array.from({ length: 301 }, (_, i) => event({ accountId, at: year(2005, Math.floor(i / 7)), type: i % 3 ? 'sign_in.failure' : 'sign_in.success' }));
      for (let i = 0; i < events.length; i += 50) await Promise.all(events.slice(i, i + 50).map((e) => audit().append(e)));
      const expected = [...events].sort((x, y) => y.at.getTime() - x.at.getTime() || (x.id < y.id ? 1 : -1));

      const byAccount = await pageThrough((q) => audit().list(q), { accountId }, 37);
      expect(byAccount.map((page) => page.length)).toEqual([...Array.from({ length: 8 }, () => 37), 5]);
      expect(byAccount.flat().map((e) => e.id)).toEqual(expected.map((e) => e.id));

      // The same through the time window alone (the (at, id) index), and through a type filter.
      const byTime = await pageThrough((q) => audit().list(q), { from: year(2005), to: year(2006) }, 100);
      expect(byTime.flat().map((e) => e.id)).toEqual(expected.map((e) => e.id));
      const successes = expected.filter((e) => e.type === 'sign_in.success');
      const byType = await pageThrough((q) => audit().list(q), { accountId, types: ['sign_in.success'] }, 13);
      expect(byType.flat().map((e) => e.id)).toEqual(successes.map((e) => e.id));
      expect(await audit().list({ accountId, limit: 500 })).toEqual(expected);
    }, 60_000);

    it('takes limits from 1 to 500 and refuses anything else, an empty or unknown type list, or a bad date', async () => {
      const accountId = randomUUID();
      for (let i = 0; i < 3; i += 1) await audit().append(event({ accountId, at: year(2007, i) }));
      expect(await audit().list({ accountId, limit: 1 })).toHaveLength(1);
      expect(await audit().list({ accountId, limit: 500 })).toHaveLength(3);
      for (const limit of [0, -1, 1.5, 501, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectDomainError(audit().list({ accountId, limit }), 'invalid_input');
      }
      await expectDomainError(audit().list({ accountId, limit: 10, types: [] }), 'invalid_input');
      await expectDomainError(audit().list({ accountId, limit: 10, types: ['sign_in.maybe' as AuditEvent['type']] }), 'invalid_input');
      await expectDomainError(audit().list({ accountId, limit: 10, from: new Date(Number.NaN) }), 'invalid_input');
      await expectDomainError(audit().list({ accountId, limit: 10, before: { at: new Date(Number.NaN), id: 'x' } }), 'invalid_input');
    });

    it('refuses a repeated id with duplicate and keeps the first event as it was', async () => {
      const first = event({ at: year(2008) });
      await audit().append(first);
      await expectDomainError(audit().append({ ...first, reason: 'rewritten', details: { changed: true } }), 'duplicate');
      await expectDomainError(audit().append(event({ id: first.id, accountId: randomUUID() })), 'duplicate');
      expect(await audit().list({ accountId: first.accountId!, limit: 10 })).toEqual([first]);
    });

    it('deletes only events strictly older than the cut-off, and says how many', async () => {
      const cutOff = year(1995);
      const old = [event({ at: year(1990) }), event({ at: year(1994, 999) }), event({ at: new Date(cutOff.getTime() - 1) })];
      const kept = [event({ at: cutOff }), event({ at: year(1996) })];
      for (const e of [...old, ...kept]) await audit().append(e);
      expect(await audit().deleteBefore(cutOff)).toBe(3);
      expect(await audit().list({ to: year(2000), limit: 10 })).toEqual([...kept].reverse());
      expect(await audit().deleteBefore(cutOff)).toBe(0);
      // Later events (other tests') are untouched.
      expect((await audit().list({ from: year(2001), limit: 1 })).length).toBe(1);
    });

    it('keeps every one of many concurrent appends', async () => {
      const accountId = randomUUID();
      const events = Array.from({ length: 60 }, (_, i) => event({ accountId, at: year(2009, i % 4), details: { n: i } }));
      await Promise.all(events.map((e) => audit().append(e)));
      const listed = await audit().list({ accountId, limit: 100 });
      expect(listed).toHaveLength(60);
      expect(new Set(listed.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
      expect(listed.map((e) => e.details.n).sort((x, y) => Number(x) - Number(y))).toEqual(events.map((_, i) => i));
    });
  });
}
