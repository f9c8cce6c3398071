// What a claimed card carries into the account, through the real server: the card's name fills the profile
// names the member left empty (released under the profile scope), the mobile an SMS code went to becomes the
// account's verified phone (phone scope, account page) when the member's sign-in is as strong as adding a phone
// needs (see test/security/takeover.card-claim-phone.test.ts for the other case), and the claimed points count
// toward lifetime points and tier. Never over what the member entered, never a number another account holds.
import { confirmedMember, isSecurityPage, noticeOn, signedInMember } from '../support/account.ts';
import { importCard, isCardCodePage, submitCardCode, submitCardNumber } from '../support/card.ts';
import { uniqueEmail, type UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { uniquePhone } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { callMemberApi, memberApiResource, memberApiToken } from '../support/member-api.ts';

const CLAIMED = 'Card added. Its points are in your balance now.';

describe.each(STORES)('claiming a card carries its name and mobile into the account (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;
  const storage = () => fx.server.container.storage;

  beforeAll(async () => {
    app = await discover(fx.server, await registerClient(fx.server, { first_party: true, scope: 'openid email profile phone loyalty', allowed_resources: [memberApiResource(fx.server)] }));
  });

  /** What the member's app sees: userinfo for profile, phone and loyalty, and the member API. */
  async function appView(ua: UserAgent) {
    const request = await authorizationRequest(app, { scope: 'openid profile phone loyalty' });
    const done = await ua.follow(request.url);
    if (!done.url.startsWith(REDIRECT_URI)) throw new Error(`no single sign-on to the app: ${done.status} ${done.url}`);
    const tokens = await exchange(app, done.url, request);
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);
    // The member API takes its own token (resource indicator), not the userinfo one.
    const me = (await (await callMemberApi(fx.server, await memberApiToken(fx.server, app, ua))).json()) as Record<string, unknown>;
    return { userinfo, me };
  }

  /** Claims `card` for the member whose agent is `ua`, with the code from the card's phone (SMS) or email. */
  async function claimByCode(ua: UserAgent, card: { card_number: string; phone?: string | null; email?: string | null }) {
    const codePage = await submitCardNumber(ua, card.card_number);
    expect(isCardCodePage(codePage)).toBe(true);
    const code = card.email ? await fx.sink.waitForCode(card.email) : /^(\d{6}) /.exec((await fx.sms.waitForMessage(card.phone!)).text)![1]!;
    const done = await submitCardCode(ua, codePage, code);
    expect([isSecurityPage(done), noticeOn(done)]).toEqual([true, CLAIMED]);
    return done;
  }

  test('by SMS: the name fills the profile, the mobile becomes the verified phone, and the points count toward the tier', async () => {
    const phone = uniquePhone();
    const card = await importCard(fx.server, { name: 'Ana García Márquez', phone, balance: 1200 });
    const { ua, email, accountId } = await confirmedMember(fx, 'carry-sms');
    const notices = fx.sink.countFor(email);
    const done = await claimByCode(ua, card);
    expect(done.body).toContain('can receive sign-in codes by text message.');

    expect(await storage().accounts.findById(accountId)).toMatchObject({ phone });
    const { userinfo, me } = await appView(ua);
    expect(userinfo).toMatchObject({ given_name: 'Ana', family_name: 'García Márquez', phone_number: phone, phone_number_verified: true, tier: 'silver', points_balance: 1200 });
    // A business decision: points carried over from the old program were earned there, so they count as lifetime points.
    expect(me).toMatchObject({ points_balance: 1200, lifetime_points: 1200, tier: 'silver' });
    const notice = await fx.sink.waitForMessage(email, { after: notices });
    expect(notice.text).toContain('is now your account\'s verified phone');
  });

  test('by email: the name fills only what the member left empty, and the card\'s mobile is not taken', async () => {
    const cardEmail = uniqueEmail('carry-email-card');
    const phone = uniquePhone();
    const card = await importCard(fx.server, { name: 'Smith, Anne', email: cardEmail, phone, balance: 10 });
    const { ua, accountId } = await signedInMember(fx, 'carry-email');
    // As the profile page would have saved it.
    await storage().profiles.update(accountId, { values: { given_name: 'Annie' } }, new Date());
    await claimByCode(ua, card);
    expect((await storage().accounts.findById(accountId))?.phone).toBeNull();
    expect(await storage().accounts.findByPhone(phone)).toBeUndefined();
    const { userinfo } = await appView(ua);
    expect(userinfo).toMatchObject({ given_name: 'Annie', family_name: 'Smith' });
    expect(userinfo.phone_number).toBeUndefined();
  });

  test('a mobile another account holds is skipped without a word; one the member has already is kept', async () => {
    const taken = uniquePhone();
    const holder = await signedInMember(fx, 'carry-holder');
    await storage().accounts.setPhone(holder.accountId, taken);
    const card = await importCard(fx.server, { name: 'Prince', phone: taken, balance: 30 });
    const { ua, accountId } = await confirmedMember(fx, 'carry-taken');
    const done = await claimByCode(ua, card);
    expect(done.body).not.toContain('can receive sign-in codes by text message.');
    expect((await storage().accounts.findById(accountId))?.phone).toBeNull();
    expect((await storage().accounts.findById(holder.accountId))?.phone).toBe(taken);
    expect((await storage().loyalty.findMember(accountId))?.balance).toBe(30);
    expect((await appView(ua)).userinfo).toMatchObject({ given_name: 'Prince' });
    expect((await appView(ua)).userinfo.family_name).toBeUndefined();

    const own = uniquePhone();
    const member = await signedInMember(fx, 'carry-own');
    await storage().accounts.setPhone(member.accountId, own);
    await claimByCode(member.ua, await importCard(fx.server, { phone: uniquePhone(), balance: 1 }));
    expect((await storage().accounts.findById(member.accountId))?.phone).toBe(own);
  });
});
