// Changing the email from the account page (issue 17 item 6): after a recent two-factor sign-in, a code to the
// new address; then the account's email and email_verified change, partners see the new address in their next
// ID token and userinfo, redemptions freeze for a day, and the old address gets a "this was not me" link that
// restores it and ends every session (once, within 7 days; forged and replayed links change nothing). An address
// another member holds gets no code and the same answer, so the form reveals nobody.
import { ACR } from '../../config/assurance.ts';
import { checkRedemption } from '../../server/domain/loyalty/redemption-policy.ts';
import { accountCsrf, canChange, confirmedMember, isSecurityPage, noticeOn, openSecurityPage, signedInMember } from '../support/account.ts';
import { uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange, oidc, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

describe.each(STORES)('changing the email (%s)', (store) => {
  const fx = useMemberServer(store);

  async function requestChange(ua: UserAgent, page: Page, email: string): Promise<Page> {
    return ua.follow('/account/email', { form: { csrf: accountCsrf(page), email } });
  }

  /** The member's email changed through the pages: returns the old address's undo link. */
  async function changeEmail(ua: UserAgent, page: Page, oldEmail: string, newEmail: string): Promise<{ undoUrl: string; done: Page }> {
    const notices = fx.sink.countFor(oldEmail);
    const codePage = await requestChange(ua, page, newEmail);
    expect(codePage.url).toContain('/account/email/verify');
    const code = await fx.sink.waitForCode(newEmail);
    const done = await ua.follow('/account/email/verify', { form: { csrf: accountCsrf(codePage), code } });
    const notice = await fx.sink.waitForMessage(oldEmail, { after: notices });
    const undoUrl = /(http:\/\/\S+\/account\/email\/undo\?token=\S+)/.exec(notice.text)?.[1];
    if (!undoUrl) throw new Error(`no undo link in the notice:\n${notice.text}`);
    return { undoUrl, done };
  }

  /** Signs the browser in at the partner (single sign-on): its ID token claims and its userinfo. */
  async function partnerView(ua: UserAgent) {
    const request = await authorizationRequest(fx.config);
    const page = await ua.follow(request.url);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fx.config, page.url, request);
    const claims = tokens.claims()!;
    return { claims, userinfo: await oidc.fetchUserInfo(fx.config, tokens.access_token, claims.sub) };
  }

  test('a code to the new address changes the email; partners see it; redemptions freeze for a day', async () => {
    const { email, accountId, ua, page } = await confirmedMember(fx, 'email-change');
    expect((await partnerView(ua)).userinfo.email).toBe(email);
    const newEmail = uniqueEmail('email-new');
    const { done } = await changeEmail(ua, page, email, newEmail);
    expect(isSecurityPage(done)).toBe(true);
    expect(noticeOn(done)).toContain('Your email is changed');
    const account = (await fx.server.container.storage.accounts.findById(accountId))!;
    expect(account).toMatchObject({ email: newEmail, emailVerified: true });
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
    const { claims, userinfo } = await partnerView(ua);
    expect([claims.email, claims.email_verified]).toEqual([newEmail, true]);
    expect([userinfo.email, userinfo.email_verified]).toEqual([newEmail, true]);
    expect(checkRedemption(account, { acr: ACR.twoFactors, authTime: Math.floor(Date.now() / 1000) })).toMatchObject({ ok: false, reason: 'frozen' });
    const history = (await fx.server.container.audit.list({ accountId, types: ['email.changed'], limit: 5 })).events;
    expect(history.map((event) => event.reason)).toEqual(['email_changed']);
  });

  test('another member\'s address: the same answer, no code sent there, and no guess can take it', async () => {
    const owner = await signedInMember(fx, 'email-owner');
    const { email, accountId, ua, page } = await confirmedMember(fx, 'email-taker');
    const fresh = uniqueEmail('email-fresh');
    const toFresh = await requestChange(ua, page, fresh);
    const mailsToOwner = fx.sink.countFor(owner.email);
    const toTaken = await requestChange(ua, page, owner.email);
    await fx.server.container.deliveries.drain();
    expect([toTaken.status, toTaken.url]).toEqual([toFresh.status, toFresh.url]);
    expect(noticeOn(toTaken)?.replace(/\S+@example\.com/, 'X')).toBe(noticeOn(toFresh)?.replace(/\S+@example\.com/, 'X'));
    expect(fx.sink.countFor(owner.email)).toBe(mailsToOwner);
    for (const code of ['000000', '123456']) {
      const answer = await ua.follow('/account/email/verify', { form: { csrf: accountCsrf(toTaken), code } });
      expect(answer.status).toBe(400);
    }
    expect((await fx.server.container.storage.accounts.findById(accountId))?.email).toBe(email);
    expect((await fx.server.container.storage.accounts.findById(owner.accountId))?.email).toBe(owner.email);
  });

  test('without a recent two-factor sign-in the form and the change are refused and nothing is sent', async () => {
    const { email, accountId, ua } = await signedInMember(fx, 'email-weak');
    const page = await openSecurityPage(ua);
    expect(canChange(page)).toBe(false);
    expect(page.body).not.toContain('href="/account/email"');
    const form = await ua.request('/account/email');
    expect([form.status, form.headers.get('location')]).toEqual([303, '/account/security?notice=reauth_needed']);
    const target = uniqueEmail('email-weak-new');
    const post = await ua.request('/account/email', { form: { csrf: accountCsrf(page), email: target } });
    expect([post.status, post.headers.get('location')]).toEqual([303, '/account/security?notice=reauth_needed']);
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(target)).toBe(0);
    expect((await fx.server.container.storage.accounts.findById(accountId))?.email).toBe(email);
  });

  test('"this was not me": GET only asks, the POST restores the old address and ends every session, once', async () => {
    const { email, accountId, ua, page } = await confirmedMember(fx, 'email-undo');
    const newEmail = uniqueEmail('email-thief');
    const { undoUrl } = await changeEmail(ua, page, email, newEmail);
    const owner = new UserAgent(fx.server.url);
    const confirm = await owner.follow(undoUrl);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Restore my old email');
    expect((await fx.server.container.storage.accounts.findById(accountId))?.email).toBe(newEmail);
    const token = new URL(undoUrl).searchParams.get('token')!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm.body)![1]!;

    // A forged token (signature of another payload) and a missing CSRF token change nothing.
    const [payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), o: 'attacker@example.com' })).toString('base64url');
    expect((await owner.request(`/account/email/undo?token=${forgedPayload}.${signature}`)).status).toBe(400);
    expect((await owner.request('/account/email/undo', { form: { token: `${forgedPayload}.${signature}`, csrf } })).status).toBeGreaterThanOrEqual(400);
    expect((await owner.request('/account/email/undo', { form: { token } })).status).toBeGreaterThanOrEqual(400);
    expect((await fx.server.container.storage.accounts.findById(accountId))?.email).toBe(newEmail);

    const done = await owner.request('/account/email/undo', { form: { token, csrf } });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Reset your password now');
    const account = (await fx.server.container.storage.accounts.findById(accountId))!;
    expect(account.email).toBe(email);
    expect(await fx.server.container.storage.oidc.findByAccountId('Session', accountId)).toEqual([]);
    expect(isSecurityPage(await openSecurityPage(ua))).toBe(false);
    expect((await fx.server.container.audit.list({ accountId, types: ['email.changed'], limit: 5 })).events.map((event) => event.reason)).toEqual(['email_restored', 'email_changed']);

    // Replayed: refused with the clear page, nothing changes.
    const replay = await owner.request('/account/email/undo', { form: { token, csrf } });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This link cannot be used');
    expect((await owner.request(undoUrl)).status).toBe(400);
    // Expired after 7 days.
    expect(await fx.server.container.interactions.emailChange.readUndo(token, new Date(Date.now() + 8 * 86_400_000))).toBeUndefined();
  });
});
