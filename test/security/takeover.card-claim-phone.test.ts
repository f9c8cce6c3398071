// Threat: a way in through an old card. Claiming a card proves the claimer holds the card's contact, not that
// they are the account holder; if the card's mobile became the account's verified phone on a weak session, an
// intruder could import a card with their own mobile, claim it, then sign in and step up by SMS. The card's
// mobile is carried over only under the phone page's own rule (a recent strong sign-in); otherwise the result
// page offers to add it through the phone page, with that page's rule and code.
import { confirmItsYou, isSecurityPage, noticeOn, signedInMember } from '../support/account.ts';
import { importCard, isCardCodePage, submitCardCode, submitCardNumber } from '../support/card.ts';
import { UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { addPhoneOnAccount, requestSmsSignIn, uniquePhone } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const OFFERED = 'Card added. Its points are in your balance now. To get sign-in codes on the mobile number of the card, add it on the mobile phone page.';

describe.each(STORES)('claiming a card does not add a phone without a strong sign-in (%s)', (store) => {
  const fx = useMemberServer(store);
  const storage = () => fx.server.container.storage;

  /** Claims a phone-only card with the code texted to its mobile; returns the page the code led to. */
  async function claimPhoneCard(ua: UserAgent, phone: string, balance = 500): Promise<Page> {
    const card = await importCard(fx.server, { name: 'Pat Oldcard', phone, balance });
    const before = fx.sms.countFor(phone);
    const codePage = await submitCardNumber(ua, card.card_number);
    expect(isCardCodePage(codePage)).toBe(true);
    return submitCardCode(ua, codePage, await fx.sms.waitForCode(phone, { after: before }));
  }

  test('a one-factor session claims the card and its points, but the card\'s mobile is only offered', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'card-phone-weak');
    const intruderPhone = uniquePhone();
    const mails = fx.sink.countFor(email);
    const done = await claimPhoneCard(ua, intruderPhone);
    expect(isSecurityPage(done)).toBe(true);
    expect(noticeOn(done)).toBe(OFFERED);
    expect(done.body).toContain('href="/account/phone">Add the mobile number</a>');
    expect((await storage().accounts.findById(accountId))?.phone).toBeNull();
    expect(await storage().accounts.findByPhone(intruderPhone)).toBeUndefined();
    expect((await storage().loyalty.findMember(accountId))?.balance).toBe(500);
    expect((await fx.sink.waitForMessage(email, { after: mails })).text).not.toContain('verified phone');

    // The number is no way in: SMS sign-in texts it nothing.
    const texts = fx.sms.countFor(intruderPhone);
    await requestSmsSignIn(new UserAgent(fx.server.url), (await authorizationRequest(fx.config)).url, intruderPhone);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sms.countFor(intruderPhone)).toBe(texts);

    // The offer leads to the phone page, whose own rule holds: a recent strong sign-in first.
    const refused = await ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone: intruderPhone });
    expect(noticeOn(refused)).toBe('Confirm it is you first: that change needs a sign-in from the last five minutes.');
    expect(fx.sms.countFor(intruderPhone)).toBe(texts);
    expect((await storage().accounts.findById(accountId))?.phone).toBeNull();
  });

  test('after "Confirm it is you" the offered number is added through the phone page and its own code', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'card-phone-offer');
    const phone = uniquePhone();
    expect(noticeOn(await claimPhoneCard(ua, phone))).toBe(OFFERED);
    await confirmItsYou(ua, fx.sink, email);
    expect(noticeOn(await addPhoneOnAccount(ua, fx.sms, phone))).toBe('Mobile number added.');
    expect((await storage().accounts.findById(accountId))?.phone).toBe(phone);
  });

  test('with a recent strong sign-in the card\'s mobile is carried over at once, as adding a phone would allow', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'card-phone-strong');
    await confirmItsYou(ua, fx.sink, email);
    const phone = uniquePhone();
    const done = await claimPhoneCard(ua, phone);
    expect(noticeOn(done)).toBe('Card added. Its points are in your balance now.');
    expect(done.body).not.toContain('Add the mobile number');
    expect((await storage().accounts.findById(accountId))?.phone).toBe(phone);
  });
});
