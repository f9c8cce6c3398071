// Threat: guessing one account's one-time code all day long. A new code every cooldown with 5 tries each was
// about 7,200 guesses a day. Now every (account, purpose) has a daily budget of codes issued (10 by default) and of wrong
// tries (20 by default); past either, a 429 page says when to come back, and the moment it ran out is audited. Strangers'
// addresses on the emailed-code form get the same budget and the same answers, so it reveals nobody.
import { followLink, openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

// Smaller than the defaults (10 and 20) so a day's budget runs out under the code form's own hourly limit
// (5 asks per address): it is the budget that answers here, not the form's rate limit.
const CODES_PER_DAY = 4;
const FAILURES_PER_DAY = 10;

describe.each(STORES)('daily budget of one-time codes (%s)', (store) => {
  // Set back (the shared test server relaxes them); no resend wait, so only the budget limits.
  const fx = useMemberServer(store, { CODES_PER_ACCOUNT_PER_DAY: String(CODES_PER_DAY), CODE_FAILURES_PER_ACCOUNT_PER_DAY: String(FAILURES_PER_DAY), CODE_RESEND_COOLDOWN_SECONDS: '0' });

  async function member(prefix: string): Promise<string> {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  /** "Email me a sign-in code" in a fresh browser: the answer to the form post, followed. */
  async function askCode(email: string): Promise<{ ua: UserAgent; page: Page }> {
    const ua = new UserAgent(fx.server.url);
    const form = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/code');
    return { ua, page: await ua.submit(form, '/code', { email }) };
  }

  async function budgetEvents(email: string) {
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    return (await fx.server.container.audit.list({ accountId: account.id, types: ['code.budget_exhausted'], limit: 10 })).events;
  }

  test('the sign-in code past the day\'s budget is refused with when to come back, alike for a member and a stranger; audited once', async () => {
    const known = await member('budget-codes');
    const unknown = uniqueEmail('budget-stranger');
    for (let i = 0; i < CODES_PER_DAY; i += 1) {
      expect((await askCode(known)).page.status).toBe(200);
      expect((await askCode(unknown)).page.status).toBe(200);
    }
    const refusals = [await askCode(known), await askCode(unknown)];
    for (const { page } of refusals) {
      expect(page.status).toBe(429);
      expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
      expect(page.body).toContain('Too many codes were sent for this today');
      expect(page.body).toMatch(/Try again in \d+ hours?/);
    }
    // The same page for both but for the request reference and each browser's own interaction id (in the
    // language switcher's links).
    const normalised = (page: Page) => page.body.replace(/<p class="reference">[\s\S]*?<\/p>/, '').replace(/\/interaction\/[\w-]+/g, '/interaction/UID');
    expect(normalised(refusals[1]!.page)).toBe(normalised(refusals[0]!.page));
    await fx.server.container.deliveries.drain();
    // 1 verification code at sign-up + 10 sign-in codes; the refused asks sent nothing.
    expect(fx.sink.countFor(known)).toBe(1 + CODES_PER_DAY);
    expect(await budgetEvents(known)).toEqual([expect.objectContaining({ type: 'code.budget_exhausted', reason: 'codes_per_day', details: expect.objectContaining({ purpose: 'sign_in', limit: CODES_PER_DAY }) })]);
    // Another purpose has its own budget: the member can still reset the password.
    const ua = new UserAgent(fx.server.url);
    const forgot = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/forgot');
    expect((await ua.submit(forgot, '/forgot', { email: known })).url).toMatch(/\/reset$/);
  });

  test('after the day\'s wrong codes even the right code is refused (429), for a member as for a stranger; audited', async () => {
    const known = await member('budget-tries');
    const unknown = uniqueEmail('budget-tries-stranger');
    const wrongTries = async (email: string) => {
      const statuses: number[] = [];
      // Codes of five wrong tries each: each code dies at its fifth, the day's budget at its last.
      for (let c = 0; c < FAILURES_PER_DAY / 5; c += 1) {
        const { ua, page } = await askCode(email);
        for (let t = 0; t < 5; t += 1) statuses.push((await ua.submit(page, '/code/verify', { code: '000000' })).status);
      }
      return statuses;
    };
    expect(await wrongTries(known)).toEqual(Array(FAILURES_PER_DAY).fill(400));
    expect(await wrongTries(unknown)).toEqual(Array(FAILURES_PER_DAY).fill(400));
    const before = fx.sink.countFor(known);
    const { ua, page } = await askCode(known);
    const code = await fx.sink.waitForCode(known, { after: before });
    const refused = await ua.submit(page, '/code/verify', { code });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many wrong codes were entered for this today');
    const stranger = await askCode(unknown);
    const strangerRefused = await stranger.ua.submit(stranger.page, '/code/verify', { code: '123456' });
    expect(strangerRefused.status).toBe(429);
    expect(strangerRefused.body).toContain('Too many wrong codes were entered for this today');
    expect(await budgetEvents(known)).toEqual([expect.objectContaining({ reason: 'failures_per_day', details: expect.objectContaining({ purpose: 'sign_in', limit: FAILURES_PER_DAY }) })]);
    // The password still works: the budget stops code guessing, it does not lock the member out.
    const signIn = new UserAgent(fx.server.url);
    const login = await openLoginPage(signIn, (await authorizationRequest(fx.config)).url);
    expect((await signIn.submit(login, '/login', { email: known, password: PASSWORD })).status).not.toBe(429);
  });

  test('email verification codes have the same budget: the resend past it is refused', async () => {
    const email = uniqueEmail('budget-verify');
    const ua = new UserAgent(fx.server.url);
    const register = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/register');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    for (let i = 1; i < CODES_PER_DAY; i += 1) expect((await ua.submit(verify, '/verify/resend')).status).toBe(200);
    const refused = await ua.submit(verify, '/verify/resend');
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many codes were sent for this today');
  });
});
