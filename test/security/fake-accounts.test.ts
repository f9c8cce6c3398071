// Threat: fake accounts (bonus farming, fake referrals): scripted sign-ups from one address or browser, bots
// filling every field, throwaway mailboxes, and sign-ups never verified.
import { deleteUnverifiedAccounts } from '../../server/domain/accounts/unverified-cleanup.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { browserFrom, hasChallenge, loginPage, PASSWORD, solve, uniqueEmail } from '../support/attack.ts';
import { followLink } from '../support/member.ts';
import type { UserAgent } from '../support/user-agent.ts';

describe.each(STORES)('fake accounts (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SIGN_UPS_PER_IP_PER_HOUR: '4', SIGN_UPS_PER_DEVICE_PER_HOUR: '2' });

  async function registerPage(ua: UserAgent) {
    return followLink(ua, await loginPage(fx, ua), '/register');
  }

  async function signUp(ua: UserAgent, fields: Record<string, string> = {}) {
    const page = await registerPage(ua);
    return ua.submit(page, '/register', { email: uniqueEmail('signup'), password: PASSWORD, ...fields });
  }

  test('an address that signs up more than a household would gets the challenge, then the "too many" page', async () => {
    const ip = '203.0.113.60';
    for (let i = 0; i < 3; i += 1) expect((await signUp(browserFrom(fx, ip))).url).toMatch(/\/verify$/);
    const ua = browserFrom(fx, ip);
    const page = await registerPage(ua);
    expect(hasChallenge(page)).toBe(true);
    // A script posting no answer (and not claiming a browser without JavaScript, see sign-up.no-javascript.test.ts).
    const unsolved = await ua.submit(page, '/register', { email: uniqueEmail('signup'), password: PASSWORD, bot_solution: '', no_script: '' });
    expect(unsolved.status).toBe(403);
    expect(hasChallenge(unsolved)).toBe(true);
    const fourth = await ua.submit(unsolved, '/register', { email: uniqueEmail('signup'), password: PASSWORD, ...solve(unsolved) });
    expect(fourth.url).toMatch(/\/verify$/);
    const fifthBrowser = browserFrom(fx, ip);
    const fifthPage = await registerPage(fifthBrowser);
    const fifth = await fifthBrowser.submit(fifthPage, '/register', { email: uniqueEmail('signup'), password: PASSWORD, ...solve(fifthPage) });
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fifth.body).toContain('Too many accounts were created from your connection or browser');
  });

  test('one browser may sign up twice an hour, from any address', async () => {
    const ua = browserFrom(fx, '203.0.113.61');
    expect((await signUp(ua)).url).toMatch(/\/verify$/);
    expect((await signUp(ua)).url).toMatch(/\/verify$/);
    expect((await signUp(ua)).status).toBe(429);
  });

  test('a filled honeypot looks like a normal sign-up but creates nothing and sends nothing', async () => {
    const email = uniqueEmail('bot');
    const page = await signUp(browserFrom(fx, '203.0.113.62'), { email, website: 'https://spam.example' });
    expect(page.url).toMatch(/\/verify$/);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sink.countFor(email)).toBe(0);
  });

  test.each(['someone@mailinator.com', 'someone@sub.33mail.com'])('a throwaway mailbox (%s) is refused with a plain message', async (email) => {
    const page = await signUp(browserFrom(fx, '203.0.113.63'), { email });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Temporary email addresses cannot be used');
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });

  test('sign-ups still unverified after 7 days are deleted with their member record; verified ones stay', async () => {
    const { storage, logger } = fx.server.container;
    const stale = await storage.accounts.create({ email: uniqueEmail('stale'), emailVerified: false, passwordHash: null });
    const kept = await storage.accounts.create({ email: uniqueEmail('kept'), emailVerified: true, passwordHash: null });
    await fx.server.container.loyalty.ensureMember(stale.id);
    // Six days on, nothing is due yet.
    await deleteUnverifiedAccounts({ ...storage, logger }, 7, new Date(Date.now() + 6 * 24 * 3600 * 1000));
    expect(await storage.accounts.findById(stale.id)).toBeDefined();
    const deleted = await deleteUnverifiedAccounts({ ...storage, logger }, 7, new Date(Date.now() + 8 * 24 * 3600 * 1000));
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await storage.accounts.findById(stale.id)).toBeUndefined();
    expect(await storage.loyalty.findMember(stale.id)).toBeUndefined();
    expect(await storage.accounts.findById(kept.id)).toBeDefined();
    // The address is free again for a real sign-up.
    expect(await storage.accounts.create({ email: stale.email!, emailVerified: false, passwordHash: null })).toBeDefined();
  });
});
