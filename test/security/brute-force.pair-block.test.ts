// Threat: password guessing against one account from one address. After 10 consecutive failures the
// (email, address) pair is blocked for 15 minutes; other addresses are not; a success resets the streak;
// parallel guesses cannot slip past the count; the owner hears about it once.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, member, PASSWORD, passwordAccepted } from '../support/attack.ts';

const WRONG = 'not the password at all';

describe.each(STORES)('brute force on one (email, address) pair (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true' });

  test('the 11th attempt after 10 wrong passwords is refused with 429 and Retry-After, even with the right password', async () => {
    const { email } = await member(fx, 'pair');
    const attacker = browserFrom(fx, '203.0.113.10');
    for (let i = 0; i < 10; i += 1) expect((await attempt(fx, attacker, email, WRONG)).status).toBe(400);
    const blocked = await attempt(fx, attacker, email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect(blocked.body).toContain('too many wrong passwords for this email from your connection');
    expect(blocked.body).toContain('/forgot');
    // The member, from anywhere else, is not locked out.
    expect(passwordAccepted(await attempt(fx, browserFrom(fx, '198.51.100.20'), email, PASSWORD))).toBe(true);
  });

  test('the owner is emailed once when blocking starts', async () => {
    const { email } = await member(fx, 'notice');
    const before = fx.sink.countFor(email);
    for (const ip of ['203.0.113.11', '203.0.113.12']) {
      const attacker = browserFrom(fx, ip);
      for (let i = 0; i < 10; i += 1) await attempt(fx, attacker, email, WRONG);
    }
    const notice = await fx.sink.waitForMessage(email, { after: before });
    expect(notice.text).toContain('Subject: We stopped sign-in attempts to your account');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fx.sink.countFor(email)).toBe(before + 1);
  });

  test('a right password ends the streak: 9 wrong, right, 9 wrong is not blocked', async () => {
    const { email } = await member(fx, 'reset');
    const ua = browserFrom(fx, '203.0.113.13');
    for (let i = 0; i < 9; i += 1) expect((await attempt(fx, ua, email, WRONG)).status).toBe(400);
    expect(passwordAccepted(await attempt(fx, ua, email, PASSWORD))).toBe(true);
    for (let i = 0; i < 9; i += 1) expect((await attempt(fx, browserFrom(fx, '203.0.113.13'), email, WRONG)).status).toBe(400);
    expect((await attempt(fx, browserFrom(fx, '203.0.113.13'), email, WRONG)).status).toBe(400);
  });

  test('30 guesses in parallel: no more than 10 reach the password check', async () => {
    const { email } = await member(fx, 'parallel');
    const pages = await Promise.all(Array.from({ length: 30 }, () => attempt(fx, browserFrom(fx, '203.0.113.14'), email, WRONG)));
    const checked = pages.filter((p) => p.status === 400).length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(pages.filter((p) => p.status === 429).length).toBe(30 - checked);
  });

  test('an unknown email is counted and blocked exactly like a real one (no enumeration)', async () => {
    const attacker = browserFrom(fx, '203.0.113.15');
    for (let i = 0; i < 10; i += 1) expect((await attempt(fx, attacker, 'nobody.here@example.com', WRONG)).status).toBe(400);
    expect((await attempt(fx, attacker, 'nobody.here@example.com', WRONG)).status).toBe(429);
  });
});
