// Claiming a card from the old program, happy paths: the operator imports the old members, a member enters
// their card number on the account page, the code goes to the card's email (or by SMS to its phone), and the
// card's points land in the member's balance: on the page, in userinfo (scope loyalty) and in /api/v1/me.
import { canChange, isSecurityPage, isSignInPage, noticeOn, signedInMember } from '../support/account.ts';
import { importCard, importMembers, isCardCodePage, pointsOn, submitCardCode, submitCardNumber, typedAsPrinted, uniqueCardNumber } from '../support/card.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { uniquePhone } from '../support/phone.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { callMemberApi, memberApiResource, memberApiToken } from '../support/member-api.ts';
import type { Page } from '../support/user-agent.ts';

const SENT = 'If this card is in our records and not yet claimed, we sent a 6-digit code to the email address or mobile number we have for it. It expires in 10 minutes.';
const CLAIMED = 'Card added. Its points are in your balance now.';

/** The loyalty status a member's app sees: userinfo with scope loyalty, and the member API. */
async function loyaltyStatus(fx: MemberServer, app: oidc.Configuration, ua: UserAgent) {
  const request = await authorizationRequest(app, { scope: 'openid loyalty' });
  const done = await ua.follow(request.url);
  if (!done.url.startsWith(REDIRECT_URI)) throw new Error(`no single sign-on to the app: ${done.status} ${done.url}\n${done.body.slice(0, 800)}`);
  const tokens = await exchange(app, done.url, request);
  const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);
  // The member API takes its own token (resource indicator), not the userinfo one.
  const apiToken = await memberApiToken(fx.server, app, ua);
  const api = async (path: string) => (await callMemberApi(fx.server, apiToken, path)).json();
  return {
    userinfo,
    me: (await api('/api/v1/me')) as { points_balance: number; member_number: string; lifetime_points: number },
    points: (await api('/api/v1/me/points')) as { entries: Array<{ kind: string; points: number; reason: string }> },
  };
}

