// The page language a member gets (ui_locales, saved locale, picked language, Accept-Language), <html lang>,
// the switcher, emails in the page's language, and the locale claim; unknown or malformed input falls back silently.
import { readFileSync } from 'node:fs';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import type { Page } from '../support/user-agent.ts';
import { accountCsrf, openSecurityPage, passwordSession } from '../support/account.ts';

const catalogue = (tag: string) => JSON.parse(readFileSync(new URL(`../../server/i18n/locales/${tag}.json`, import.meta.url), 'utf8')) as Record<string, string>;
const en = catalogue('en');
const fr = catalogue('fr');
const ptBR = catalogue('pt-BR');
const pl = catalogue('pl');

const htmlLang = (page: Page) => /<html lang="([^"]+)"/.exec(page.body)?.[1];
/** The text of a message without placeholders, as the page shows it (HTML-escaped). */
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
const shows = (page: Page, text: string | undefined) => page.body.includes(escaped(text ?? '\u0000'));

describe.each(STORES)('page language (%s)', (store) => {
  const fixture = useMemberServer(store);

  test('ui_locales=fr: <html lang="fr"> and the French copy, no English page copy', async () => {
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'en' });
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config, { ui_locales: 'fr' })).url);
    expect(htmlLang(login)).toBe('fr');
    expect(shows(login, fr['login.forgot'])).toBe(true);
    expect(shows(login, fr['common.footer'])).toBe(true);
    expect(shows(login, en['login.forgot'])).toBe(false);
    expect(shows(login, en['common.footer'])).toBe(false);
    // The choice holds for the whole interaction: the sign-up page too.
    const register = await followLink(ua, login, '/register');
    expect(htmlLang(register)).toBe('fr');
    expect(shows(register, fr['register.have_account'])).toBe(true);
  });

  test('ui_locales: the first supported tag of the list wins; an unknown list falls back silently', async () => {
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'pl' });
    const listed = await openLoginPage(ua, (await authorizationRequest(fixture.config, { ui_locales: 'de pt-PT fr' })).url);
    expect(htmlLang(listed)).toBe('pt-BR');
    const unknown = await openLoginPage(new UserAgent(fixture.server.url, { 'accept-language': 'pl' }), (await authorizationRequest(fixture.config, { ui_locales: 'de xx-<b>' })).url);
    expect(unknown.status).toBe(200);
    expect(htmlLang(unknown)).toBe('pl');
  });

  test('Accept-Language pt-PT gets Brazilian Portuguese; es-AR gets Spanish; a malformed header is ignored', async () => {
    const request = async (acceptLanguage: string) => openLoginPage(new UserAgent(fixture.server.url, { 'accept-language': acceptLanguage }), (await authorizationRequest(fixture.config)).url);
    const pt = await request('pt-PT,pt;q=0.9,en;q=0.5');
    expect(htmlLang(pt)).toBe('pt-BR');
    expect(shows(pt, ptBR['login.forgot'])).toBe(true);
    expect(htmlLang(await request('es-AR, en;q=0.1'))).toBe('es');
    expect(htmlLang(await request('de;q=0.9, fr-CA;q=0.8'))).toBe('fr');
    const malformed = await request(';;q=xyz,,,<script>');
    expect(malformed.status).toBe(200);
    expect(htmlLang(malformed)).toBe('en');
  });

  test('the switcher on every page: ?lang= sets a cookie that later pages follow, over Accept-Language but under ui_locales', async () => {
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'fr' });
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    expect(htmlLang(login)).toBe('fr');
    const link = /<a href="([^"]*lang=pl)"[^>]*hreflang="pl"/.exec(login.body)?.[1];
    expect(link).toBeDefined();
    const switched = await ua.follow(new URL(link!.replace(/&amp;/g, '&'), login.url).href);
    expect(switched.status).toBe(200);
    expect(htmlLang(switched)).toBe('pl');
    expect(ua.cookie('lang')).toBe('pl');
    const register = await followLink(ua, switched, '/register');
    expect(htmlLang(register)).toBe('pl');
    expect(shows(register, pl['register.have_account'])).toBe(true);
    // ui_locales of a new authorization request outranks the pick.
    const asked = await openLoginPage(ua, (await authorizationRequest(fixture.config, { ui_locales: 'fr' })).url);
    expect(htmlLang(asked)).toBe('fr');
    // An unsupported pick is ignored (no cookie change, no error).
    const ignored = await ua.follow(new URL('?lang=de', asked.url).href);
    expect(ignored.status).toBe(200);
    expect(ua.cookie('lang')).toBe('pl');
  });

  test('error pages follow the language too (an expired interaction, Accept-Language fr)', async () => {
    const page = await new UserAgent(fixture.server.url, { 'accept-language': 'fr-FR' }).request('/interaction/no-such-interaction');
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(htmlLang(page)).toBe('fr');
    expect(shows(page, fr['error.heading'])).toBe(true);
  });

  test('an email sent from a French page is French, and its code still stands alone as 6 digits', async () => {
    const email = uniqueEmail('fr');
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'en' });
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config, { ui_locales: 'fr' })).url);
    const before = fixture.sink.countFor(email);
    const register = await followLink(ua, login, '/register');
    await ua.submit(register, '/register', { email, password: PASSWORD });
    const mail = await fixture.sink.waitForMessage(email, { after: before });
    const [intro, outro] = (fr['email.verification_code.text'] ?? '').split('{code}').map((part) => part.trim());
    expect(mail.text).toContain(intro);
    expect(mail.text).toContain(outro!.split('\n')[0]);
    expect(mail.text).not.toContain((en['email.verification_code.text'] ?? '').split('{code}')[0]!.trim());
    expect(await fixture.sink.waitForCode(email, { after: before })).toMatch(/^\d{6}$/);
  });

  test('sign-up saves the page language as the member\'s locale: later pages, and the locale claim under profile', async () => {
    const email = uniqueEmail('locale');
    const ua = new UserAgent(fixture.server.url);
    const first = await authorizationRequest(fixture.config, { ui_locales: 'pl', scope: 'openid profile' });
    const login = await signUpAndVerify(ua, await openLoginPage(ua, first.url), fixture.sink, email);
    const done = await signIn(ua, login, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fixture.config, done.url, first);
    expect((await oidc.fetchUserInfo(fixture.config, tokens.access_token, tokens.claims()!.sub)).locale).toBe('pl');
    // Without the profile scope the claim is not released.
    const ua2 = new UserAgent(fixture.server.url, { 'accept-language': 'fr' });
    const emailOnly = await authorizationRequest(fixture.config);
    const again = await signIn(ua2, await openLoginPage(ua2, emailOnly.url), email);
    const emailTokens = await exchange(fixture.config, again.url, emailOnly);
    expect((await oidc.fetchUserInfo(fixture.config, emailTokens.access_token, emailTokens.claims()!.sub)).locale).toBeUndefined();
    // Signed in, the saved locale outranks Accept-Language on the account pages.
    const account = await openSecurityPage(await passwordSession(fixture, email));
    expect(htmlLang(account)).toBe('pl');
  });

  test('signed in at a partner\'s consent page: the saved locale outranks Accept-Language, and picking one there saves it', async () => {
    const email = uniqueEmail('consent');
    const signUp = new UserAgent(fixture.server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fixture.config, { ui_locales: 'pl' })).url), fixture.sink, email);
    const partner = await discover(fixture.server, await registerClient(fixture.server));
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'fr' });
    const login = await openLoginPage(ua, (await authorizationRequest(partner)).url);
    expect(htmlLang(login)).toBe('fr'); // nobody is signed in yet: Accept-Language
    const consent = await signIn(ua, login, email, PASSWORD, { consent: false });
    expect(consent.body).toContain('/consent"');
    expect(htmlLang(consent)).toBe('pl');
    // The switcher is a form here (a cookie alone would lose to the saved locale).
    expect(consent.body).toMatch(/<form method="post" action="\/interaction\/[^"]+\/language">/);
    const switched = await ua.submit(consent, '/language', { lang: 'es' });
    expect(htmlLang(switched)).toBe('es');
    expect(switched.body).toContain('/consent"');
    const account = await fixture.server.container.storage.accounts.findByEmail(email);
    expect(await fixture.server.container.interactions.profiles.locale(account!.id)).toBe('es');
  });

  test('a signed-in member who picks a language on the account pages saves it', async () => {
    const email = uniqueEmail('pick');
    const ua = new UserAgent(fixture.server.url, { 'accept-language': 'en' });
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fixture.config)).url), fixture.sink, email);
    const member = await passwordSession(fixture, email);
    const page = await openSecurityPage(member);
    expect(htmlLang(page)).toBe('en');
    const saved = await member.follow('/account/language', { form: { csrf: accountCsrf(page), lang: 'pt-BR' } });
    expect(htmlLang(saved)).toBe('pt-BR');
    const account = await fixture.server.container.storage.accounts.findByEmail(email);
    expect(await fixture.server.container.interactions.profiles.locale(account!.id)).toBe('pt-BR');
    // Without the CSRF token nothing is saved.
    const refused = await member.request('/account/language', { form: { lang: 'fr' } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await fixture.server.container.interactions.profiles.locale(account!.id)).toBe('pt-BR');
  });
});

describe('discovery', () => {
  const fixture = useMemberServer('sqlite');

  test('lists the five languages as ui_locales_supported and claims_locales_supported', async () => {
    const metadata = fixture.config.serverMetadata();
    expect([...(metadata.ui_locales_supported ?? [])].sort()).toEqual(['en', 'es', 'fr', 'pl', 'pt-BR']);
    expect([...(metadata.claims_locales_supported ?? [])].sort()).toEqual(['en', 'es', 'fr', 'pl', 'pt-BR']);
    expect(metadata.claims_supported).toContain('locale');
  });
});
