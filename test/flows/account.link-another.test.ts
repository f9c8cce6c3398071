// "Link another" on the account page: after a recent strong sign-in the member goes to an upstream and comes back with it linked; without one, nothing starts.
import { randomUUID } from 'node:crypto';
import { accountCsrf, confirmedMember, noticeOn, openSecurityPage, signedInMember } from '../support/account.ts';
import { atUpstream, backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';
import type { UserAgent } from '../support/member.ts';

describe.each(STORES)('linking another account from the account page (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google', trusted_email: false, claim_mapping: { given_name: 'given_name' } });
  });

  const storage = () => fx.server.container.storage;

  /** From the security page: "Link Google", the member signs in at the upstream as `sub`, back at the account page. */
  async function linkFrom(ua: UserAgent, page: Page, sub: string, options: { cancel?: boolean } = {}): Promise<Page> {
    const sent = await ua.follow('/account/linked/start', { form: { csrf: accountCsrf(page), connection: google } });
    expect(sent.url.startsWith(fx.upstream.issuer)).toBe(true);
    const { callbackUrl } = await atUpstream(fx, sent.url, sub, options);
    return ua.follow(callbackUrl);
  }

  test('after a recent strong sign-in the page offers "Link Google"; the round trip links the upstream identity to the member, whatever its email', async () => {
    const member = await confirmedMember(fx, 'link');
    const page = await openSecurityPage(member.ua);
    expect(page.body).toContain('Link Google');
    const sub = `g-${randomUUID()}`;
    // Another address, unverified: the member proved this account; the upstream only proves its own subject.
    fx.accounts.set(sub, { email: `other.${randomUUID()}@example.com`, email_verified: false, given_name: 'Ana' });
    const back = await linkFrom(member.ua, page, sub);
    expect(noticeOn(back)).toContain('The account was linked');
    expect(await storage().federatedIdentities.find(google, sub)).toMatchObject({ accountId: member.accountId });
    expect(back.body).toContain('Remove Google');
    // And it is a way in: signing in with Google is this member now.
    const trip = await throughUpstream(fx, google, sub);
    expect((await backAtUs(trip)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });

  test('without a recent strong sign-in there is no button, and a forged start sends no one to the upstream', async () => {
    const member = await signedInMember(fx, 'weak');
    const page = await openSecurityPage(member.ua);
    expect(page.body).not.toContain('Link Google');
    const refused = await member.ua.follow('/account/linked/start', { form: { csrf: accountCsrf(page), connection: google } });
    expect(refused.url).toContain('/account/security');
    expect(refused.url.startsWith(fx.upstream.issuer)).toBe(false);
  });

  test('a cancel at the upstream comes back to the account page with a plain message and links nothing', async () => {
    const member = await confirmedMember(fx, 'cancel');
    const page = await openSecurityPage(member.ua);
    const sub = `g-${randomUUID()}`;
    const back = await linkFrom(member.ua, page, sub, { cancel: true });
    expect(noticeOn(back)).toContain('You cancelled linking the account');
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();
  });

  test('linking what is already linked to this member says so', async () => {
    const member = await confirmedMember(fx, 'twice');
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, {});
    await linkFrom(member.ua, await openSecurityPage(member.ua), sub);
    const again = await linkFrom(member.ua, await openSecurityPage(member.ua), sub);
    expect(noticeOn(again)).toContain('already linked to yours');
  });
});
