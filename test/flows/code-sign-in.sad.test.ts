// Passwordless sign-in, by threat: finding out who is a member, unverified addresses, guessing (sixth
// try), replaying a used code, malformed input, and skipping the request step.
import { followLink, openLoginPage, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import type { Page } from '../support/user-agent.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('sign in with an emailed code: threats (%s)', (store) => {
  const fx = useMemberServer(store);

  async function member(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  /** Asks for a code for `email` in a fresh browser; returns the code-entry page. */
  async function ask(email: string): Promise<{ ua: UserAgent; enter: Page }> {
    const ua = new UserAgent(fx.server.url);
    const codeRequest = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/code');
    return { ua, enter: await ua.submit(codeRequest, '/code', { email }) };
  }

  const normalise = (page: Page, email: string) =>
    page.body.replaceAll(email, 'EMAIL').replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/(value|data-csrf)="[A-Za-z0-9_-]{20,}"/g, '$1="TOKEN"').replace(/[a-z]\*\*\*@example\.com/g, 'MASKED');
  const wait = () => new Promise((resolve) => setTimeout(resolve, 200));

  test('enumeration: an unknown address gets the same page and status as a member, and no mail goes out', async () => {
    const known = await member('code-known');
    const unknown = uniqueEmail('code-unknown');
    const a = await ask(known);
    const b = await ask(unknown);
    expect(b.enter.status).toBe(a.enter.status);
    expect(normalise(b.enter, unknown)).toBe(normalise(a.enter, known));
    await wait();
    expect(fx.sink.countFor(unknown)).toBe(0);
    const refused = await b.ua.submit(b.enter, '/code/verify', { code: '123456' });
    expect(refused.status).toBe(400);
  });

  test('an address whose sign-up was never verified gets no code and cannot sign in', async () => {
    const email = uniqueEmail('code-unverified');
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    await ua.submit(await followLink(ua, login, '/register'), '/register', { email, password: 'correct horse battery staple' });
    // The verification code goes out after the answer: count it once it is out.
    await fx.server.container.deliveries.drain();
    const mails = fx.sink.countFor(email);
    const { ua: other, enter } = await ask(email);
    await wait();
    expect(fx.sink.countFor(email)).toBe(mails); // only the verification code from the sign-up
    const refused = await other.submit(enter, '/code/verify', { code: await fx.sink.waitForCode(email) });
    expect(refused.status).toBe(400);
  });

  test('guessing: after five wrong codes the right one is refused', async () => {
    const email = await member('code-guess');
    const before = fx.sink.countFor(email);
    const { ua, enter } = await ask(email);
    const code = await fx.sink.waitForCode(email, { after: before });
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    let page = enter;
    for (let i = 0; i < 5; i += 1) {
      page = await ua.submit(page, '/code/verify', { code: wrong });
      expect(page.status).toBe(400);
    }
    const sixth = await ua.submit(page, '/code/verify', { code });
    expect(sixth.status).toBe(400);
    expect(sixth.body).toContain('Too many wrong codes');
  });

  test('replay: a code that already signed in is refused (asking again issues a new code; the old one stays dead)', async () => {
    const email = await member('code-replay');
    const before = fx.sink.countFor(email);
    const first = await ask(email);
    const code = await fx.sink.waitForCode(email, { after: before });
    expect((await first.ua.submit(first.enter, '/code/verify', { code })).url.startsWith(REDIRECT_URI)).toBe(true);
    const second = await ask(email);
    const fresh = await fx.sink.waitForCode(email, { after: before + 1 });
    const replayed = await second.ua.submit(second.enter, '/code/verify', { code });
    expect(replayed.status).toBe(400);
    // Not a broken page: the new code still works.
    if (fresh !== code) expect((await second.ua.submit(replayed, '/code/verify', { code: fresh })).url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test.each(['', '12345', 'abcdef', '1234567'])('malformed code %j: a form error, no sign-in', async (code) => {
    const email = await member('code-shape');
    const { ua, enter } = await ask(email);
    const page = await ua.submit(enter, '/code/verify', { code });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Enter the 6-digit code');
  });

  test('skipping the request step: the code page sends the browser back to ask for a code', async () => {
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(login.body)![1]!;
    const page = await ua.request(`/interaction/${uid}/code/verify`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/interaction/${uid}/code`);
  });

  test('an invalid address is refused on the request page', async () => {
    const { enter } = await ask('not-an-email');
    expect(enter.status).toBe(400);
    expect(enter.body).toContain('/code"');
  });
});
