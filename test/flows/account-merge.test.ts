// "Merge another account" on the account page (issue 21 item 1): the member proves their other account (its password,
// or a code to its verified contact), sees what will move, confirms with a recent strong sign-in of this account, and
// the other account's points and sessions are dealt with. The page tells nothing about accounts the member did not
// prove: an unknown name, a wrong password and an erased account answer alike; a code is single use; tries are limited.
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { accountCsrf, addPasskeyOnAccount, confirmItsYou, confirmedMember, isSecurityPage, isSignInPage, postAccountJson, signedInMember } from '../support/account.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { uniquePhone } from '../support/phone.ts';
import { PASSWORD, type UserAgent, uniqueEmail } from '../support/member.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const NOT_PROVED = 'We could not confirm that account. Check what you entered, or get a code instead.';
const CODE_SENT = 'If the other account has a verified email address or mobile number, we sent a 6-digit code to it. Enter it here.';

/** The page's one error message (the summary repeats it), or undefined. */
function errorOn(page: Page): string | undefined {
  return /class="field-error" id="[^"]+"><span class="visually-hidden">[^<]*<\/span>([^<]+)<\/p>/.exec(page.body)?.[1]?.replace(/&#39;/g, '\'');
}

/** The page without what differs per request (the CSRF token, the echoed name): what an attacker could compare. */
function comparable(page: Page, typed: string): string {
  return page.body.replace(/name="csrf" value="[^"]*"/g, '').replaceAll(typed, '').replace(/nonce="[^"]*"/g, '');
}

async function otherAccount(fx: MemberServer, prefix: string, points: number) {
  const other = await signedInMember(fx, prefix);
  if (points > 0) {
    await fx.server.container.loyalty.ensureMember(other.accountId);
    const posted = await fx.server.container.loyalty.adjust({ accountId: other.accountId, points, partnerId: null, reason: 'test balance', idempotencyKey: `test:${other.accountId}` });
    expect(posted.ok).toBe(true);
  }
  return other;
}

function tryPassword(ua: UserAgent, form: Page, account: string, password: string): Promise<Page> {
  return ua.submit(form, '/account/merge', { account, password, method: 'password' });
}

