// A new version of the terms (TERMS_VERSION, issue 17 item 1): members who accepted an older one are asked at their
// next sign-in, with what changed and the link; declining cancels the sign-in (the client gets access_denied, the
// session is gone) and says so plainly; accepting is recorded like a consent. A sign-up accepts the current version.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const EXAMPLE = fileURLToPath(new URL('../../config/consent-purposes.example.json', import.meta.url));

describe.each(STORES)('terms versions (%s)', (store) => {
  const fx = useMemberServer(store, { TERMS_VERSION: '2', TERMS_URL: 'https://example.com/terms', CONSENT_PURPOSES_FILE: EXAMPLE });

  /** A member who signed up (accepting version 2) and then, as far as the store knows, accepted only version 1. */
  async function memberOnVersionOne(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const login = await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    const at = new Date();
    const receiptId = randomUUID();
    await fx.server.container.storage.purposeConsents.record({
      records: [{ id: randomUUID(), accountId, purpose: 'terms', version: 1, granted: true, at, channel: 'web', clientId: null, method: 'import', receiptId }],
      receipt: { id: receiptId, accountId, issuedAt: at, jws: null, decisions: [{ purpose: 'terms', version: 1, granted: true }], method: 'import' },
      events: [],
    });
    return { email, ua, login, accountId };
  }

  test('signing up accepts the current terms: the page says so, and no terms page follows', async () => {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const login = await openLoginPage(ua, request.url);
    const register = await ua.follow(new URL(login.url + '/register').href);
    expect(register.body).toContain('By creating an account, you accept the terms and privacy policy.');
    expect(register.body).toContain('href="https://example.com/terms"');

    const email = uniqueEmail('terms-signup');
    const done = await signIn(ua, await signUpAndVerify(ua, login, fx.sink, email), email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    const records = await fx.server.container.storage.purposeConsents.listRecords(accountId);
    expect(records).toEqual([expect.objectContaining({ purpose: 'terms', version: 2, granted: true, method: 'sign_up' })]);
  });

  test('a member on an older version is asked at the next sign-in; declining cancels it plainly, accepting continues', async () => {
    const { email, ua, login, accountId } = await memberOnVersionOne('terms-old');
    const asked = await signIn(ua, login, email);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('Our terms and privacy policy have changed');
    expect(asked.body).toContain('What changed');
    expect(asked.body).toContain('We now explain how partner brands use what you share with them');
    expect(asked.body).toContain('href="https://example.com/terms"');

    const declined = await ua.submit(asked, '/terms/decline');
    expect(declined.status).toBe(200);
    expect(declined.body).toContain('You are not signed in');
    const back = await ua.follow(new URL(/href="([^"]*\/auth\/[^"]+)"/.exec(declined.body)![1]!.replace(/&amp;/g, '&'), fx.server.url).href);
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    // Not signed in: the account pages send this browser to sign in.
    expect((await ua.follow('/account/security')).url).not.toContain('/account/security');
    expect((await fx.server.container.storage.purposeConsents.listRecords(accountId)).at(-1)).toMatchObject({ purpose: 'terms', version: 1 });

    const request = await authorizationRequest(fx.config);
    const again = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(again.body).toContain('Our terms and privacy policy have changed');
    const accepted = await ua.submit(again, '/terms/accept');
    expect(accepted.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, accepted.url, request)).claims()!.email).toBe(email);
    expect((await fx.server.container.storage.purposeConsents.listRecords(accountId)).at(-1)).toMatchObject({ purpose: 'terms', version: 2, granted: true, method: 'prompt' });

    // Accepted: the next request goes straight through.
    expect((await ua.follow((await authorizationRequest(fx.config)).url)).url.startsWith(REDIRECT_URI)).toBe(true);
  });
});
