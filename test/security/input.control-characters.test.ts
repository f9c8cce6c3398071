// Control characters at every entry point: `victim\u0000@example.com` must not become a second account whose
// mail reaches victim@example.com, and a NUL in a name must not be a server error. Every form and API refuses
// such input with a 400 (or the page's own refusal) and a clear message, creates nothing, and never answers
// 500; ordinary accented text (Polish, Portuguese, French) is taken as typed, in NFC.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountCsrf, addPasskeyOnAccount, confirmedMember, noticeOn, openSecurityPage } from '../support/account.ts';
import { followLink, openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, registerClient } from '../support/oidc-client.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';
import { adminCaller, webClient } from '../protocol/admin/admin-api.ts';
import { partnerFixture } from '../protocol/partners/partner-fixture.ts';
import { memberApiResource } from '../support/member-api.ts';

const INVALID_EMAIL = 'Enter a valid email address.';
const CONTROLS = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u202e', '\r\n'];

describe.each(STORES)('control characters are refused at every entry point (%s)', (store) => {
  const fx = useMemberServer(store);
  let admin: ReturnType<typeof adminCaller>;
  const fixture = partnerFixture(fx, () => admin);
  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
  });

  const accounts = () => fx.server.container.storage.accounts;
  const loginPage = async () => {
    const ua = new UserAgent(fx.server.url);
    return { ua, login: await openLoginPage(ua, (await authorizationRequest(fx.config)).url) };
  };
  const expectInvalidEmail = (page: Page) => {
    expect(page.status).toBe(400);
    expect(page.body).toContain(INVALID_EMAIL);
  };

  describe('hosted pages', () => {
    test.each(CONTROLS.map((control) => [`U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${control.length > 1 ? ' U+000A' : ''}`, control]))('sign-up with %s in the email: 400, no account under either spelling, no mail', async (_label, control) => {
      const victim = uniqueEmail('victim');
      const [local, domain] = victim.split('@');
      const forged = `${local}${control}@${domain}`;
      const { ua, login } = await loginPage();
      const register = await followLink(ua, login, '/register');
      const before = fx.sink.countFor(victim);
      expectInvalidEmail(await ua.submit(register, '/register', { email: forged, password: 'correct horse battery staple' }));
      expect(await accounts().findByEmail(victim)).toBeUndefined();
      expect(await accounts().findByEmail(forged.toLowerCase())).toBeUndefined();
      expect(fx.sink.countFor(victim)).toBe(before);
    });

    test('an email at the length limits: a local part over 64 or an address over 254 octets is refused', async () => {
      const { ua, login } = await loginPage();
      const register = await followLink(ua, login, '/register');
      for (const email of [`${'a'.repeat(65)}@example.com`, `a@${['b', 'c', 'd', 'e', 'f'].map((letter) => letter.repeat(60)).join('.')}.example`]) {
        expectInvalidEmail(await ua.submit(register, '/register', { email, password: 'correct horse battery staple' }));
      }
    });

    test('an IDN domain is one address in either spelling, stored as punycode', async () => {
      const local = `idn-${randomUUID().slice(0, 8)}`;
      const { ua, login } = await loginPage();
      const ascii = `${local}@xn--bcher-kva.example`;
      // The sink records the recipient as the mail's header shows it (Unicode); the account holds punycode.
      const signedUp = await signUpAndVerify(ua, login, fx.sink, `${local}@BÜCHER.example`);
      expect(signedUp.status).toBe(200);
      expect(await accounts().findByEmail(ascii)).toMatchObject({ email: ascii, emailVerified: true });
      // Signing in with the Unicode spelling finds the same account.
      const again = await loginPage();
      expect((await signIn(again.ua, again.login, `${local}@bücher.example`)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?/);
    });

    test('sign-in, forgot password and emailed-code sign-in say the email is not valid (400), nothing is sent', async () => {
      const member = uniqueEmail('member');
      const { ua, login } = await loginPage();
      await signUpAndVerify(ua, login, fx.sink, member);
      const [local, domain] = member.split('@');
      const forged = `${local}\u0000@${domain}`;
      const before = fx.sink.countFor(member);

      const signInPage = await loginPage();
      expectInvalidEmail(await signInPage.ua.submit(signInPage.login, '/login', { email: forged, password: 'correct horse battery staple' }));

      const forgot = await loginPage();
      expectInvalidEmail(await forgot.ua.submit(await followLink(forgot.ua, forgot.login, '/forgot'), '/forgot', { email: forged }));

      const code = await loginPage();
      expectInvalidEmail(await code.ua.submit(await followLink(code.ua, code.login, '/code'), '/code', { email: forged }));

      expect(fx.sink.countFor(member)).toBe(before);
    });

    test('a passkey name with a control character is refused with a clear notice; accents are kept (NFC)', async () => {
      const member = await confirmedMember(fx, 'passkey-name');
      const authenticator = new SoftAuthenticator({ origin: fx.server.url });
      expect((await addPasskeyOnAccount(member.ua, member.page, authenticator)).status).toBe(200);
      const [passkey] = await fx.server.container.storage.passkeys.listByAccount(member.accountId);
      const page = await openSecurityPage(member.ua);
      for (const name of ['\u0000Laptop', 'Lap\u0007top', 'Work\u202Eenilno']) {
        const refused = await member.ua.follow(`/account/passkeys/${passkey!.id}/rename`, { form: { csrf: accountCsrf(page), name } });
        expect(refused.status).toBe(200);
        expect(noticeOn(refused)).toMatch(/^The name was not changed/);
      }
      expect((await fx.server.container.storage.passkeys.find(passkey!.id))?.name).toBe(passkey!.name);
      const renamed = await member.ua.follow(`/account/passkeys/${passkey!.id}/rename`, { form: { csrf: accountCsrf(page), name: ' Telefon Łucji e\u0301 ' } });
      expect(noticeOn(renamed)).toBe('Passkey renamed.');
      expect((await fx.server.container.storage.passkeys.find(passkey!.id))?.name).toBe('Telefon Łucji é');
    });
  });

  describe('admin API', () => {
    test.each([
      ['a client_name with NUL', { ...webClient, client_name: '\u0000Shop' }, 'client_name'],
      ['a client_name with a bidi override', { ...webClient, client_name: 'Shop\u202Egnp.exe' }, 'client_name'],
      ['a redirect URI with a tab (the URL parser would drop it)', { ...webClient, redirect_uris: ['https://shop.example/cb\t'] }, 'redirect_uris.0'],
      ['a redirect URI with a newline', { ...webClient, redirect_uris: ['https://shop.example/c\nb'] }, 'redirect_uris.0'],
    ])('%s is a 400 naming the field', async (_name, body, field) => {
      const before = (await admin('GET', '/admin/clients?limit=100')).body as unknown as { items: unknown[] };
      const result = await admin('POST', '/admin/clients', body);
      expect(result.status).toBe(400);
      expect(result.body!.details!.fields[field]).toMatch(/control|character/);
      expect(((await admin('GET', '/admin/clients?limit=100')).body as unknown as { items: unknown[] }).items).toHaveLength(before.items.length);
    });

    test('a partner name starting with NUL is a 400, not a 500, and no partner is made; accented names are kept', async () => {
      const list = async () => ((await admin('GET', '/admin/partners?limit=100')).body as unknown as { items: Array<{ name: string }> }).items;
      const before = (await list()).length;
      for (const name of ['\u0000Shop', 'Caf\u00e9\u0000', 'Shop\u0085']) {
        const result = await admin('POST', '/admin/partners', { name });
        expect(result.status).toBe(400);
        expect(result.body).toMatchObject({ error: 'invalid_input' });
        expect(result.body!.details!.fields.name).toMatch(/control/);
      }
      expect(await list()).toHaveLength(before);
      const accented = await admin('POST', '/admin/partners', { name: '  Padaria São João – Café Crème, Łódź ' });
      expect(accented.status).toBe(201);
      expect(accented.body).toMatchObject({ name: 'Padaria São João – Café Crème, Łódź' });
      const client = await admin('POST', '/admin/clients', { ...webClient, client_name: 'Boulangerie Élodie' });
      expect([client.status, client.body!.client_name]).toEqual([201, 'Boulangerie Élodie']);
    });

    test('imported-member rows with control characters in the name or email are rejected, the rest imported', async () => {
      const card = () => String(Date.now()).slice(-8) + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
      const cards = [card(), card(), card(), card()];
      const result = await admin('POST', '/admin/imported-members', [
        { card_number: cards[0], name: '\u0000Ana', email: null, phone: null, balance: 10 },
        { card_number: cards[1], name: 'Ana', email: `ana\u0000@example.com`, phone: null, balance: 10 },
        { card_number: cards[2], name: 'Zo\u00eb\u001b[2J', email: null, phone: null, balance: 10 },
        { card_number: cards[3], name: 'Zofia Żółć', email: 'zofia@Bücher.example', phone: null, balance: 10 },
      ]);
      expect(result.status).toBe(200);
      const body = result.body as unknown as { inserted: number; rejected: number; errors: Array<{ index: number; fields: Record<string, string> }> };
      expect([body.inserted, body.rejected]).toEqual([1, 3]);
      expect(body.errors.map((error) => [error.index, Object.keys(error.fields)])).toEqual([[0, ['name']], [1, ['email']], [2, ['name']]]);
      const imported = fx.server.container.storage.importedMembers;
      for (const rejected of cards.slice(0, 3)) expect(await imported.find(rejected!)).toBeUndefined();
      expect(await imported.find(cards[3]!)).toMatchObject({ name: 'Zofia Żółć', email: 'zofia@xn--bcher-kva.example' });
    });
  });

  describe('partner and member APIs', () => {
    test('a points reason with a control character is a 400 naming the field; accented reasons are kept', async () => {
      const shop = await fixture.partner(`Control shop ${store}`);
      const token = await fixture.partnerToken(shop);
      const member = await fixture.memberOf(shop);
      const earn = (reason: string) => fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(member.sub)}/points`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ points: 5, reason }),
      });
      for (const reason of ['\u0000bonus', 'bonus\r\nX-Injected: 1', 'bonus\u009b']) {
        const refused = await earn(reason);
        expect(refused.status).toBe(400);
        const body = (await refused.json()) as { error: string; details: { fields: Record<string, string> } };
        expect(body.error).toBe('invalid_input');
        expect(body.details.fields.reason).toMatch(/control/);
      }
      expect((await fx.server.container.storage.loyalty.findMember(member.accountId))?.balance ?? 0).toBe(0);
      const accepted = await earn('Promoção de Verão – café crème');
      expect(accepted.status).toBe(201);
      expect(await accepted.json()).toMatchObject({ reason: 'Promoção de Verão – café crème' });
    });

    test('the member API: a redemption reason with a control character is a 400, before anything is taken', async () => {
      const client = await registerClient(fx.server, { first_party: true, scope: 'openid loyalty loyalty:redeem email', allowed_resources: [memberApiResource(fx.server)] });
      const app = await discover(fx.server, client);
      const email = uniqueEmail('member-api');
      const ua = new UserAgent(fx.server.url);
      // A member-API token (its audience), so the 400 below is the reason's, not the token's.
      const request = await authorizationRequest(app, { scope: 'openid loyalty loyalty:redeem', resource: memberApiResource(fx.server) });
      const done = await signIn(ua, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email), email);
      const token = (await exchange(app, done.url, request)).access_token;
      const response = await fetch(`${fx.server.url}/api/v1/me/redemptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ points: 1, reason: 'coffee\u0000' }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_input' });
    });

    test('a campaign code with a control character is a 400', async () => {
      const shop = await fixture.partner(`Campaign shop ${store}`);
      const token = await fixture.partnerToken(shop);
      const response = await fetch(`${fx.server.url}/partner-api/v1/campaigns`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'SUMMER\u0000', points: 5, per_member_limit: 1, total_limit: 5, starts_at: new Date().toISOString(), ends_at: new Date(Date.now() + 3600_000).toISOString() }),
      });
      expect(response.status).toBe(400);
    });
  });
});

const declaration = join(mkdtempSync(join(tmpdir(), 'control-fields-')), 'fields.json');
writeFileSync(declaration, JSON.stringify([{ name: 'given_name', required: true, ask: { atSignUp: true } }]));

describe.each(STORES)('control characters in profile fields (%s)', (store) => {
  const fx = useMemberServer(store, { PROFILE_FIELDS_FILE: declaration });

  test('a first name with a control character is a 400 with the field\'s message; a French one is kept in NFC', async () => {
    const email = uniqueEmail('profile-control');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { scope: 'openid profile' });
    const login = await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email);
    const page = await signIn(ua, login, email);
    for (const value of ['\u0000Ada', 'Ada\u0085', 'Ada\u202E']) {
      const refused = await ua.submit(page, '/profile', { given_name: value });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('role="alert"');
    }
    const done = await ua.submit(page, '/profile', { given_name: 'Fran\u0063\u0327oise' });
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?/);
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    const profile = await fx.server.container.storage.profiles.find(account!.id);
    expect(profile.fields.given_name?.value).toBe('Françoise');
  });
});
