// Sign-up and verification refusals: bad input, weak passwords, wrong/expired/reused codes, enumeration.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import type { Page } from '../support/user-agent.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';

describe.each(STORES)('registration sad paths (%s)', (store) => {
  const fixture = useMemberServer(store);

  async function registerPage(): Promise<{ ua: UserAgent; page: Page }> {
    const ua = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    const page = await followLink(ua, login, '/register');
    return { ua, page };
  }

  
  test.each([
    ['too short', 'short7!', 'at least 8'],
    ['a common password', 'password123', 'too common'],
    ['a common password in other case', 'PASSWORD1', 'too common'],
    ['too long', 'x'.repeat(129), 'at most 128'],
  ])('a password that is %s is refused with a reason', async (_name, password, message) => {
    const { ua, page } = await registerPage();
    const result = await ua.submit(page, '/register', { email: uniqueEmail('weak'), password });
    expect(result.status).toBe(400);
    expect(result.body).toContain(message);
    expect(result.body).toContain('aria-describedby');
  });

  test('long passphrases (64 characters, unicode) are accepted', async () => {
    const { ua, page } = await registerPage();
    const result = await ua.submit(page, '/register', { email: uniqueEmail('long'), password: 'ünïcødé passphrase with spaces and 🐟 emoji that is long 1234' });
    expect(result.url).toMatch(/\/verify$/);
  });

  test.each([['empty', ''], ['no at', 'member.example.com'], ['spaces', 'a b@example.com'], ['huge', `${'a'.repeat(300)}@example.com`]])(
    'an invalid email (%s) is refused',
    async (_name, email) => {
      const { ua, page } = await registerPage();
      const result = await ua.submit(page, '/register', { email, password: PASSWORD });
      expect(result.status).toBe(400);
      expect(result.body).toContain('valid email');
    },
  );

  test('missing fields and repeated fields are refused without a server error', async () => {
    const { ua, page } = await registerPage();
    const action = new URL(/action="([^"]*\/register)"/.exec(page.body)![1]!, page.url).href;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const missing = await ua.request(action, { form: { csrf } });
    expect(missing.status).toBe(400);
    const body = `csrf=${csrf}&email=a%40example.com&email=b%40example.com&password=x`;
    const repeated = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ua.cookieHeader(), accept: 'text/html' }, body, redirect: 'manual' });
    expect(repeated.status).toBe(400);
  });

  test('signing up with a verified member\'s email reveals nothing and emails the owner instead', async () => {
    const email = uniqueEmail('taken');
    const owner = new UserAgent(fixture.server.url);
    await signUpAndVerify(owner, await openLoginPage(owner, (await authorizationRequest(fixture.config)).url), fixture.sink, email);
    const before = fixture.sink.countFor(email);
    const { ua, page } = await registerPage();
    const result = await ua.submit(page, '/register', { email, password: 'another good passphrase' });
    expect(result.url).toMatch(/\/verify$/); // same next step as a new address
    const notice = await fixture.sink.waitForMessage(email, { after: before });
    expect(notice.text).toMatch(/already has one/);
    expect(notice.text).not.toMatch(/^\d{6}\r?$/m);
    // The owner's password is unchanged.
    const account = await fixture.server.container.storage.accounts.findByEmail(email);
    expect(account?.emailVerified).toBe(true);
  });

  test('an unverified sign-up can be taken over only by whoever reads the email (no pre-hijacking)', async () => {
    const email = uniqueEmail('prehijack');
    const attacker = await registerPage();
    await attacker.ua.submit(attacker.page, '/register', { email, password: 'attacker chosen password' });
    const victim = await registerPage();
    const verify = await victim.ua.submit(victim.page, '/register', { email, password: PASSWORD });
    const code = await fixture.sink.waitForCode(email, { after: 1 });
    const done = await victim.ua.submit(verify, '/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const account = await fixture.server.container.accounts.authenticate(email, 'attacker chosen password');
    expect(account).toBeUndefined();
    expect(await fixture.server.container.accounts.authenticate(email, PASSWORD)).toBeDefined();
  });

  test('wrong code, malformed code, code after five failures, reused code', async () => {
    const email = uniqueEmail('codes');
    const { ua, page } = await registerPage();
    const verify = await ua.submit(page, '/register', { email, password: PASSWORD });
    const code = await fixture.sink.waitForCode(email);
    const wrong = code === '000000' ? '111111' : '000000';
    const malformed = await ua.submit(verify, '/verify', { code: '12ab' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('6-digit');
    for (let i = 0; i < 4; i += 1) {
      const result = await ua.submit(verify, '/verify', { code: wrong });
      expect(result.status).toBe(400);
      expect(result.body).toContain('not right');
    }
    const fifth = await ua.submit(verify, '/verify', { code: wrong });
    expect(fifth.body).toContain('Too many wrong codes');
    // The sixth try, even with the right code, is dead.
    const sixth = await ua.submit(verify, '/verify', { code });
    expect(sixth.status).toBe(400);
    expect((await fixture.server.container.storage.accounts.findByEmail(email))?.emailVerified).toBe(false);

    // A fresh code works once; using it again does nothing.
    const resent = await ua.submit(verify, '/verify/resend');
    const fresh = await fixture.sink.waitForCode(email, { after: 1 });
    expect((await ua.submit(resent, '/verify', { code: fresh })).url.startsWith(REDIRECT_URI)).toBe(true);
    const replay = await ua.request(`${new URL(resent.url).pathname}`, { form: { code: fresh, csrf: /name="csrf" value="([^"]+)"/.exec(resent.body)![1]! } });
    expect(replay.status).not.toBe(500);
  });

  test('an expired code is refused', async () => {
    const email = uniqueEmail('expired');
    const { ua, page } = await registerPage();
    const verify = await ua.submit(page, '/register', { email, password: PASSWORD });
    const code = await fixture.sink.waitForCode(email);
    const account = (await fixture.server.container.storage.accounts.findByEmail(email))!;
    const stored = (await fixture.server.container.storage.codes.find('email_verification', account.id))!;
    await fixture.server.container.storage.codes.put({ ...stored, expiresAt: new Date(Date.now() - 1000) });
    const result = await ua.submit(verify, '/verify', { code });
    expect(result.status).toBe(400);
    expect(result.body).toContain('expired');
  });

  test('the verify page without a pending sign-up goes back to sign-in', async () => {
    const { ua, page } = await registerPage();
    const verifyUrl = page.url.replace(/\/register$/, '/verify');
    const result = await ua.request(verifyUrl);
    expect(result.status).toBe(303);
  });
});
