// The bot check is a neutral step that keeps what was typed, and sign-up works without JavaScript: a
// challenged address still signs up from a browser without scripts (a small hourly allowance), walked
// here over plain HTTP, where no script runs.
import { browserFrom, hasChallenge } from '../support/attack.ts';
import { followLink, openLoginPage, PASSWORD, uniqueEmail } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page, UserAgent } from '../support/user-agent.ts';

describe.each(STORES)('sign-up without JavaScript and the bot check as a step (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SIGN_UPS_PER_IP_PER_HOUR: '10', SIGN_UPS_PER_DEVICE_PER_HOUR: '10' });

  async function registerPage(ua: UserAgent): Promise<{ page: Page; request: Awaited<ReturnType<typeof authorizationRequest>> }> {
    const request = await authorizationRequest(fx.config);
    return { page: await followLink(ua, await openLoginPage(ua, request.url), '/register'), request };
  }

  /** Three sign-ups (a household's worth) flag the address: the page carries the check from then on. */
  async function flag(ip: string) {
    for (let i = 0; i < 3; i += 1) {
      const ua = browserFrom(fx, ip);
      expect((await ua.submit((await registerPage(ua)).page, '/register', { email: uniqueEmail('household'), password: PASSWORD, no_script: '' })).url).toMatch(/\/verify$/);
    }
  }

  test('a challenged address: a browser without scripts signs up, verifies and reaches the client', async () => {
    const ip = '203.0.113.70';
    await flag(ip);
    const ua = browserFrom(fx, ip);
    const { page, request } = await registerPage(ua);
    expect(hasChallenge(page)).toBe(true);
    // What such a browser submits: the field inside <noscript>, no answer to the check.
    expect(page.body).toMatch(/<noscript>[\s\S]*name="no_script" value="1"[\s\S]*<\/noscript>/);
    const email = uniqueEmail('no-js');
    const verify = await ua.submit(page, '/register', { email, password: PASSWORD });
    expect(verify.url).toMatch(/\/verify$/);
    const done = await ua.submit(verify, '/verify', { code: await fx.sink.waitForCode(email) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(request.state).toBe(new URL(done.url).searchParams.get('state'));
  });

  test('the check shows as a neutral notice with the email kept, never as an error; a script claiming no JavaScript gets two an hour', async () => {
    const ip = '203.0.113.71';
    await flag(ip);
    const ua = browserFrom(fx, ip);
    const email = uniqueEmail('kept');
    const held = await ua.submit((await registerPage(ua)).page, '/register', { email, password: PASSWORD, no_script: '' });
    expect(held.status).toBe(403);
    expect(held.body).toContain('One more step: this browser runs a quick security check.');
    expect(held.body).toMatch(/class="alert alert-info" role="status"/);
    expect(held.body).not.toContain('id="error-summary"');
    expect(held.body).toContain(`value="${email}"`);
    expect(held.body).not.toMatch(/name="password"[^>]*value="[^"]/);

    // The no-script allowance is small: the third sign-up of the hour that way meets the check again.
    for (let i = 0; i < 2; i += 1) {
      const next = browserFrom(fx, ip);
      expect((await next.submit((await registerPage(next)).page, '/register', { email: uniqueEmail('no-js'), password: PASSWORD })).url).toMatch(/\/verify$/);
    }
    const third = browserFrom(fx, ip);
    const refused = await third.submit((await registerPage(third)).page, '/register', { email: uniqueEmail('no-js'), password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(hasChallenge(refused)).toBe(true);
  });
});
