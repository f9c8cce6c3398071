// Admin API: the security audit log — queried by account, type and time window in pages, every bad input a 400
// with field errors, only for admin tokens; and every authorized admin change is itself an admin.action event.
import { randomUUID } from 'node:crypto';
import type { AuditInput } from '../../../server/domain/audit/audit-log.ts';
import { STORES } from '../../support/test-server.ts';
import { clientCredentials, serviceClient, useAdminServer, webClient, type AdminResponse } from './admin-api.ts';

interface EventView {
  id: string;
  type: string;
  at: string;
  account_id: string | null;
  ip: string | null;
  user_agent: string | null;
  country: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

interface Page {
  events: EventView[];
  next: string | null;
}

const page = (response: AdminResponse) => response.body as unknown as Page;
const at = (iso: string) => new Date(iso);

describe.each(STORES)('admin API: audit events (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;
  const record = (input: AuditInput) => admin.server.container.audit.record(input);

  /** Every event of the query, following `next` page by page. */
  async function everyPage(query: string): Promise<Page[]> {
    const pages: Page[] = [];
    let next: string | null = null;
    do {
      const response = await call('GET', `/admin/audit-events?${query}${next ? `&before=${encodeURIComponent(next)}` : ''}`);
      expect(response.status).toBe(200);
      pages.push(page(response));
      next = page(response).next;
    } while (next && pages.length < 50);
    return pages;
  }

  test('answers an account\'s events newest first, every field, filtered by time window and type', async () => {
    const [member, other] = [randomUUID(), randomUUID()];
    await record({ type: 'sign_in.failure', accountId: member, at: at('2030-01-01T10:00:00Z'), ip: '203.0.113.5', userAgent: 'Kiosk/1.0', country: 'fr', reason: 'wrong_password', details: { method: 'password', attempt: 2 } });
    await record({ type: 'sign_in.success', accountId: member, at: at('2030-01-01T11:00:00Z'), ip: '2001:db8::5', details: { method: 'passkey' } });
    await record({ type: 'factor.added', accountId: member, at: at('2030-01-02T09:00:00Z') });
    await record({ type: 'sign_in.blocked', accountId: member, at: at('2030-01-03T00:00:00Z'), reason: 'rule:velocity' });
    await record({ type: 'sign_in.success', accountId: other, at: at('2030-01-01T10:30:00Z') });

    const all = await call('GET', `/admin/audit-events?account_id=${member}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    expect(page(all).next).toBeNull();
    expect(page(all).events.map((e) => e.type)).toEqual(['sign_in.blocked', 'factor.added', 'sign_in.success', 'sign_in.failure']);
    expect(page(all).events[3]).toEqual({
      id: expect.any(String), type: 'sign_in.failure', at: '2030-01-01T10:00:00.000Z', account_id: member, ip: '203.0.113.5',
      user_agent: 'Kiosk/1.0', country: 'FR', reason: 'wrong_password', details: { method: 'password', attempt: 2 },
    });
    expect(page(all).events[2]).toMatchObject({ ip: '2001:db8::5', user_agent: null, country: null, reason: null, details: { method: 'passkey' } });

    // From inclusive, to exclusive, in any offset: 12:00+02:00 is 10:00Z, so the failure is in and the block is out.
    const window = await call('GET', `/admin/audit-events?account_id=${member}&from=${encodeURIComponent('2030-01-01T12:00:00+02:00')}&to=2030-01-03T00:00:00Z`);
    expect(page(window).events.map((e) => e.type)).toEqual(['factor.added', 'sign_in.success', 'sign_in.failure']);
    const everyone = await call('GET', '/admin/audit-events?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z');
    expect(page(everyone).events.map((e) => e.account_id)).toEqual([member, other, member]);

    const repeated = await call('GET', `/admin/audit-events?account_id=${member}&type=sign_in.success&type=sign_in.blocked`);
    const commas = await call('GET', `/admin/audit-events?account_id=${member}&type=sign_in.success,sign_in.blocked`);
    expect(page(repeated).events.map((e) => e.type)).toEqual(['sign_in.blocked', 'sign_in.success']);
    expect(page(commas)).toEqual(page(repeated));
    expect(page(await call('GET', `/admin/audit-events?account_id=${randomUUID()}`))).toEqual({ events: [], next: null });
  });

  test('filters by address and by country (the console\'s filters, for scripts too)', async () => {
    const window = 'from=2031-03-01T00:00:00Z&to=2031-03-02T00:00:00Z';
    await record({ type: 'sign_in.failure', at: at('2031-03-01T10:00:00Z'), ip: '198.51.100.61', country: 'BR', reason: 'unknown_account' });
    await record({ type: 'sign_in.blocked', at: at('2031-03-01T11:00:00Z'), ip: '198.51.100.61', country: 'BR', reason: 'address' });
    await record({ type: 'sign_in.failure', at: at('2031-03-01T12:00:00Z'), ip: '2001:db8::61', country: 'PL', reason: 'unknown_account' });
    const byIp = await call('GET', `/admin/audit-events?${window}&ip=198.51.100.61`);
    expect(page(byIp).events.map((e) => e.type)).toEqual(['sign_in.blocked', 'sign_in.failure']);
    expect(page(await call('GET', `/admin/audit-events?${window}&ip=${encodeURIComponent('2001:db8::61')}`)).events.map((e) => e.country)).toEqual(['PL']);
    expect(page(await call('GET', `/admin/audit-events?${window}&country=br&type=sign_in.failure`)).events.map((e) => e.ip)).toEqual(['198.51.100.61']);
  });

  test('pages with `before`: every event once, in order, and next is null on the last page', async () => {
    const member = randomUUID();
    // Four events share each second, so page boundaries fall inside ties on the time.
    for (let i = 0; i < 23; i += 1) await record({ type: 'sign_in.success', accountId: member, at: new Date(Date.UTC(2031, 0, 1, 0, 0, Math.floor(i / 4))), details: { n: i } });
    const pages = await everyPage(`account_id=${member}&limit=10`);
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 3]);
    expect(pages.at(-1)!.next).toBeNull();
    const ids = pages.flatMap((p) => p.events.map((e) => e.id));
    expect(new Set(ids).size).toBe(23);
    expect(ids).toEqual(page(await call('GET', `/admin/audit-events?account_id=${member}&limit=500`)).events.map((e) => e.id));
    const times = pages.flatMap((p) => p.events.map((e) => Date.parse(e.at)));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    // The default page is 100 events.
    for (let i = 0; i < 100; i += 1) await record({ type: 'sign_in.failure', accountId: member, at: new Date(Date.UTC(2031, 0, 2, 0, 0, i)) });
    const first = page(await call('GET', `/admin/audit-events?account_id=${member}`));
    expect(first.events).toHaveLength(100);
    expect(first.next).toEqual(expect.any(String));
  }, 60_000);

  test.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['from=yesterday', 'from'],
    ['from=2030-01-01T00:00:00', 'from'],
    ['from=2030-01-01', 'from'],
    ['to=2030-02-30T00:00:00Z', 'to'],
    ['from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', 'to'],
    ['from=2030-01-01T00:00:00Z&to=2030-01-01T00:00:00Z', 'to'],
    ['from=2030-01-01T00:00:00Z&from=2030-01-02T00:00:00Z', 'from'],
    ['type=sign_in.maybe', 'type'],
    ['type=sign_in.success,', 'type'],
    ['type=sign_in.success&type=SIGN_IN.FAILURE', 'type'],
    ['account_id=', 'account_id'],
    ['account_id=a&account_id=b', 'account_id'],
    [`account_id=${'a'.repeat(201)}`, 'account_id'],
    ['before=garbage', 'before'],
    ['before=', 'before'],
    ['acount_id=typo', 'acount_id'],
    ['ip=300.1.1.1', 'ip'],
    ['ip=1.2.3.4&ip=1.2.3.5', 'ip'],
    ['country=BRA', 'country'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const result = await call('GET', `/admin/audit-events?${query}`);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: 'invalid_input', error_description: expect.any(String) });
    expect(Object.keys(result.body!.details!.fields)).toContain(field);
  });

  test('a cursor that was altered, or made up, is a 400', async () => {
    const member = randomUUID();
    for (let i = 0; i < 3; i += 1) await record({ type: 'sign_in.success', accountId: member, at: new Date(Date.UTC(2032, 0, 1, 0, 0, i)) });
    const { next } = page(await call('GET', `/admin/audit-events?account_id=${member}&limit=1`));
    expect(next).toEqual(expect.any(String));
    const [payload, tag] = next!.split('.');
    const decoded = Buffer.from(payload!, 'base64url').toString('utf8');
    const [ms, id] = [decoded.slice(0, decoded.indexOf('.')), decoded.slice(decoded.indexOf('.') + 1)];
    // Same shape, an earlier position: only the signature tells it apart.
    const moved = `${Buffer.from(`${Number(ms) - 1000}.${id}`).toString('base64url')}.${tag}`;
    for (const cursor of [moved, `${next!.slice(0, -1)}${next!.endsWith('A') ? 'B' : 'A'}`, Buffer.from(decoded).toString('base64url')]) {
      const result = await call('GET', `/admin/audit-events?account_id=${member}&limit=1&before=${encodeURIComponent(cursor)}`);
      expect(result.status).toBe(400);
      expect(result.body!.details!.fields).toHaveProperty('before');
    }
    expect((await call('GET', `/admin/audit-events?account_id=${member}&limit=1&before=${encodeURIComponent(next!)}`)).status).toBe(200);
  });

  test('needs an admin token: 401 without one, 403 for a client without the admin scope', async () => {
    const none = await call('GET', '/admin/audit-events', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const created = await call('POST', '/admin/clients', serviceClient);
    const other = await clientCredentials(admin.server, created.body!.client_id!, created.body!.client_secret!, 'email');
    const forbidden = await call('GET', '/admin/audit-events', undefined, { authorization: `Bearer ${other.body.access_token!}` });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body!.error).toBe('forbidden');
    // Refused before the query is read: a bad query without a token is still a 401.
    expect((await call('GET', '/admin/audit-events?limit=0', undefined, { authorization: '' })).status).toBe(401);
  });

  test('records every authorized admin change as admin.action, failures included, never the body or a secret', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const created = await call('POST', '/admin/clients', { ...webClient, client_name: 'Audited Shop' }, { 'user-agent': 'ops-console/2.1' });
    expect(created.status).toBe(201);
    const id = created.body!.client_id!;
    const changes = [
      created,
      await call('POST', '/admin/clients', { ...webClient, redirect_uris: ['http://shop.example/cb'] }),
      await call('PUT', `/admin/clients/${id}`, { ...webClient, client_name: 'Renamed Shop' }),
      await call('DELETE', '/admin/clients/no-such-client'),
    ];
    expect(changes.map((r) => r.status)).toEqual([201, 400, 200, 404]);
    // Neither reads nor unauthorized attempts are admin actions.
    const others = [await call('GET', `/admin/clients/${id}`), await call('POST', '/admin/clients', webClient, { authorization: 'Bearer not-a-token' })];
    expect(others.map((r) => r.status)).toEqual([200, 401]);

    const result = await call('GET', `/admin/audit-events?type=admin.action&from=${encodeURIComponent(since)}&limit=500`);
    // Matched by request id (X-Request-Id): other tests on this server make admin changes too.
    const byRequest = new Map(page(result).events.map((e) => [e.details.request_id, e]));
    const events = changes.map((r) => byRequest.get(r.headers.get('x-request-id')));
    expect(events.map((e) => [e?.reason, e?.details.status])).toEqual([
      ['POST /admin/clients', 201],
      ['POST /admin/clients', 400],
      ['PUT /admin/clients/:id', 200],
      ['DELETE /admin/clients/:id', 404],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ type: 'admin.action', account_id: null, ip: expect.stringMatching(/127\.0\.0\.1$/), details: { admin_client_id: 'test-admin' } });
    }
    expect(events[0]!.user_agent).toBe('ops-console/2.1');
    for (const other of others) expect(byRequest.has(other.headers.get('x-request-id'))).toBe(false);
    const stored = JSON.stringify(page(result));
    for (const secret of [created.body!.client_secret!, admin.token, 'Audited Shop', 'Renamed Shop', 'shop.example']) expect(stored).not.toContain(secret);
  });
});
