// Passwordless sign-in with an emailed code: from the sign-in page to the client, one factor, amr email.
import { followLink, openLoginPage, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('sign in with an emailed code (%s)', (store) => {
  const fx = useMemberServer(store);
  const email = uniqueEmail('code-sign-in');

  beforeAll(async () => {
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
  });

  test('"Email me a sign-in code" → code → back at the client with acr loa:1 and amr email', async () => {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const codeRequest = await followLink(ua, await openLoginPage(ua, request.url), '/code');
    const before = fx.sink.countFor(email);
    const enter = await ua.submit(codeRequest, '/code', { email: email.toUpperCase() });
    expect(enter.url).toMatch(/\/code\/verify$/);
    expect(enter.body).toContain('we sent a 6-digit code');
    const code = await fx.sink.waitForCode(email, { after: before });
    const done = await ua.submit(enter, '/code/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, done.url, request)).claims()!;
    expect(claims.acr).toBe('urn:loyalty:loa:1');
    expect(claims.amr).toEqual(['email']);
  });
});
