// "Link another" threats: an upstream identity linked to another member is never moved, and a link's answer delivered to another member's session links nothing.
import { randomUUID } from 'node:crypto';
import { accountCsrf, confirmedMember, noticeOn, openSecurityPage } from '../support/account.ts';
import { atUpstream, useFederation } from '../support/federation.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('linking from the account page: threats (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google', trusted_email: true });
  });

  const storage = () => fx.server.container.storage;

  async function startLink(member: Awaited<ReturnType<typeof confirmedMember>>, sub: string): Promise<string> {
    const page = await openSecurityPage(member.ua);
    const sent = await member.ua.follow('/account/linked/start', { form: { csrf: accountCsrf(page), connection: google } });
    return (await atUpstream(fx, sent.url, sub)).callbackUrl;
  }

  test('an upstream identity already linked to another member is refused with a clear message, never moved', async () => {
    const owner = await confirmedMember(fx, 'owner');
    const other = await confirmedMember(fx, 'other');
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, {});
    expect(noticeOn(await owner.ua.follow(await startLink(owner, sub)))).toContain('The account was linked');
    const refused = await other.ua.follow(await startLink(other, sub));
    expect(noticeOn(refused)).toContain('already linked to another membership');
    expect(await storage().federatedIdentities.find(google, sub)).toMatchObject({ accountId: owner.accountId });
    expect(await storage().federatedIdentities.listByAccount(other.accountId)).toEqual([]);
  });

  test('a link answer delivered to another member\'s browser links nothing to either, and is spent', async () => {
    const starter = await confirmedMember(fx, 'starter');
    const victim = await confirmedMember(fx, 'victim');
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, {});
    // The attacker's own link answer, handed to the victim's browser (login CSRF at the account page).
    const callbackUrl = await startLink(starter, sub);
    const page = await victim.ua.follow(callbackUrl);
    expect(noticeOn(page)).toContain('couldn&#39;t link the account');
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();
    // Spent: the starter's own browser cannot use it afterwards either.
    expect((await starter.ua.follow(callbackUrl)).status).toBe(400);
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();
  });
});
