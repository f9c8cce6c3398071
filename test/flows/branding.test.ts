// Operator branding and "no dead ends" as a member sees them over HTTP, on both stores: the home page at `/`
// in the page language, the operator's logo and colours served by us with a script-free CSP, footer links per
// language, a partner's logo on its consent page fetched and served from our origin (its URL never in the
// page), the way back on error, 404 and signed-out pages, and "Sign out" on the account pages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountCsrf, isSignInPage, openSecurityPage, signedInMember } from '../support/account.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#7a0019"/></svg>';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

const brandingDir = mkdtempSync(join(tmpdir(), 'idp-brand-'));
writeFileSync(join(brandingDir, 'logo.svg'), SVG);
writeFileSync(join(brandingDir, 'branding.json'), JSON.stringify({
  program_name: { default: 'Acme Rewards', es: 'Acme Recompensas' },
  logo: 'logo.svg',
  primary_colour: '#7a0019',
  primary_text_colour: '#ffffff',
  home_url: 'https://acme.example/',
  support_url: { default: 'https://acme.example/help', es: 'https://acme.example/es/ayuda' },
  privacy_url: 'https://acme.example/privacy',
  terms_url: { default: 'https://acme.example/terms', fr: 'https://acme.example/fr/conditions' },
}));
afterAll(() => rmSync(brandingDir, { recursive: true, force: true }));

/** A partner's web server on loopback: /logo.png, /logo.svg (refused: partners' SVG may carry script), /missing.png (404). */
interface PartnerSite {
  url: string;
  requests: Array<{ path: string; headers: Record<string, unknown> }>;
  server: Server;
}

async function startPartnerSite(): Promise<PartnerSite> {
  const site = { requests: [] } as unknown as PartnerSite;
  site.server = createServer((req, res) => {
    site.requests.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/logo.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (req.url === '/logo.svg') return void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
    return void res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.server.listen(0, '127.0.0.1', resolve));
  site.url = `http://127.0.0.1:${(site.server.address() as AddressInfo).port}`;
  return site;
}

const htmlLang = (page: Page) => /<html lang="([^"]+)"/.exec(page.body)?.[1];
/** The href of the "back" button (views/partials/way-back.ejs). */
const wayBackOf = (page: Page) => /<p class="way-back"><a class="button button-secondary" href="([^"]+)">([^<]+)<\/a>/.exec(page.body)?.slice(1, 3);

