// The authenticator-app offer after a step-up by code comes at most once a month, whatever the answer:
// a member who said "Not now" steps up straight to the client until a month has passed.
import { APP_OFFER_DAYS, APP_OFFER_FIELD } from '../../server/domain/profile/profile-service.ts';
import { openLoginPage, proveEmailCode, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(STORES)('the authenticator-app offer comes at most once a month (%s)', (store) => {
  const fx = useMemberServer(store);

  /** A fresh browser signs in asking for two factors and proves the emailed code; returns where that led. */
  async function stepUpByEmail(email: string) {
    const ua = new UserAgent(fx.server.url);
    const stepUp = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    return { ua, page: await proveEmailCode(ua, stepUp, fx.sink, email) };
  }
  const offered = (page: { status: number; body: string }) => page.status === 200 && page.body.includes('/mfa/enrol"');

  test('offered once, "Not now", then not after the next step-ups; offered again a month later', async () => {
    const email = uniqueEmail('app-offer');
    const signUp = new UserAgent(fx.server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;

    const first = await stepUpByEmail(email);
    expect(offered(first.page)).toBe(true);
    expect((await first.ua.submit(first.page, '/mfa/finish')).url.startsWith(REDIRECT_URI)).toBe(true);

    for (let i = 0; i < 2; i += 1) {
      const next = await stepUpByEmail(email);
      expect(offered(next.page)).toBe(false);
      expect(next.page.url.startsWith(REDIRECT_URI)).toBe(true);
    }

    // A month on (the record moved back rather than the clock), the offer comes once more.
    await fx.server.container.storage.profiles.update(accountId, { skipped: [APP_OFFER_FIELD] }, new Date(Date.now() - APP_OFFER_DAYS * DAY_MS - 1000));
    const later = await stepUpByEmail(email);
    expect(offered(later.page)).toBe(true);
    // The record is no claim: the ID token's profile claims never carry it.
    expect(Object.keys(await fx.server.container.interactions.profiles.claims(accountId))).not.toContain(APP_OFFER_FIELD);
  });
});
