// Sign-in refusals give one answer whether the email is unknown, the password wrong or the email unverified.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';

describe.each(STORES)('sign-in sad paths (%s)', (store) => {
  const fixture = useMemberServer(store);
  const verified = uniqueEmail('verified');
  const unverified = uniqueEmail('unverified');

  async function attempt(email: string, password: string) {
    const ua = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    return ua.submit(login, '/login', { email, password });
  }

  /** The page minus what legitimately differs per request (tokens, ids, the echoed email). */
  function normalise(html: string, email: string): string {
    return html.replaceAll(email, 'EMAIL').replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/(value|data-csrf)="[A-Za-z0-9_-]{20,}"/g, '$1="TOKEN"').replace(/[0-9a-f-]{36}/g, 'ID');
  }

  beforeAll(async () => {
    const ua = new UserAgent(fixture.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fixture.config)).url), fixture.sink, verified);
    const ua2 = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua2, (await authorizationRequest(fixture.config)).url);
    const register = await followLink(ua2, login, '/register');
    await ua2.submit(register, '/register', { email: unverified, password: PASSWORD });
  });

  test('unknown email, wrong password and unverified email get the same status and page', async () => {
    const unknown = await attempt('nobody@example.com', PASSWORD);
    const wrong = await attempt(verified, 'wrong password entirely');
    const notVerified = await attempt(unverified, PASSWORD);
    for (const page of [unknown, wrong, notVerified]) {
      expect(page.status).toBe(400);
      expect(page.body).toContain('role="alert"');
    }
    expect(normalise(wrong.body, verified)).toBe(normalise(unknown.body, 'nobody@example.com'));
    expect(normalise(notVerified.body, unverified)).toBe(normalise(unknown.body, 'nobody@example.com'));
  });

  test.each([
    ['empty fields', { email: '', password: '' }],
    ['a huge password', { email: 'x@example.com', password: 'p'.repeat(5000) }],
    ['a missing password', { email: 'x@example.com' }],
  ])('%s is refused without a server error', async (_name, fields) => {
    const ua = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    const result = await ua.submit(login, '/login', fields as Record<string, string>);
    expect(result.status).toBe(400);
  });

  test('a stale or foreign interaction shows the expired page, not a stack trace', async () => {
    const ua = new UserAgent(fixture.server.url);
    const page = await ua.request(`${fixture.server.url}/interaction/not-a-real-interaction`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('expired');
    expect(page.body).not.toMatch(/at .*\.ts:\d+|Error:/);
  });
});