describe.each(STORES)('branding and the way back (%s)', (store) => {
  const fx = useMemberServer(store, { BRANDING_FILE: join(brandingDir, 'branding.json') });
  let partner: PartnerSite;
  beforeAll(async () => {
    partner = await startPartnerSite();
  });
  afterAll(async () => {
    partner.server.closeAllConnections();
    await new Promise((resolve) => partner.server.close(resolve));
  });

  test('the home page at /: program name and logo, Sign in, Create account and the language switcher, in the page language', async () => {
    const en = await new UserAgent(fx.server.url, { 'accept-language': 'en' }).request('/');
    expect(en.status).toBe(200);
    expect(htmlLang(en)).toBe('en');
    expect(en.body).toContain('<h1>Welcome to Acme Rewards</h1>');
    expect(en.body).toContain('<title>Home – Acme Rewards</title>');
    expect(en.body).toMatch(/<img class="site-logo" src="\/branding\/logo\?v=[\w-]+" alt=""/);
    expect(en.body).toContain('<a class="button button-primary" href="/account/sign-in">Sign in</a>');
    expect(en.body).toContain('<a class="button button-secondary" href="/account/sign-in?signup=1">Create account</a>');
    expect(en.body).toMatch(/<a href="\/\?lang=fr" hreflang="fr" lang="fr">Français<\/a>/);

    const es = await new UserAgent(fx.server.url, { 'accept-language': 'es-MX,es;q=0.9' }).request('/');
    expect(htmlLang(es)).toBe('es');
    expect(es.body).toContain('<h1>Te damos la bienvenida a Acme Recompensas</h1>');
    expect(es.body).toContain('>Iniciar sesión</a>');
    expect(es.body).toContain('>Crear cuenta</a>');
    // The switcher's link keeps the member on the home page, in the language picked.
    const picked = await new UserAgent(fx.server.url).follow('/?lang=pl');
    expect(htmlLang(picked)).toBe('pl');
    expect(picked.body).toContain('Acme Rewards: witamy');
  });

  test('the home page breaks nothing: discovery and /static answer as before; POST / is not the page', async () => {
    const discovery = await fetch(`${fx.server.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(fx.server.url);
    expect((await fetch(`${fx.server.url}/static/app.css`)).status).toBe(200);
    const post = await fetch(`${fx.server.url}/`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(post.status).toBe(404);
  });

  test('"Create account" on the home page opens the sign-up form, once', async () => {
    const ua = new UserAgent(fx.server.url);
    const home = await ua.request('/');
    const start = await ua.follow(/href="(\/account\/sign-in\?signup=1)"/.exec(home.body)![1]!);
    expect(start.url).toMatch(/\/interaction\/[^/]+\/register$/);
    expect(start.body).toContain('name="password"');
    expect(start.body).toContain('/register"');
    // Only once: a later sign-in in this browser opens on the sign-in form again.
    const later = await ua.follow('/account/sign-in');
    expect(later.url).toMatch(/\/interaction\/[^/]+$/);
  });

  test('the operator logo and colours are served by us, cacheable, with a CSP under which an SVG cannot run anything', async () => {
    const home = await new UserAgent(fx.server.url).request('/');
    const logoUrl = /src="(\/branding\/logo\?v=[\w-]+)"/.exec(home.body)![1]!;
    const logo = await fetch(`${fx.server.url}${logoUrl}`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    expect(logo.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox");
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logo.headers.get('cache-control')).toBe('public, max-age=604800, immutable');
    expect(await logo.text()).toBe(SVG);

    const themeUrl = /<link rel="stylesheet" href="(\/branding\/theme\.css\?v=[\w-]+)">/.exec(home.body)![1]!;
    const theme = await fetch(`${fx.server.url}${themeUrl}`);
    expect(theme.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await theme.text()).toContain('--primary: #7a0019; --primary-hover: #7a0019; --on-primary: #ffffff;');
    // The page's own CSP is unchanged: styles and images from our origin only, no inline style attributes needed.
    expect(home.headers.get('content-security-policy')).toContain("style-src 'self'");
    expect(home.headers.get('content-security-policy')).toContain("img-src 'self' data:");
    expect(home.body).not.toMatch(/\sstyle="/);
  });

  test('emails come from the program and are signed with its name and support link, in the member\'s language', async () => {
    const email = uniqueEmail('brand-mail');
    const es = new UserAgent(fx.server.url, { 'accept-language': 'es' });
    await signUpAndVerify(es, await openLoginPage(es, '/account/sign-in?fresh=1'), fx.sink, email);
    const mail = await fx.sink.waitForMessage(email);
    expect(mail.raw).toMatch(/^From: "?Acme Recompensas"? </m);
    expect(mail.text).toMatch(/\r?\n-- \r?\nEl equipo de Acme Recompensas\r?\nAyuda: https:\/\/acme\.example\/es\/ayuda\r?\n/);
  });

  test('the footer links to support, privacy and terms in the page language', async () => {
    const footerLinks = (page: Page) => [...page.body.matchAll(/<li><a href="(https:\/\/acme\.example[^"]*)">([^<]+)<\/a><\/li>/g)].map((m) => [m[1], m[2]]);
    const en = await new UserAgent(fx.server.url, { 'accept-language': 'en' }).request('/');
    expect(footerLinks(en)).toEqual([
      ['https://acme.example/help', 'Help and support'], ['https://acme.example/privacy', 'Privacy'], ['https://acme.example/terms', 'Terms of use'],
    ]);
    const es = await new UserAgent(fx.server.url, { 'accept-language': 'es' }).request('/');
    expect(footerLinks(es)).toEqual([
      ['https://acme.example/es/ayuda', 'Ayuda y soporte'], ['https://acme.example/privacy', 'Privacidad'], ['https://acme.example/terms', 'Términos de uso'],
    ]);
    const fr = await new UserAgent(fx.server.url, { 'accept-language': 'fr' }).request('/');
    expect(footerLinks(fr)[2]).toEqual(['https://acme.example/fr/conditions', 'Conditions d’utilisation']);
  });

  /** A member at a (third-party) partner's consent page. */
  async function consentPageOf(metadata: Record<string, unknown>): Promise<Page> {
    const email = uniqueEmail('brand-consent');
    const signUp = new UserAgent(fx.server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const client = await discover(fx.server, await registerClient(fx.server, { client_name: 'Bike Shop', ...metadata }));
    const ua = new UserAgent(fx.server.url);
    const consent = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(client)).url), email, PASSWORD, { consent: false });
    expect(consent.body).toContain('/consent"');
    return consent;
  }

  test('a partner\'s consent page shows its name and its logo, fetched by us and served from our origin', async () => {
    const before = partner.requests.length;
    const consent = await consentPageOf({ logo_uri: `${partner.url}/logo.png` });
    expect(consent.body).toContain('Bike Shop');
    const src = /<p class="client-logo"><img src="([^"]+)"/.exec(consent.body)?.[1];
    expect(src).toMatch(/^\/branding\/partners\/client-[\w-]+\/logo\?v=[\w-]+$/);
    // The partner's address is nowhere in the page: the member's browser never calls it.
    expect(consent.body).not.toContain(partner.url);
    expect(consent.body).not.toContain('127.0.0.1:');
    const image = await fetch(`${fx.server.url}${src}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
    // Fetched once by the server (cached since), without the member's cookies or address.
    const fetched = partner.requests.slice(before).filter((r) => r.path === '/logo.png');
    expect(fetched).toHaveLength(1);
    expect(fetched[0]!.headers.cookie).toBeUndefined();
    expect(fetched[0]!.headers['x-forwarded-for']).toBeUndefined();
    expect(consent.headers.get('content-security-policy')).toContain("img-src 'self' data:");
  });

  test('a broken, missing or SVG partner logo just shows no logo', async () => {
    for (const logo of ['/missing.png', '/logo.svg']) {
      const consent = await consentPageOf({ logo_uri: `${partner.url}${logo}` });
      expect(consent.body).toContain('Bike Shop');
      expect(consent.body).not.toContain('client-logo');
      expect(consent.status).toBe(200);
    }
    const none = await consentPageOf({});
    expect(none.body).not.toContain('client-logo');
    // Nothing is served for a client without a usable logo, nor for an unknown one.
    expect((await fetch(`${fx.server.url}/branding/partners/no-such-client/logo`)).status).toBe(404);
  });

  test('an error page offers the way back: to the client\'s https client_uri when it has one, else the program\'s home', async () => {
    const withSite = await discover(fx.server, await registerClient(fx.server, { client_name: 'Bike Shop', client_uri: 'https://bikes.example/' }));
    const bad = (config: oidc.Configuration) => oidc.buildAuthorizationUrl(config, { redirect_uri: 'https://evil.example/cb', scope: 'openid' }).href;
    const page = await new UserAgent(fx.server.url).follow(bad(withSite));
    expect(page.status).toBe(400);
    expect(wayBackOf(page)).toEqual(['https://bikes.example/', 'Back to Bike Shop']);
    expect(page.body).not.toContain('evil.example');

    const plain = await discover(fx.server, await registerClient(fx.server, { client_uri: 'http://bikes.example/' }));
    expect(wayBackOf(await new UserAgent(fx.server.url).follow(bad(plain)))).toEqual(['https://acme.example/', 'Back to Acme Rewards']);
    const spanish = await new UserAgent(fx.server.url, { 'accept-language': 'es' }).follow(bad(plain));
    expect(wayBackOf(spanish)).toEqual(['https://acme.example/', 'Volver a Acme Recompensas']);
  });

  test('the 404 page offers the way back to the program\'s home', async () => {
    const page = await new UserAgent(fx.server.url).request('/no-such-page');
    expect(page.status).toBe(404);
    expect(page.body).toContain('We could not find that page.');
    expect(wayBackOf(page)).toEqual(['https://acme.example/', 'Back to Acme Rewards']);
  });

  test('the signed-out page after a client\'s logout offers the way back to that client', async () => {
    const client = await registerClient(fx.server, { first_party: true, client_name: 'Bike Shop', client_uri: 'https://bikes.example/' });
    const config = await discover(fx.server, client);
    const { email } = await signedInMember(fx, 'brand-logout');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config);
    const done = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(config, done.url, request);
    const confirm = await ua.follow(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    const signedOut = await ua.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain('You are signed out.');
    expect(wayBackOf(signedOut)).toEqual(['https://bikes.example/', 'Back to Bike Shop']);
  });

  test('the account pages have "Sign out": a POST with the CSRF token ends the session and lands on the signed-out page', async () => {
    const { ua, accountId } = await signedInMember(fx, 'brand-sign-out');
    const security = await openSecurityPage(ua);
    expect(security.body).toMatch(/<form class="sign-out" method="post" action="\/account\/sign-out">/);
    expect(security.body).toContain('>Sign out</button>');
    expect(wayBackOf(security)).toEqual(['https://acme.example/', 'Back to Acme Rewards']);
    const sessions = () => fx.server.container.storage.oidc.findByAccountId('Session', accountId);
    expect(await sessions()).toHaveLength(1);

    // Without the session's token nothing happens (a cross-site form cannot sign the member out).
    const forged = await ua.request('/account/sign-out', { form: { csrf: 'forged' } });
    expect(forged.status).toBe(403);
    expect(await sessions()).toHaveLength(1);

    const signedOut = await ua.submit(security, '/account/sign-out', { csrf: accountCsrf(security) });
    expect(signedOut.url).toMatch(/\/account\/signed-out$/);
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain('You are signed out.');
    expect(signedOut.body).not.toContain('class="sign-out"');
    expect(wayBackOf(signedOut)).toEqual(['https://acme.example/', 'Back to Acme Rewards']);
    expect(await sessions()).toHaveLength(0);
    // The session is gone: the account pages ask to sign in again.
    expect(isSignInPage(await openSecurityPage(ua))).toBe(true);
  });
});

describe.each(STORES)('without a branding file: today\'s look, the way back to our home page (%s)', (store) => {
  const fx = useMemberServer(store);

  test('the catalogue\'s program name, no logo, colours or operator links; error pages and the account pages lead back to /', async () => {
    const home = await new UserAgent(fx.server.url).request('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('<p class="site-name">Loyalty account</p>');
    expect(home.body).toContain('<h1>Welcome to Loyalty account</h1>');
    expect(home.body).not.toContain('/branding/');
    expect(home.body).not.toContain('brand-links');
    expect((await fetch(`${fx.server.url}/branding/logo`)).status).toBe(404);
    expect((await fetch(`${fx.server.url}/branding/theme.css`)).status).toBe(404);

    const missing = await new UserAgent(fx.server.url).request('/no-such-page');
    expect(missing.status).toBe(404);
    expect(wayBackOf(missing)).toEqual(['/', 'Back to Loyalty account']);
    // An API client keeps a bare 404 (no page).
    const api = await fetch(`${fx.server.url}/no-such-page`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(await api.text()).not.toContain('<html');

    const { ua, email } = await signedInMember(fx, 'plain-sign-out');
    // Mail keeps the plain sender and carries no signature.
    const mail = await fx.sink.waitForMessage(email);
    expect(mail.text).not.toMatch(/\n-- \r?\n/);
    expect(mail.raw).toMatch(/^From: Loyalty ID <no-reply@localhost>/m);
    const security = await openSecurityPage(ua);
    expect(wayBackOf(security)).toEqual(['/', 'Back to Loyalty account']);
    const signedOut = await ua.submit(security, '/account/sign-out', { csrf: accountCsrf(security) });
    expect(signedOut.body).toContain('You are signed out.');
    expect(wayBackOf(signedOut)).toEqual(['/', 'Back to Loyalty account']);
  });
});
