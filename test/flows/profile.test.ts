// Progressive profiling: the program declares fields (PROFILE_FIELDS_FILE) and when each is asked; the
// profile page asks only what is due — one field at sign-up, the rest after sign-ins, before redemption,
// or when a client requires it — 1-3 at a time, optional ones skippable and asked again later.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLink, openLoginPage, PASSWORD, signIn, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const declaration = join(mkdtempSync(join(tmpdir(), 'profile-fields-')), 'fields.json');
writeFileSync(declaration, JSON.stringify([
  { name: 'given_name', required: true, ask: { atSignUp: true } },
  { name: 'family_name', ask: { afterSignIns: 2 } },
  { name: 'birthdate', ask: { beforeRedemption: true } },
  { name: 'address.postal_code' },
]));

const isProfilePage = (page: Page) => page.status !== 303 && page.body.includes('/profile"') && page.url.includes('/interaction/');
const labels = (page: Page) => [...page.body.matchAll(/<label for="field-[^"]+">([^<]+)/g)].map((m) => m[1]!.trim());

describe.each(STORES)('progressive profiling (%s)', (store) => {
  const fx = useMemberServer(store, { PROFILE_FIELDS_FILE: declaration });

  /** Signs up and verifies in one browser: the code signs the member in (their first sign-in), and the profile prompt follows. */
  async function newMember() {
    const email = uniqueEmail('profile');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { scope: 'openid profile' });
    const register = await followLink(ua, await openLoginPage(ua, request.url), '/register');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    return { email, ua, request, afterLogin: await ua.submit(verify, '/verify', { code: await fx.sink.waitForCode(email) }) };
  }

  async function signInAgain(email: string, params: Record<string, string> = {}, config = fx.config) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { scope: 'openid profile', ...params });
    return { ua, request, page: await signIn(ua, await openLoginPage(ua, request.url), email) };
  }

  async function userinfo(config: oidc.Configuration, callback: string, request: Awaited<ReturnType<typeof authorizationRequest>>) {
    const tokens = await exchange(config, callback, request);
    return oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  }

  test('at sign-up only the one sign-up field is asked; the answer becomes the given_name claim', async () => {
    const { ua, request, afterLogin } = await newMember();
    expect(isProfilePage(afterLogin)).toBe(true);
    expect(labels(afterLogin)).toEqual(['First name']);
    expect(afterLogin.body).not.toContain('/profile/skip"');
    const done = await ua.submit(afterLogin, '/profile', { given_name: '  Ada   María ' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await userinfo(fx.config, done.url, request)).toMatchObject({ given_name: 'Ada María' });
  });

  test('a required field cannot be left empty or skipped, and a bad value is explained', async () => {
    const { ua, afterLogin } = await newMember();
    const empty = await ua.submit(afterLogin, '/profile', { given_name: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('role="alert"');
    const digits = await ua.submit(afterLogin, '/profile', { given_name: '<script>1</script>' });
    expect(digits.status).toBe(400);
    expect(digits.body).not.toContain('<script>1');
    const uid = /\/interaction\/([^/"]+)\/profile/.exec(afterLogin.body)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(afterLogin.body)![1]!;
    const skipped = await ua.follow(`/interaction/${uid}/profile/skip`, { form: { csrf } });
    expect(skipped.status).toBe(400);
    expect(skipped.url.startsWith(REDIRECT_URI)).toBe(false);
  });

  test('after the second sign-in an optional field is asked; "Not now" skips it and it is not asked again soon', async () => {
    const { email, ua, afterLogin } = await newMember();
    await ua.submit(afterLogin, '/profile', { given_name: 'Grace' });
    const second = await signInAgain(email);
    expect(isProfilePage(second.page)).toBe(true);
    expect(labels(second.page)).toEqual(['Last name']);
    const skipped = await second.ua.submit(second.page, '/profile/skip');
    expect(skipped.url.startsWith(REDIRECT_URI)).toBe(true);
    const third = await signInAgain(email);
    expect(third.page.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('a client that requires a claim gets it asked (not skippable), validated, and released under its scope', async () => {
    const { email, ua, afterLogin } = await newMember();
    await ua.submit(afterLogin, '/profile', { given_name: 'Alan' });
    const client = await registerClient(fx.server, { first_party: true, scope: 'openid profile address', required_claims: ['address.postal_code'] } as Record<string, unknown>);
    const config = await discover(fx.server, client);
    const { ua: browser, request, page } = await signInAgain(email, { scope: 'openid address' }, config);
    expect(labels(page)).toContain('Postcode');
    expect(page.body).not.toContain('/profile/skip"');
    const bad = await browser.submit(page, '/profile', { 'address.postal_code': 'not a postcode!', family_name: '' });
    expect(bad.status).toBe(400);
    const done = await browser.submit(page, '/profile', { 'address.postal_code': 'sw1a 1aa', family_name: '' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await userinfo(config, done.url, request)).toMatchObject({ address: { postal_code: 'SW1A 1AA' } });
  });

  test('before redemption the birthdate is asked; impossible dates and under-13s are refused', async () => {
    const { email, ua, afterLogin } = await newMember();
    await ua.submit(afterLogin, '/profile', { given_name: 'Katherine' });
    const redeemer = await registerClient(fx.server, { first_party: true, scope: 'openid profile loyalty loyalty:redeem' });
    const config = await discover(fx.server, redeemer);
    const { ua: browser, page } = await signInAgain(email, { scope: 'openid loyalty:redeem' }, config);
    expect(labels(page)).toContain('Date of birth');
    for (const [value, message] of [['2001-02-30', 'real date'], ['31/12/1990', 'real date'], [new Date().toISOString().slice(0, 10), 'between 13 and 120']]) {
      const refused = await browser.submit(page, '/profile', { birthdate: value!, family_name: '' });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(message);
    }
    const done = await browser.submit(page, '/profile', { birthdate: '1990-12-31', family_name: '' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
  });
});
