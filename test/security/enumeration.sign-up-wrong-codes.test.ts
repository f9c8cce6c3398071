// Threat: finding out who is a member by signing up with their address and typing wrong codes. A stranger's
// sign-up has a live verification code, so its fifth wrong try answers "too many tries"; a member's address
// (emailed a notice, no code) answered "wrong code" forever, and its wrong tries counted toward nothing.
// After: a member's address is checked against its own unsent code, so both answer alike, try for try.
import { openLoginPage, followLink, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('signing up with an address and typing wrong codes (%s)', (store) => {
  const fx = useMemberServer(store);

  /** Signs up with `email` in a fresh browser and submits six wrong codes; returns each answer's status and error text. */
  async function wrongCodes(email: string): Promise<string[]> {
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    let page = await ua.submit(await followLink(ua, login, '/register'), '/register', { email, password: 'correct horse battery 42' });
    expect(page.url.endsWith('/verify')).toBe(true);
    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      page = await ua.submit(page, '/verify', { code: '000000' });
      // The code messages the page can show (code.invalid, code.exhausted, ...), by their English copy.
      const error = ['not right', 'Too many wrong codes', 'expired'].find((text) => page.body.includes(text)) ?? 'no code message';
      answers.push(`${page.status} ${error}`);
    }
    return answers;
  }

  test('a member\'s address and a stranger\'s answer the same, wrong try after wrong try', async () => {
    const member = uniqueEmail('enum-signup');
    const setup = new UserAgent(fx.server.url);
    await signUpAndVerify(setup, await openLoginPage(setup, (await authorizationRequest(fx.config)).url), fx.sink, member);
    const strangers = await wrongCodes(uniqueEmail('enum-stranger'));
    const members = await wrongCodes(member);
    expect(new Set(strangers).size).toBeGreaterThan(1); // the tries end: the test would see a difference
    expect(members).toEqual(strangers);
  });
});
