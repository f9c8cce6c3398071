// Linked accounts on the account-security page: listed, removed after a recent strong sign-in, never the last way in.
import { randomUUID } from 'node:crypto';
import { accountCsrf, confirmItsYou, noticeOn } from '../support/account.ts';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('linked accounts on the account page (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google', trusted_email: true });
  });

  const storage = () => fx.server.container.storage;

  /** A member with a password who linked Google (proving the account, then "Link"), and their browser. */
  async function linkedMember(): Promise<{ email: string; id: string; sub: string; ua: UserAgent }> {
    const email = uniqueEmail('linked');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email, PASSWORD);
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email, email_verified: true });
    const trip = await throughUpstream(fx, google, sub, { ua });
    const linkPage = await ua.submit(await backAtUs(trip), '/login', { email, password: PASSWORD });
    await ua.submit(linkPage, '/connections/link', { decision: 'link' });
    const id = (await storage().accounts.findByEmail(email))!.id;
    expect(await storage().federatedIdentities.find(google, sub)).toMatchObject({ accountId: id });
    return { email, id, sub, ua };
  }

  test('the page lists the linked account; removing it needs a recent strong sign-in, then it is gone', async () => {
    const member = await linkedMember();
    const page = await confirmItsYou(member.ua, fx.sink, member.email);
    expect(page.body).toContain('Linked accounts');
    expect(page.body).toContain('Remove Google');
    const removed = await member.ua.follow('/account/linked/remove', { form: { csrf: accountCsrf(page), connection: google, subject: member.sub } });
    expect(noticeOn(removed)).toContain('The linked account was removed');
    expect(await storage().federatedIdentities.listByAccount(member.id)).toEqual([]);
    expect(removed.body).toContain('No accounts from other services are linked.');
  });

  test('without a recent strong sign-in the link stays', async () => {
    const member = await linkedMember();
    const page = await member.ua.follow('/account/security');
    // A one-factor session: the page offers no Remove button, and a forged post is refused.
    expect(page.body).toContain('Google');
    expect(page.body).not.toContain('Remove Google');
    const refused = await member.ua.follow('/account/linked/remove', { form: { csrf: accountCsrf(page), connection: google, subject: member.sub } });
    expect(refused.url).toContain('/account/security');
    expect(await storage().federatedIdentities.find(google, member.sub)).toBeDefined();
  });

  test('the last way in cannot be removed', async () => {
    const member = await linkedMember();
    const page = await confirmItsYou(member.ua, fx.sink, member.email);
    // Now a member whose only way in is the linked account: no password, and no verified email for the emailed
    // code sign-in (which counts as a way in since the "last way in" rule counts them all).
    await storage().accounts.update(member.id, { passwordHash: null, emailVerified: false });
    const refused = await member.ua.follow('/account/linked/remove', { form: { csrf: accountCsrf(page), connection: google, subject: member.sub } });
    expect(refused.url).toContain('notice=last_way_in');
    expect(await storage().federatedIdentities.find(google, member.sub)).toMatchObject({ accountId: member.id });
  });
});
