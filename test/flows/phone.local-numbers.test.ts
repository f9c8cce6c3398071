// Local phone numbers (issue 15): in each page language the phone field preselects the member's country
// (es → Mexico, pt-BR → Brazil, fr → France, pl → Poland, en → the first of SMS_COUNTRIES), names the
// countries in that language with an example of the selected one, reads the national form the member
// types, and shows the stored number back grouped for humans, never as raw E.164.
import { confirmedMember, openSecurityPage } from '../support/account.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { requestSmsSignIn } from '../support/phone.ts';
import { exampleNumber } from '../../server/domain/accounts/phone-countries.ts';
import { GEO_IPS } from '../support/geo-ips.ts';
import { followLink, openLoginPage, UserAgent as UserAgentClass, type UserAgent } from '../support/member.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const selectedCountry = (page: Page) => /<option value="([A-Z]{2})" selected>/.exec(page.body)?.[1];
const hint = (page: Page) => /<p class="field-hint" id="phone-hint">([^<]*)<\/p>/.exec(page.body)?.[1];

/** Saves `lang` as the member's language (the switcher on a signed-in account page). */
async function pickLanguage(ua: UserAgent, lang: string): Promise<void> {
  await ua.submit(await openSecurityPage(ua), '/account/language', { lang });
}

/** The member's browser posts what it shows: the typed number with the preselected country. */
async function addTyped(fx: MemberServer, ua: UserAgent, typed: string, e164: string): Promise<Page> {
  const form = await ua.follow('/account/phone');
  const codePage = await ua.submit(form, '/account/phone', { phone: typed, country: selectedCountry(form)! });
  expect(codePage.url).toMatch(/\/account\/phone\/verify$/);
  return ua.submit(codePage, '/account/phone/verify', { code: await fx.sms.waitForCode(e164) });
}

const LOCALES = [
  { lang: 'es', country: 'MX', name: 'México (+52)', example: '222 123 4567', typed: '55 1234 5601', e164: '+525512345601', shown: '+52 55 1234 5601' },
  { lang: 'pt-BR', country: 'BR', name: 'Brasil (+55)', example: '(11) 96123-4567', typed: '(11) 91234-5602', e164: '+5511912345602', shown: '+55 11 91234 5602' },
  { lang: 'fr', country: 'FR', name: 'France (+33)', example: '06 12 34 56 78', typed: '06 12 34 56 03', e164: '+33612345603', shown: '+33 6 12 34 56 03' },
  { lang: 'pl', country: 'PL', name: 'Polska (+48)', example: '512 345 678', typed: '512 345 604', e164: '+48512345604', shown: '+48 512 345 604' },
  { lang: 'en', country: 'MX', name: 'Mexico (+52)', example: '222 123 4567', typed: '55 1234 5605', e164: '+525512345605', shown: '+52 55 1234 5605' },
];

describe.each(STORES)('Local phone numbers (%s)', (store) => {
  // TRUST_PROXY: the geo tests below come from addresses in other countries (X-Forwarded-For).
  const fx = useMemberServer(store, { TRUST_PROXY: 'true' });

  test.each(LOCALES)('$lang: preselects $country, reads "$typed", shows "$shown"', async ({ lang, country, name, example, typed, e164, shown }) => {
    const { ua } = await confirmedMember(fx, `phone-${lang.toLowerCase()}`);
    await pickLanguage(ua, lang);
    const form = await ua.follow('/account/phone');
    expect(form.body).toContain(`<html lang="${lang}">`);
    expect(selectedCountry(form)).toBe(country);
    expect(form.body).toContain(`<option value="${country}" selected>${name}</option>`);
    expect(hint(form)).toContain(example);
    expect(form.body).not.toContain('+44 7911 123456');

    const done = await addTyped(fx, ua, typed, e164);
    expect(done.url).toContain('notice=phone_added');
    expect(done.body).toContain(shown);
    expect(done.body).not.toContain(e164);
  });

  test('a number outside SMS_COUNTRIES is refused with a message in the page language, and nothing is texted', async () => {
    const { ua } = await confirmedMember(fx, 'phone-outside');
    await pickLanguage(ua, 'es');
    const us = '+12015550123';
    const refused = await ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone: '+1 201 555 0123', country: 'MX' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('No podemos enviar mensajes de texto a números de ese país.');
    // The typed number stays in the field, the country list too.
    expect(refused.body).toContain('value="+1 201 555 0123"');
    expect(selectedCountry(refused)).toBe('MX');
    // A country the list does not offer, posted by hand, is refused the same way.
    const forged = await ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone: '201 555 0123', country: 'US' });
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('No podemos enviar mensajes de texto a números de ese país.');
    expect(fx.sms.countFor(us)).toBe(0);
  });

  test('a number that is not one of the selected country says so with that country\'s example', async () => {
    const { ua } = await confirmedMember(fx, 'phone-invalid');
    await pickLanguage(ua, 'fr');
    const refused = await ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone: '06 12', country: 'FR' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Saisissez un numéro de mobile, par exemple 06 12 34 56 78.');
    expect(refused.body).toContain('aria-invalid="true"');
  });

  test.each([
    ['an English page from Brazil', GEO_IPS.BR, 'en', 'BR'],
    ['a Spanish page from France', GEO_IPS.FR, 'es', 'FR'],
    ['a Spanish page from a country the program is not in', GEO_IPS.US, 'es', 'MX'],
    ['a Polish page from a country the program is not in', GEO_IPS.DE, 'pl', 'PL'],
  ])('the SMS sign-in page preselects the request\'s country when the program is there, else the language\'s: %s', async (_name, ip, lang, country) => {
    const ua = new UserAgentClass(fx.server.url, { 'x-forwarded-for': ip, 'accept-language': lang });
    const emailForm = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/code');
    const smsForm = await followLink(ua, emailForm, '/code/sms');
    expect(smsForm.body).toContain(`<html lang="${lang}">`);
    expect(selectedCountry(smsForm)).toBe(country);
    expect(hint(smsForm)).toContain(exampleNumber(country));
  });

  test('SMS sign-in takes the national form in the selected country (Polish page, Polish number)', async () => {
    const { ua } = await confirmedMember(fx, 'phone-sms-sign-in');
    await pickLanguage(ua, 'pl');
    await addTyped(fx, ua, '512 345 606', '+48512345606');
    await fx.server.container.deliveries.drain();
    const before = fx.sms.countFor('+48512345606');

    const other = new UserAgentClass(fx.server.url, { 'accept-language': 'pl' });
    const request = await authorizationRequest(fx.config);
    const enter = await requestSmsSignIn(other, request.url, '512 345 606');
    expect(enter.url).toMatch(/\/code\/verify$/);
    expect(await fx.sms.waitForCode('+48512345606', { after: before })).toMatch(/^\d{6}$/);
  });
});
