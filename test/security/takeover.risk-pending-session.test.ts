// Threat: a thief with the password alone. A right password on a new device stops at "Confirm it is you", but
// the session already names the account (at the internal risk-pending level). Until the second factor is
// proven that session is signed out everywhere: no account page shows the email, phone, member number or
// balance, no account POST works (not even "sign out everywhere else"), and no token is minted for it.
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { RISK_PENDING_ACR } from '../../config/assurance.ts';
import { GEO_IPS } from '../support/geo-ips.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, member, PASSWORD } from '../support/attack.ts';
import { isStepUpPage, stepUpWithEmailCode } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { accountCsrf, isSecurityPage, openSecurityPage } from '../support/account.ts';
import { memberApiResource } from '../support/member-api.ts';
import { uniquePhone } from '../support/phone.ts';
import type { Page } from '../support/user-agent.ts';

const ACCOUNT_PAGES = ['/account/security', '/account/phone', '/account/phone/verify', '/account/card', '/account/card/verify', '/account/coupon', '/account/app', '/account/password'];
const ACCOUNT_POSTS = ['/account/sessions/end-others', '/account/phone', '/account/card', '/account/coupon', '/account/app/remove', '/account/password'];

describe.each(STORES)('a session that still owes its second factor is signed out (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', RISK_NEW_DEVICE_STEP_UP: 'true' });

  /** A member with a phone and points, signed in on their own device (whose session must survive). */
  async function victim(prefix: string) {
    const { email, ua } = await member(fx, prefix, GEO_IPS.GB);
    const { storage, loyalty } = fx.server.container;
    const accountId = (await storage.accounts.findByEmail(email))!.id;
    const phone = uniquePhone();
    await storage.accounts.setPhone(accountId, phone);
    await loyalty.earn({ accountId, points: 4321, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
    const { memberNumber } = await loyalty.ensureMember(accountId);
    return { email, ua, accountId, phone, memberNumber };
  }

  /** Nothing that identifies the member: not the email, the phone (even its last digits), the member number or the balance. */
  function revealsNothing(page: Page, who: Awaited<ReturnType<typeof victim>>): void {
    expect(page.body).not.toContain(who.email);
    expect(page.body).not.toContain(who.phone.slice(-6));
    expect(page.body).not.toContain(who.memberNumber);
    expect(page.body).not.toMatch(/4,?321/);
  }

  test('every account page sends the thief to sign in, which is the same "Confirm it is you" step', async () => {
    const who = await victim('pending-pages');
    const thief = browserFrom(fx, GEO_IPS.GB);
    const stepUp = await attempt(fx, thief, who.email, PASSWORD);
    expect(isStepUpPage(stepUp)).toBe(true);
    for (const path of ACCOUNT_PAGES) {
      const answer = await thief.request(path);
      expect([path, answer.status, answer.headers.get('location')]).toEqual([path, 303, '/account/sign-in']);
      revealsNothing(answer, who);
    }
    // Signing in from there resumes the step-up the password left owing, not the account page.
    const resumed = await openSecurityPage(thief);
    expect(isSecurityPage(resumed)).toBe(false);
    expect(isStepUpPage(resumed)).toBe(true);
    revealsNothing(resumed, who);
  });

  test('no account POST works: "sign out everywhere else" leaves the owner signed in', async () => {
    const who = await victim('pending-posts');
    // The owner's own session, on their device (a known device: no step-up).
    const owner = who.ua;
    const ownerDone = await attempt(fx, owner, who.email, PASSWORD);
    expect(ownerDone.url.startsWith(REDIRECT_URI)).toBe(true);
    const ownerPage = await openSecurityPage(owner);
    expect(isSecurityPage(ownerPage)).toBe(true);

    const thief = browserFrom(fx, GEO_IPS.GB);
    expect(isStepUpPage(await attempt(fx, thief, who.email, PASSWORD))).toBe(true);
    // A CSRF token is bound to a session id, and the thief cannot read one; even with the owner's, nothing happens.
    for (const path of ACCOUNT_POSTS) {
      const answer = await thief.request(path, { form: { csrf: accountCsrf(ownerPage), phone: uniquePhone(), card_number: '001122334455', code: 'WELCOME', password: 'a new password for me' } });
      expect([path, answer.status, answer.headers.get('location')]).toEqual([path, 303, '/account/security']);
      revealsNothing(answer, who);
    }
    expect(isSecurityPage(await openSecurityPage(owner))).toBe(true);
    expect((await fx.server.container.storage.accounts.findById(who.accountId))?.phone).toBe(who.phone);
  });

  test('no code or token is issued for the pending session, not even silently (prompt=none)', async () => {
    const who = await victim('pending-tokens');
    const thief = browserFrom(fx, GEO_IPS.GB);
    expect(isStepUpPage(await attempt(fx, thief, who.email, PASSWORD))).toBe(true);
    const silent = await thief.follow((await authorizationRequest(fx.config, { prompt: 'none' })).url);
    const callback = new URL(silent.url);
    expect(callback.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('error')).toBe('interaction_required');
    // Nor is a grant made for it (a first-party client's grant, and with it a partner link, is made on authorization).
    // (The member's own sign-up signed them in to the account pages: only grants of the client count here.)
    const grants = await fx.server.container.storage.oidc.findByAccountId('Grant', who.accountId);
    expect(grants.filter((grant) => grant.payload.clientId === fx.client.clientId)).toEqual([]);
    // Once the factor is proven the same browser is signed in as usual.
    const stepUp = await thief.follow((await authorizationRequest(fx.config)).url);
    expect(isStepUpPage(stepUp)).toBe(true);
    const emailStep = await thief.submit(stepUp, '/mfa/method', { method: 'email' });
    const done = await stepUpWithEmailCode(thief, emailStep, fx.sink, who.email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(isSecurityPage(await openSecurityPage(thief))).toBe(true);
  });

  test('the member API refuses a token whose acr is not a signed-in level of ours (defence in depth)', async () => {
    const who = await victim('pending-api');
    const { provider } = fx.server.container;
    const grant = new provider.Grant({ accountId: who.accountId, clientId: fx.client.clientId });
    grant.addOIDCScope('openid loyalty');
    const grantId = await grant.save();
    // What the token says about the sign-in is written at issue from the code's session (extraTokenClaims).
    // A token carrying the acr under test is signed here with the server's own signing key, for the member
    // API's audience, as a flawed issuer might mint it: only its acr is wrong.
    const snapshot = fx.server.container.signingKeys.snapshot();
    const jwk = snapshot.keys.find((key) => key.kid === snapshot.signing.RS256)!;
    const key = await importJWK(jwk as Parameters<typeof importJWK>[0], 'RS256');
    const me = async (acr: string | undefined) => {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ client_id: fx.client.clientId, grant_id: grantId, scope: 'openid loyalty', ...(acr ? { acr, amr: ['pwd'], auth_time: now } : {}) })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'at+jwt' })
        .setIssuer(fx.server.url).setAudience(memberApiResource(fx.server)).setSubject(who.accountId)
        .setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
        .sign(key);
      return fetch(new URL('/api/v1/me', fx.server.url), { headers: { authorization: `Bearer ${token}` } });
    };
    for (const acr of [RISK_PENDING_ACR, undefined, 'urn:somebody-else:loa:3']) {
      const refused = await me(acr);
      expect([acr, refused.status]).toEqual([acr, 401]);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await refused.text()).not.toContain(who.memberNumber);
    }
    const allowed = await me('urn:loyalty:loa:1');
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ member_number: who.memberNumber, points_balance: 4321 });
  });
});
