// Threat: one address failing sign-ins all day, and attackers forging X-Forwarded-For to look like many
// addresses. Behind TRUST_PROXY only the entry our proxy appended (the last) counts; without it, none do.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, uniqueEmail } from '../support/attack.ts';
import { UserAgent } from '../support/user-agent.ts';

describe.each(STORES)('suspicious addresses (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SIGN_IN_IP_FAILURES_PER_DAY: '10' });

  test('after 10 failed sign-ins in a day, password sign-ins from that address are refused until the day is over', async () => {
    for (let i = 0; i < 10; i += 1) expect((await attempt(fx, browserFrom(fx, '203.0.113.90'), uniqueEmail('x'), 'guess')).status).toBe(400);
    const refused = await attempt(fx, browserFrom(fx, '203.0.113.90'), uniqueEmail('x'), 'guess');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect(refused.body).toContain('too many failed sign-ins from your connection today');
    expect((await attempt(fx, browserFrom(fx, '203.0.113.91'), uniqueEmail('x'), 'guess')).status).toBe(400);
  });

  test('a forged X-Forwarded-For prefix does not escape the count: the proxy\'s entry (the last) is the address', async () => {
    for (let i = 0; i < 10; i += 1) {
      const forged = new UserAgent(fx.server.url, { 'x-forwarded-for': `10.${i}.0.1, 192.0.2.${i + 1}, 203.0.113.92` });
      expect((await attempt(fx, forged, uniqueEmail('y'), 'guess')).status).toBe(400);
    }
    const next = new UserAgent(fx.server.url, { 'x-forwarded-for': '8.8.8.8, 203.0.113.92' });
    expect((await attempt(fx, next, uniqueEmail('y'), 'guess')).status).toBe(429);
  });
});

describe.each(STORES)('without TRUST_PROXY (%s)', (store) => {
  const fx = useMemberServer(store, { SIGN_IN_IP_FAILURES_PER_DAY: '10' });

  test('X-Forwarded-For is ignored: every forged address counts as the socket\'s', async () => {
    for (let i = 0; i < 10; i += 1) {
      const forged = new UserAgent(fx.server.url, { 'x-forwarded-for': `198.51.100.${i + 1}` });
      await attempt(fx, forged, uniqueEmail('z'), 'guess');
    }
    const page = await attempt(fx, new UserAgent(fx.server.url, { 'x-forwarded-for': '198.51.100.200' }), uniqueEmail('z'), 'guess');
    expect(page.status).toBe(429);
  });
});