describe.each(STORES)('claiming a card from the old program (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;

  beforeAll(async () => {
    app = await discover(fx.server, await registerClient(fx.server, { first_party: true, scope: 'openid email loyalty', allowed_resources: [memberApiResource(fx.server)] }));
  });

  // Every SMS webhook call carried a signature the provider accepted.
  afterEach(() => expect(fx.sms.rejections).toEqual([]));

  test('by a code to the card\'s email: the points reach the page, userinfo and /api/v1/me, and the member is told by email', async () => {
    const oldEmail = uniqueEmail('old-card');
    // With both contacts on file the code goes by email (free, and no SMS to pump).
    const phone = uniquePhone();
    const card = await importCard(fx.server, { email: oldEmail, phone, balance: 1234 });
    const { ua, email, accountId } = await signedInMember(fx, 'card-email');

    const before = await ua.follow('/account/security');
    expect(before.body).toContain('Loyalty card');
    expect(pointsOn(before)).toBe(0);
    expect(before.body).toContain('href="/account/card"');
    expect(canChange(before)).toBe(false);

    const codePage = await submitCardNumber(ua, typedAsPrinted(card.card_number));
    expect(isCardCodePage(codePage)).toBe(true);
    expect(noticeOn(codePage)).toBe(SENT);
    // Nothing on the page says where the code went.
    expect(codePage.body).not.toContain(oldEmail.slice(1));
    expect(codePage.body).not.toContain('***');

    const codeMail = await fx.sink.waitForMessage(oldEmail);
    expect(codeMail.text).toContain(`loyalty card ending ${card.card_number.slice(-4)}`);
    const code = await fx.sink.waitForCode(oldEmail);
    const notices = fx.sink.countFor(email);
    const done = await submitCardCode(ua, codePage, code);
    expect(isSecurityPage(done)).toBe(true);
    expect(done.url).toContain('notice=card_claimed');
    expect(noticeOn(done)).toBe(CLAIMED);
    expect(pointsOn(done)).toBe(1234);
    expect(fx.sms.countFor(phone)).toBe(0);

    const notice = await fx.sink.waitForMessage(email, { after: notices });
    expect(notice.text).toContain(`The loyalty card ending ${card.card_number.slice(-4)} from our old program was added to your account, with its 1,234 points.`);

    const status = await loyaltyStatus(fx, app, ua);
    expect(status.userinfo.points_balance).toBe(1234);
    expect(status.me.points_balance).toBe(1234);
    expect(status.points.entries).toEqual([expect.objectContaining({ kind: 'adjust', points: 1234, reason: `claimed card ending ${card.card_number.slice(-4)} from the old program` })]);
    // Merged: the record names its account, and no second member or account came of it.
    expect(await fx.server.container.storage.importedMembers.find(card.card_number)).toMatchObject({ claimedBy: accountId, balance: 1234 });
    expect(await fx.server.container.storage.loyalty.sumEntries(accountId)).toBe(1234);
  });

  test('by an SMS code when the card has only a mobile number on file', async () => {
    const phone = uniquePhone();
    const card = await importCard(fx.server, { phone, balance: 250 });
    const { ua } = await signedInMember(fx, 'card-sms');

    const codePage = await submitCardNumber(ua, card.card_number);
    expect(isCardCodePage(codePage)).toBe(true);
    const sms = await fx.sms.waitForMessage(phone);
    expect(sms.text).toContain('your code to add your loyalty card');
    const code = /^(\d{6}) /.exec(sms.text)![1]!;
    expect(sms.text.split('\n').at(-1)).toBe(`@${new URL(fx.server.url).host} #${code}`);

    const done = await submitCardCode(ua, codePage, code);
    // A one-factor session: the card's mobile is offered for the phone page, not set (see takeover.card-claim-phone).
    expect(noticeOn(done)).toBe(`${CLAIMED} To get sign-in codes on the mobile number of the card, add it on the mobile phone page.`);
    expect(pointsOn(done)).toBe(250);
    const status = await loyaltyStatus(fx, app, ua);
    expect(status.userinfo.points_balance).toBe(250);
    expect(status.me.points_balance).toBe(250);
  });

  test('a new member claims right after sign-up, by signing in to the account pages', async () => {
    const oldEmail = uniqueEmail('old-new');
    const card = await importCard(fx.server, { email: oldEmail, balance: 40 });
    const email = uniqueEmail('card-new');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    // Straight from the sign-up to the card page: it asks for a sign-in first, then the form is there.
    const signInPage: Page = await ua.follow('/account/card');
    expect(isSignInPage(signInPage)).toBe(true);
    const security = await signIn(ua, signInPage, email);
    expect(isSecurityPage(security)).toBe(true);

    const codePage = await submitCardNumber(ua, card.card_number);
    const done = await submitCardCode(ua, codePage, await fx.sink.waitForCode(oldEmail));
    expect(noticeOn(done)).toBe(CLAIMED);
    expect(pointsOn(done)).toBe(40);
  });

  test('a card with no points is claimed too, and the member\'s own points stay', async () => {
    const oldEmail = uniqueEmail('old-zero');
    const card = await importCard(fx.server, { email: oldEmail, balance: 0 });
    const { ua, accountId } = await signedInMember(fx, 'card-zero');
    await fx.server.container.loyalty.earn({ accountId, points: 70, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${accountId}` });

    const codePage = await submitCardNumber(ua, card.card_number);
    const done = await submitCardCode(ua, codePage, await fx.sink.waitForCode(oldEmail));
    expect(noticeOn(done)).toBe(CLAIMED);
    expect(pointsOn(done)).toBe(70);
    expect(await fx.server.container.storage.importedMembers.find(card.card_number)).toMatchObject({ claimedBy: accountId });
  });

  test('the admin import answers counts: new cards inserted, unclaimed ones updated, claimed ones left alone and named', async () => {
    const oldEmail = uniqueEmail('old-reimport');
    const claimedCard = await importCard(fx.server, { email: oldEmail, balance: 500 });
    const { ua } = await signedInMember(fx, 'card-reimport');
    await submitCardCode(ua, await submitCardNumber(ua, claimedCard.card_number), await fx.sink.waitForCode(oldEmail));

    const unclaimed = await importCard(fx.server, { email: uniqueEmail('old-unclaimed'), balance: 10 });
    const fresh = uniqueCardNumber();
    const reply = await importMembers(fx.server, [
      { ...claimedCard, balance: 999_999 },
      { ...unclaimed, name: 'Pat Renamed', balance: 11 },
      // As old exports have them: the number as printed, padded names, mixed-case emails, phones with spaces.
      { card_number: typedAsPrinted(fresh), name: ' Sam New ', email: 'Sam.New@Example.COM', phone: '+44 7911 123456', balance: 3 },
    ]);
    expect(reply).toEqual({
      status: 200,
      body: { received: 3, inserted: 1, updated: 1, claimed: [{ index: 0, card_number: claimedCard.card_number }], rejected: 0, errors: [] },
    });
    const storage = fx.server.container.storage.importedMembers;
    expect(await storage.find(claimedCard.card_number)).toMatchObject({ balance: 500, name: claimedCard.name });
    expect(await storage.find(unclaimed.card_number)).toMatchObject({ balance: 11, name: 'Pat Renamed', claimedBy: null });
    expect(await storage.find(fresh)).toMatchObject({ name: 'Sam New', email: 'sam.new@example.com', phone: '+447911123456', balance: 3, claimedBy: null });
  });
});
