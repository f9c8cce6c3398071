// Removing a linked account counts every way in: the password, each passkey, the emailed code of a verified email, and the other linked accounts.
import { randomUUID } from 'node:crypto';
import { accountCsrf, confirmedMember } from '../support/account.ts';
import { useFederation } from '../support/federation.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('the last way in, when removing a linked account (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;
  let partner: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google' });
    partner = await fx.connect({ name: 'Partner IdP' });
  });

  const storage = () => fx.server.container.storage;

  /**
   * A member who just confirmed it is them, with Google linked; then their other ways in are taken away in the
   * store as `keep` says (the session stays: what is counted is what the account has now).
   */
  async function memberWith(keep: { password?: boolean; verifiedEmail?: boolean; passkey?: boolean; otherLink?: boolean }) {
    const member = await confirmedMember(fx, 'ways');
    const sub = `g-${randomUUID()}`;
    await storage().federatedIdentities.link({ connectionId: google, subject: sub, accountId: member.accountId });
    if (keep.otherLink) await storage().federatedIdentities.link({ connectionId: partner, subject: `p-${randomUUID()}`, accountId: member.accountId });
    if (keep.passkey) {
      await storage().passkeys.create({
        id: randomUUID(), accountId: member.accountId, publicKey: 'pk', counter: 0, transports: ['internal'], deviceType: 'multiDevice', backedUp: true, name: 'Phone', createdAt: new Date(), lastUsedAt: null,
      });
    }
    await storage().accounts.update(member.accountId, { ...(keep.password ? {} : { passwordHash: null }), ...(keep.verifiedEmail ? {} : { emailVerified: false }) });
    const remove = () => member.ua.follow('/account/linked/remove', { form: { csrf: accountCsrf(member.page), connection: google, subject: sub } });
    return { ...member, sub, remove };
  }

  test('the linked account alone is the last way in: not removed', async () => {
    const member = await memberWith({});
    expect((await member.remove()).url).toContain('notice=last_way_in');
    expect(await storage().federatedIdentities.find(google, member.sub)).toMatchObject({ accountId: member.accountId });
  });

  test.each([
    ['a password', { password: true }],
    ['a passkey', { passkey: true }],
    ['a verified email (the emailed code sign-in)', { verifiedEmail: true }],
    ['another linked account', { otherLink: true }],
  ])('with %s left, the linked account is removed', async (_name, keep) => {
    const member = await memberWith(keep);
    expect((await member.remove()).url).toContain('notice=link_removed');
    expect(await storage().federatedIdentities.find(google, member.sub)).toBeUndefined();
  });
});