describe.each(STORES)('merging another account from the account page (%s)', (store) => {
  // Passkeys need a host name (not an IP) for their relying party id.
  const fx = useMemberServer(store, {}, { publicHost: 'localhost' });

  test('proved by its password and confirmed: its points move, it is signed out, and the proof merges once', async () => {
    const member = await confirmedMember(fx, 'merge-pw');
    const other = await otherAccount(fx, 'merge-pw-other', 300);
    expect(member.page.body).toContain('href="/account/merge"');

    const form = await member.ua.follow('/account/merge');
    expect(form.status).toBe(200);
    const review = await tryPassword(member.ua, form, other.email, PASSWORD);
    expect(review.url).toContain('/account/merge/review');
    expect(review.body).toContain(`The account ${other.email} will be merged into this account (${member.email}).`);
    expect(review.body).toContain('300 points move to this account. Your balance will be 300 points.');

    const done = await member.ua.submit(review, '/account/merge/confirm');
    expect(done.status).toBe(200);
    expect(done.body).toContain('Accounts merged');
    expect(done.body).toContain('300 points were moved. Your balance is now 300 points.');
    const { storage } = fx.server.container;
    expect((await storage.loyalty.findMember(member.accountId))?.balance).toBe(300);
    expect(await storage.loyalty.sumEntries(member.accountId)).toBe(300);
    expect(await storage.loyalty.sumEntries(other.accountId)).toBe(0);
    // The other account's browser is signed out.
    expect(isSignInPage(await other.ua.follow('/account/security'))).toBe(true);

    // The same confirmation again (a replayed form): no proof is left, nothing merges twice.
    const replay = await member.ua.submit(review, '/account/merge/confirm');
    expect(replay.url).toContain('/account/merge');
    expect(errorOn(replay)).toBe('Your check of the other account has expired. Prove again that it is yours.');
    expect(await storage.loyalty.sumEntries(member.accountId)).toBe(300);
  });

  test('proved by a code to its email; confirming needs a recent strong sign-in of this account first', async () => {
    const member = await signedInMember(fx, 'merge-code');
    const other = await otherAccount(fx, 'merge-code-other', 40);
    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(other.email);

    const form = await member.ua.follow('/account/merge');
    const codePage = await member.ua.submit(form, '/account/merge', { account: `  ${other.email.toUpperCase()} `, method: 'code' });
    expect(codePage.url).toContain('/account/merge/code');
    expect(codePage.body).toContain(CODE_SENT);
    expect(codePage.body).not.toContain(other.email);
    const code = await fx.sink.waitForCode(other.email, { after: before });
    expect((await fx.sink.waitForMessage(other.email, { after: before })).raw).toContain('Subject: Your code to merge your accounts');

    const wrong = await member.ua.submit(codePage, '/account/merge/code', { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(errorOn(wrong)).toBe('That code is not right. Check it and try again.');
    const review = await member.ua.submit(codePage, '/account/merge/code', { code });
    expect(review.url).toContain('/account/merge/review');
    // A one-factor session sees what will move, but must confirm it is them before merging.
    expect(review.body).toContain('40 points move to this account.');
    expect(review.body).not.toContain('action="/account/merge/confirm"');
    expect(review.body).toContain('href="/account/sign-in?reauth=1"');
    // The code is spent: entering it again proves nothing.
    const replayed = await member.ua.submit(codePage, '/account/merge/code', { code });
    expect(replayed.status).toBe(400);

    // After confirming it is them, the proof is still there: the page goes straight back to the review.
    await confirmItsYou(member.ua, fx.sink, member.email);
    const again = await member.ua.follow('/account/merge');
    expect(again.url).toContain('/account/merge/review');
    const done = await member.ua.submit(again, '/account/merge/confirm');
    expect(done.body).toContain('40 points were moved. Your balance is now 40 points.');
    expect(await fx.server.container.storage.loyalty.sumEntries(member.accountId)).toBe(40);
  });

  test('named by its mobile number, proved by a code sent to that phone by SMS', async () => {
    const member = await signedInMember(fx, 'merge-sms');
    const other = await otherAccount(fx, 'merge-sms-other', 15);
    const phone = uniquePhone();
    await fx.server.container.storage.accounts.setPhone(other.accountId, phone);
    const codePage = await member.ua.submit(await member.ua.follow('/account/merge'), '/account/merge', { account: phone, method: 'code' });
    expect(codePage.body).toContain(CODE_SENT);
    const sms = await fx.sms.waitForMessage(phone);
    expect(sms.text).toContain('your code to merge your loyalty accounts');
    const code = /^(\d{6}) /.exec(sms.text)![1]!;
    const review = await member.ua.submit(codePage, '/account/merge/code', { code });
    expect(review.url).toContain('/account/merge/review');
    expect(review.body).toContain('15 points move to this account.');
  });

  test('proved by a passkey of the other account: the request names no account, and the answer works once', async () => {
    const other = await confirmedMember(fx, 'merge-pk-other');
    const authenticator = new SoftAuthenticator({ origin: fx.server.url });
    expect((await addPasskeyOnAccount(other.ua, other.page, authenticator)).status).toBe(200);
    const member = await signedInMember(fx, 'merge-pk');
    const csrf = accountCsrf(await member.ua.follow('/account/merge'));

    const options = await postAccountJson(member.ua, '/account/merge/passkey/options', { csrf });
    expect(options.status).toBe(200);
    // Discoverable credentials only: the request lists no account's passkeys.
    expect((options.body as unknown as PublicKeyCredentialRequestOptionsJSON).allowCredentials ?? []).toEqual([]);
    const response = authenticator.get(options.body as unknown as PublicKeyCredentialRequestOptionsJSON);
    const proved = await postAccountJson(member.ua, '/account/merge/passkey', { csrf, response });
    expect(proved.status).toBe(200);
    expect(proved.body.location).toBe('/account/merge/review');
    expect((await member.ua.follow('/account/merge/review')).body).toContain(`The account ${other.email} will be merged into this account (${member.email}).`);
    // The same answer again: its challenge was used.
    expect((await postAccountJson(member.ua, '/account/merge/passkey', { csrf, response })).status).toBe(400);
  });

  test('an account merged elsewhere after it was proved is named as already merged, and nothing moves', async () => {
    const member = await confirmedMember(fx, 'merge-late');
    const other = await otherAccount(fx, 'merge-late-other', 20);
    const third = await otherAccount(fx, 'merge-late-third', 0);
    const review = await tryPassword(member.ua, await member.ua.follow('/account/merge'), other.email, PASSWORD);
    expect(review.url).toContain('/account/merge/review');
    // Meanwhile support merges the proved account into a third one.
    const staff = await fx.server.container.merges.merge({
      survivorId: third.accountId, absorbedId: other.accountId, proof: { method: 'identity_document', reference: 'ticket 1' },
      initiatedBy: { kind: 'staff', staffId: 'support-1' }, reason: 'duplicate',
    });
    expect(staff.status).toBe('merged');
    const refused = await member.ua.submit(review, '/account/merge/confirm');
    expect(refused.status).toBe(409);
    expect(errorOn(refused)).toBe('That account was already merged into another account.');
    expect(await fx.server.container.storage.loyalty.sumEntries(member.accountId)).toBe(0);
    expect(await fx.server.container.storage.loyalty.sumEntries(third.accountId)).toBe(20);
  });

  test('an account erased after it was proved is named as gone on the review', async () => {
    const member = await signedInMember(fx, 'merge-gone');
    const other = await otherAccount(fx, 'merge-gone-other', 5);
    const review = await tryPassword(member.ua, await member.ua.follow('/account/merge'), other.email, PASSWORD);
    expect(review.url).toContain('/account/merge/review');
    const token = await fx.server.adminToken();
    const erasure = await fetch(`${fx.server.url}/admin/members/${other.accountId}?grace=none`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(erasure.status).toBe(204);
    const gone = await member.ua.follow('/account/merge/review');
    expect(gone.status).toBe(409);
    expect(errorOn(gone)).toBe('That account no longer exists.');
    // The proof is spent: the page starts over.
    expect((await member.ua.follow('/account/merge/review')).url).toMatch(/\/account\/merge$/);
  });

  test('a confirmation without a recent strong sign-in is sent back to confirm it is you', async () => {
    const member = await signedInMember(fx, 'merge-weak');
    const other = await otherAccount(fx, 'merge-weak-other', 10);
    const review = await tryPassword(member.ua, await member.ua.follow('/account/merge'), other.email, PASSWORD);
    const csrf = /name="csrf" value="([^"]+)"/.exec(review.body)![1]!;
    const refused = await member.ua.follow(member.ua.resolve('/account/merge/confirm'), { form: { csrf } });
    expect(isSecurityPage(refused)).toBe(true);
    expect(refused.url).toContain('notice=reauth_needed');
    expect(await fx.server.container.storage.loyalty.sumEntries(member.accountId)).toBe(0);
    expect(await fx.server.container.storage.loyalty.sumEntries(other.accountId)).toBe(10);
  });

  test('a wrong password, an unknown email and an erased account answer alike; the member\'s own account is named as such', async () => {
    const member = await signedInMember(fx, 'merge-enum');
    const other = await otherAccount(fx, 'merge-enum-other', 0);
    const erased = await otherAccount(fx, 'merge-enum-erased', 0);
    const token = await fx.server.adminToken();
    const erasure = await fetch(`${fx.server.url}/admin/members/${erased.accountId}?grace=none`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(erasure.status).toBe(204);
    const form = await member.ua.follow('/account/merge');

    const unknownEmail = uniqueEmail('merge-nobody');
    const wrong = await tryPassword(member.ua, form, other.email, 'not the password at all');
    const unknown = await tryPassword(member.ua, form, unknownEmail, 'not the password at all');
    const gone = await tryPassword(member.ua, form, erased.email, PASSWORD);
    for (const page of [wrong, unknown, gone]) {
      expect(page.status).toBe(400);
      expect(errorOn(page)).toBe(NOT_PROVED);
    }
    expect(comparable(wrong, other.email)).toBe(comparable(unknown, unknownEmail));
    expect(comparable(gone, erased.email)).toBe(comparable(unknown, unknownEmail));

    // A code asked for an unknown address gets the very answer a member's address gets, and goes nowhere.
    const codeForUnknown = await member.ua.submit(form, '/account/merge', { account: uniqueEmail('merge-nobody'), method: 'code' });
    expect(codeForUnknown.url).toContain('/account/merge/code');
    expect(codeForUnknown.body).toContain(CODE_SENT);

    const self = await tryPassword(member.ua, form, member.email, PASSWORD);
    expect(self.status).toBe(400);
    expect(errorOn(self)).toBe('That is the account you are signed in to, or an account already merged into it.');
  });

  test('a code that expired proves nothing', async () => {
    const member = await signedInMember(fx, 'merge-expired');
    const other = await otherAccount(fx, 'merge-expired-other', 0);
    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(other.email);
    const codePage = await member.ua.submit(await member.ua.follow('/account/merge'), '/account/merge', { account: other.email, method: 'code' });
    const code = await fx.sink.waitForCode(other.email, { after: before });
    const { codes } = fx.server.container.storage;
    const stored = await codes.find('member_merge', member.accountId);
    await codes.put({ ...stored!, expiresAt: new Date(Date.now() - 1000) });
    const expired = await member.ua.submit(codePage, '/account/merge/code', { code });
    expect(expired.status).toBe(400);
    expect(errorOn(expired)).toBe('That code has expired. Ask for a new one.');
  });

  test('guessing is limited per account named, however it is typed', async () => {
    const member = await signedInMember(fx, 'merge-limit');
    const target = uniqueEmail('merge-limit-target');
    const form = await member.ua.follow('/account/merge');
    for (let i = 0; i < 5; i += 1) expect((await tryPassword(member.ua, form, target, `guess ${i}`)).status).toBe(400);
    const limited = await tryPassword(member.ua, form, target, 'guess 5');
    expect(limited.status).toBe(429);
    // Typed differently, it is the same name.
    expect((await tryPassword(member.ua, form, `  ${target.toUpperCase()}`, 'guess 6')).status).toBe(429);
  });
});
