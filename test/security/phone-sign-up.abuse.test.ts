// Threats to sign-up by mobile number (issue 21): finding members by number (enumeration), taking someone else's
// number without its code, replaying a code, and SMS pumping through the new form; scripted sign-ups meet the
// email form's gate (honeypot, bot challenge, velocity) before anything is texted. Each refused, nothing created.
import { accountCsrf, openSecurityPage } from '../support/account.ts';
import { hasChallenge, solve } from '../support/attack.ts';
import { UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { uniquePhone } from '../support/phone.ts';
import { openPhoneSignUp, requestPhoneSignUp, signUpByPhone } from '../support/phone-sign-up.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const WRONG = 'That code is not right. Check it and try again.';
const EXHAUSTED = 'Too many wrong codes. Ask for a new one.';

const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** The page with what differs per number or interaction blanked out. */
const normalise = (page: Page, phone: string) => page.body
  .replaceAll(phone, 'PHONE')
  .replace(/••• ••• \d{4}/g, '••• ••• LAST4')
  .replace(/\/interaction\/[^/"]+/g, '/interaction/UID')
  .replace(/(value|data-csrf)="[A-Za-z0-9_-]{20,}"/g, '$1="TOKEN"');

async function phoneMember(fx: MemberServer): Promise<{ phone: string; accountId: string }> {
  const phone = uniquePhone();
  await signUpByPhone(new UserAgent(fx.server.url), fx.sms, (await authorizationRequest(fx.config)).url, phone);
  const account = await fx.server.container.storage.accounts.findByPhone(phone);
  if (!account) throw new Error('the phone sign-up made no account');
  await fx.server.container.deliveries.drain();
  return { phone, accountId: account.id };
}

describe.each(STORES)('sign-up by mobile number: attacks (%s)', (store) => {
  const fx = useMemberServer(store);

  test('a member\'s number gets the same answer as a new one, no code, a "someone tried to join" text, and no second account', async () => {
    const { phone: known, accountId } = await phoneMember(fx);
    const fresh = uniquePhone();
    const accounts = await fx.server.container.storage.accounts.count();
    const before = fx.sms.countFor(known);

    const a = await requestPhoneSignUp(new UserAgent(fx.server.url), (await authorizationRequest(fx.config)).url, fresh);
    const intruder = new UserAgent(fx.server.url);
    const b = await requestPhoneSignUp(intruder, (await authorizationRequest(fx.config)).url, known);
    expect(b.status).toBe(a.status);
    expect(b.url.replace(/\/interaction\/[^/]+/, '')).toBe(a.url.replace(/\/interaction\/[^/]+/, ''));
    expect(normalise(b, known)).toBe(normalise(a, fresh));

    const notice = await fx.sms.waitForMessage(known, { after: before });
    expect(notice.text).toContain('Someone tried to join with this number, but you are already a member');
    expect(notice.text).not.toMatch(/\d{6}/);
    // The code of that sign-up was never sent: whatever is typed fails like a wrong code.
    const refused = await intruder.submit(b, '/register/phone/verify', { code: '123456' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(WRONG);
    expect(await fx.server.container.storage.accounts.count()).toBe(accounts);
    expect((await fx.server.container.storage.accounts.findByPhone(known))?.id).toBe(accountId);
  });

  test('someone else\'s number without its code: five wrong codes, then even the right one is refused; no account', async () => {
    const victim = uniquePhone();
    const attacker = new UserAgent(fx.server.url);
    const before = fx.sms.countFor(victim);
    let page = await requestPhoneSignUp(attacker, (await authorizationRequest(fx.config)).url, victim);
    const code = await fx.sms.waitForCode(victim, { after: before });
    for (let i = 0; i < 5; i += 1) {
      page = await attacker.submit(page, '/register/phone/verify', { code: otherThan(code) });
      expect(page.status).toBe(400);
    }
    const sixth = await attacker.submit(page, '/register/phone/verify', { code });
    expect(sixth.status).toBe(400);
    expect(sixth.body).toContain(EXHAUSTED);
    expect(await fx.server.container.storage.accounts.findByPhone(victim)).toBeUndefined();
  });

  test('replay: the code that created the account creates nothing more, in the same browser or another', async () => {
    const phone = uniquePhone();
    const first = new UserAgent(fx.server.url);
    const before = fx.sms.countFor(phone);
    const firstPage = await requestPhoneSignUp(first, (await authorizationRequest(fx.config)).url, phone);
    const code = await fx.sms.waitForCode(phone, { after: before });
    expect((await first.submit(firstPage, '/register/phone/verify', { code })).url.startsWith(REDIRECT_URI)).toBe(true);
    const created = await fx.server.container.storage.accounts.findByPhone(phone);
    expect(created).toBeDefined();
    const accounts = await fx.server.container.storage.accounts.count();

    // The same form posted again: the flow ended with the sign-in, and the code is spent.
    const again = await first.request(new URL(firstPage.url).href, { form: { code } });
    expect(again.status).not.toBe(303);
    const second = new UserAgent(fx.server.url);
    const secondPage = await requestPhoneSignUp(second, (await authorizationRequest(fx.config)).url, phone);
    const replayed = await second.submit(secondPage, '/register/phone/verify', { code });
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain(WRONG);
    expect(await fx.server.container.storage.accounts.count()).toBe(accounts);
    expect((await fx.server.container.storage.accounts.findByPhone(phone))?.id).toBe(created!.id);
  });

  test('the eased confirmation of a phone-only member adds ways in only: removing the phone or making an app still needs both factors', async () => {
    const phone = uniquePhone();
    const ua = new UserAgent(fx.server.url);
    expect((await signUpByPhone(ua, fx.sms, (await authorizationRequest(fx.config)).url, phone)).url.startsWith(REDIRECT_URI)).toBe(true);
    const security = await openSecurityPage(ua);
    expect(security.body).not.toContain('action="/account/phone/remove"');
    const removed = await ua.request(`${fx.server.url}/account/phone/remove`, { form: { csrf: accountCsrf(security) } });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toContain('notice=reauth_needed');
    const app = await ua.request(`${fx.server.url}/account/app`, { form: { csrf: accountCsrf(security) } });
    expect(app.headers.get('location')).toContain('notice=reauth_needed');
    expect((await fx.server.container.storage.accounts.findByPhone(phone))?.phone).toBe(phone);
  });
});

describe.each(STORES)('sign-up by mobile number: SMS pumping limits (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SMS_PER_NUMBER_PER_HOUR: '3', SMS_PER_IP_PER_HOUR: '5' });

  const ask = async (ip: string, phone: string) =>
    requestPhoneSignUp(new UserAgent(fx.server.url, { 'x-forwarded-for': ip }), (await authorizationRequest(fx.config)).url, phone);

  test('a fourth sign-up request for one number in an hour gets the "too many" page, from whatever address', async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 3; i += 1) expect((await ask(`203.0.113.${110 + i}`, phone)).status).toBe(200);
    const refused = await ask('203.0.113.119', phone);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('We cannot send more text messages');
  });

  test('one address asking to join with many numbers is stopped after its hourly allowance; "Send a new code" counts too', async () => {
    const ip = '203.0.113.120';
    const ua = new UserAgent(fx.server.url, { 'x-forwarded-for': ip });
    const codePage = await requestPhoneSignUp(ua, (await authorizationRequest(fx.config)).url, uniquePhone());
    for (let i = 0; i < 3; i += 1) expect((await ask(ip, uniquePhone())).status).toBe(200);
    // The fifth request from this address is a resend on the first page: allowed; the sixth is not.
    expect((await ua.submit(codePage, '/register/phone/resend')).status).toBe(200);
    expect((await ua.submit(codePage, '/register/phone/resend')).status).toBe(429);
  });
});

// Issue 21: the number form passes the same sign-up gate as the email form, before any text is sent.
describe.each(STORES)('sign-up by mobile number: the sign-up gate (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SIGN_UPS_PER_IP_PER_HOUR: '4', SIGN_UPS_PER_DEVICE_PER_HOUR: '2' });

  const from = (ip: string) => new UserAgent(fx.server.url, { 'x-forwarded-for': ip });
  /** Texts sent to `phone` once the delivery queue is empty. */
  const textsTo = async (phone: string) => {
    await fx.server.container.deliveries.drain();
    return fx.sms.countFor(phone);
  };

  test('a bot filling the honeypot sees the usual code page, but no text goes, "Send a new code" sends none, no code works', async () => {
    const phone = uniquePhone();
    const ua = from('203.0.113.130');
    const page = await requestPhoneSignUp(ua, (await authorizationRequest(fx.config)).url, phone, { website: 'https://spam.example' });
    expect(page.status).toBe(200);
    expect(page.url).toMatch(/\/register\/phone\/verify$/);
    const resent = await ua.submit(page, '/register/phone/resend');
    expect(resent.url).toMatch(/\/register\/phone\/verify$/);
    const refused = await ua.submit(resent, '/register/phone/verify', { code: '123456' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(WRONG);
    expect(await textsTo(phone)).toBe(0);
    expect(await fx.server.container.storage.accounts.findByPhone(phone)).toBeUndefined();
  });

  test('a busy address: the challenge on the number form (number kept) before any text, then the "too many" page, nothing sent', async () => {
    const ip = '203.0.113.131';
    for (let i = 0; i < 3; i += 1) {
      const phone = uniquePhone();
      expect((await requestPhoneSignUp(from(ip), (await authorizationRequest(fx.config)).url, phone)).url).toMatch(/\/verify$/);
      expect(await textsTo(phone)).toBe(1);
    }
    const phone = uniquePhone();
    const ua = from(ip);
    const form = await openPhoneSignUp(ua, (await authorizationRequest(fx.config)).url);
    expect(hasChallenge(form)).toBe(true);
    // A script posting no answer (and not claiming a browser without JavaScript): the form again, nothing sent.
    const unsolved = await ua.submit(form, '/register/phone', { phone, bot_solution: '', no_script: '' });
    expect(unsolved.status).toBe(403);
    expect(hasChallenge(unsolved)).toBe(true);
    expect(unsolved.body).toContain('Your number is kept');
    expect(unsolved.body).toContain(`value="${phone}"`);
    expect(await textsTo(phone)).toBe(0);
    const solved = await ua.submit(unsolved, '/register/phone', { phone, no_script: '', ...solve(unsolved) });
    expect(solved.url).toMatch(/\/register\/phone\/verify$/);
    expect(await textsTo(phone)).toBe(1);

    // Over the address's hourly sign-ups (4): the email form's "too many" page, even with the challenge solved.
    const fifth = uniquePhone();
    const fifthBrowser = from(ip);
    const fifthForm = await openPhoneSignUp(fifthBrowser, (await authorizationRequest(fx.config)).url);
    const blocked = await fifthBrowser.submit(fifthForm, '/register/phone', { phone: fifth, no_script: '', ...solve(fifthForm) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body).toContain('Too many accounts were created from your connection or browser');
    expect(await textsTo(fifth)).toBe(0);
  });
});
