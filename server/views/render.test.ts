// Every hosted page renders with sample locals and keeps its accessibility and CSRF promises.
import { renderView, safeHref, VIEWS_DIR } from './render.ts';
import { phoneCountryChoice } from '../domain/accounts/phone-countries.ts';

const base = { lang: 'en', csrfToken: 'csrf-token-value', requestId: 'req-1' };
const hidden = [{ name: 'xsrf', value: 'provider-xsrf' }];
const choices = [{ method: 'totp', labelId: 'mfa.use_app' }, { method: 'sms', labelId: 'mfa.use_sms' }];

const PAGES: Record<string, Record<string, unknown>> = {
  'login/login': { uid: 'u1', action: '/interaction/u1/login', email: 'a@example.com', error: 'login.error.invalid', info: 'login.info.verified', clientName: 'Acme', registerUrl: '/interaction/u1/register', forgotUrl: '/interaction/u1/forgot', abortUrl: '/interaction/u1/abort', passkeyOptionsUrl: '/interaction/u1/passkey/login/options', passkeyLoginUrl: '/interaction/u1/passkey/login' },
  'registration/register': { action: '/interaction/u1/register', email: 'a@example.com', errors: { email: 'email.invalid', password: 'password.too_short', form: 'register.error.generic' }, signInUrl: '/interaction/u1', passkeyUrl: '/interaction/u1/register/passkey', clientName: 'Acme' },
  'registration/register-passkey': { action: '/r/p', passwordUrl: '/r', signInUrl: '/s', email: 'a@example.com', errors: { email: 'email.invalid' } },
  'passkey/create': { optionsUrl: '/p/o', verifyUrl: '/p', email: 'a@example.com' },
  'code-sign-in/request': { channel: 'email', action: '/c', signInUrl: '/s', switchUrl: '/c/sms', value: '', error: 'email.invalid' },
  'code-sign-in/request#sms': { channel: 'sms', action: '/c/sms', signInUrl: '/s', switchUrl: '/c', value: '0791', error: 'phone.not_mobile', phoneCountry: phoneCountryChoice(['MX', 'BR'], 'en', 'MX') },
  'code-sign-in/enter': { channel: 'email', action: '/c/v', resendAction: '/c', resendField: 'email', resendValue: 'j@example.com', destination: 'j***@example.com', error: 'code.expired', info: 'code_sign_in.sent' },
  'code-sign-in/enter#sms': { channel: 'sms', action: '/c/v', resendAction: '/c/sms', resendField: 'phone', resendValue: '+447911123456', destination: '+44 ••• ••• 3456', error: 'code.invalid', info: null },
  'passkey/offer': { optionsUrl: '/p/o', verifyUrl: '/p', skipAction: '/p/skip' },
  'mfa/code': { channel: 'email', action: '/m', sendAction: '/m/send', methodAction: '/m/method', abortAction: '/a', destination: 'j***@example.com', clientName: 'Acme', choices, sent: true, error: 'code.invalid', info: null },
  'mfa/code#sms': { channel: 'sms', action: '/m', sendAction: '/m/send', methodAction: '/m/method', abortAction: '/a', destination: '+44 ••• ••• 3456', clientName: 'Acme', choices: [], sent: false, error: null, info: 'mfa.sent' },
  'mfa/app-code': { action: '/m/app', methodAction: '/m/method', abortAction: '/a', clientName: 'Acme', choices, error: 'code.exhausted' },
  'mfa/recovery-code': { action: '/m/recovery', methodAction: '/m/method', abortAction: '/a', choices, error: 'recovery.invalid' },
  'mfa/app-offer': { startAction: '/m/enrol', finishAction: '/m/finish' },
  'mfa/app-enrol': { action: '/m/enrol/confirm', finishAction: '/m/finish', qrSvg: '<svg viewBox="0 0 1 1"></svg>', manualKey: 'ABCD EFGH', error: 'code.format' },
  'mfa/app-enrol#account': { action: '/account/app/confirm', hiddenFields: [{ name: 'factor', value: 'f1' }], cancelUrl: '/account/security', qrSvg: '<svg viewBox="0 0 1 1"></svg>', manualKey: 'ABCD EFGH', error: null },
  'mfa/recovery-codes': { codes: ['ABCDE-23456'], finishAction: '/m/finish' },
  'mfa/recovery-codes#account': { codes: ['ABCDE-23456'], doneUrl: '/account/security' },
  'mfa/passkey': { optionsUrl: '/m/p/o', verifyUrl: '/m/p', methodAction: '/m/method', abortAction: '/a', clientName: 'Acme', choices },
  'account/security': {
    email: 'j@example.com', hasPassword: true, phone: '+447911123456', smsEnabled: true, lastWayIn: false, canChange: true,
    passkeys: [{ id: 'cred-1', name: 'Phone', createdAt: '2026-11-01', lastUsedAt: null, synced: true }],
    linkedAccounts: [{ connectionId: 'conn-1', subject: 'upstream-1', name: 'Google', linkedAt: '2026-11-03' }],
    linkable: [{ id: 'conn-2', name: 'Apple' }], pendingReview: { count: 1, points: 500 },
    app: { createdAt: '2026-11-02', lastUsedAt: null }, recoveryCodesLeft: 9, reauthUrl: '/account/sign-in?reauth=1', notice: 'account.notice.app_added', suggestEndSessions: true,
    memberNumber: '79927398713', balance: 12_345,
  },
  'account/security#weak': {
    email: 'j@example.com', hasPassword: false, phone: null, smsEnabled: false, lastWayIn: true, canChange: false,
    passkeys: [{ id: 'cred-1', name: 'Phone', createdAt: '2026-11-01', lastUsedAt: '2026-11-03', synced: false }],
    linkedAccounts: [], linkable: [], pendingReview: null, app: null, recoveryCodesLeft: 0, reauthUrl: '/account/sign-in?reauth=1', notice: null, suggestEndSessions: false,
    memberNumber: '79927398713', balance: 0,
  },
  'account/signed-out': { signInUrl: '/account/sign-in', wayBack: { href: 'https://acme.example/', clientName: null } },
  'home/home': { signInUrl: '/account/sign-in', signUpUrl: '/account/sign-in?signup=1' },
  'profile/complete': {
    action: '/p', skipAction: '/p/skip', clientName: 'Acme', canSkip: false,
    fields: [
      { name: 'given_name', id: 'field-given_name', type: 'text', choices: [], autocomplete: 'given-name', skippable: false },
      { name: 'birthdate', id: 'field-birthdate', type: 'date', choices: [], autocomplete: 'bday', skippable: true },
      { name: 'favourite_store', id: 'field-favourite_store', type: 'choice', choices: ['online', 'city_centre'], autocomplete: 'off', skippable: true },
    ],
    values: { given_name: 'Ada', favourite_store: 'online' }, errors: { birthdate: 'profile.error.date', favourite_store: 'profile.error.choice' }, error: 'profile.error.date',
  },
  'account/phone': { action: '/account/phone', value: 'abc', error: 'phone.invalid', phoneCountry: phoneCountryChoice(['MX', 'BR'], 'en', 'MX') },
  'account/phone-code': { action: '/account/phone/verify', resendAction: '/account/phone', resendValue: '+447911123456', destination: '+44 ••• ••• 3456', error: 'code.exhausted', info: null },
  'account/card': { action: '/account/card', value: '12ab', error: 'card.invalid' },
  'account/coupon': { action: '/account/coupon', value: 'summer-24', error: 'coupon.error.member_limit' },
  'account/card-code': { action: '/account/card/verify', resendAction: '/account/card', resendValue: '00123456789', smsEnabled: true, error: 'code.invalid', info: 'card.sent' },
  'account/card-code#no-sms': { action: '/account/card/verify', resendAction: '/account/card', resendValue: '00123456789', smsEnabled: false, error: null, info: 'code.too_soon' },
  'verification/verify': { action: '/v', resendAction: '/v/resend', changeAction: '/v/change', email: 'jo@example.com', error: 'code.invalid', info: 'verify.sent', cooldownSeconds: 30 },
  'recovery/forgot': { action: '/f', email: '', error: 'email.invalid', signInUrl: '/interaction/u1' },
  'recovery/reset': { action: '/r', resendAction: '/r/resend', email: 'j***@example.com', errors: { code: 'code.expired', password: 'password.common', form: 'reset.error.generic' }, info: 'reset.sent' },
  'consent/consent': { action: '/c', abortAction: '/c/abort', clientName: 'Acme', clientUri: 'https://acme.example/', policyUri: 'javascript:alert(1)', tosUri: null, scopes: ['openid', 'email', 'loyalty', 'x-unknown'], claims: ['member_number'], accountEmail: 'j@example.com' },
  'device/code-input': { formAction: '/device', hiddenFields: hidden, error: 'device.error.invalid', userCode: 'BCDF-GHJK' },
  'device/code-confirm': { formAction: '/device', hiddenFields: hidden, clientName: 'TV', userCode: 'BCDF-GHJK', deviceInfo: 'Living-room TV' },
  'device/success': { clientName: 'TV' },
  'device/error': { error: 'device.error.invalid' },
  'logout/confirm': { formAction: '/session/end/confirm', hiddenFields: hidden, clientName: null },
  'logout/success': { clientName: 'Acme' },
  'errors/error': { status: 500, messageId: 'error.generic', requestId: 'req-1' },
  'errors/blocked': { retryAfterSeconds: 120 },
};

// Forms oidc-provider owns carry its own hidden xsrf field instead of ours.
const PROVIDER_FORMS = new Set(['device/code-input', 'device/code-confirm', 'logout/confirm']);

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

// A '#variant' suffix renders the same view with other locals.
describe.each(Object.entries(PAGES))('%s', (name, locals) => {
  const view = name.split('#')[0]!;
  let html = '';
  beforeAll(async () => {
    html = await renderView(view, { ...base, ...locals });
  });

  it('is a complete page with one h1, a language, a viewport and the stylesheet', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta name="viewport"');
    expect(html).toContain('<link rel="stylesheet" href="/static/app.css">');
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(html.match(/<main[\s>]/g)).toHaveLength(1);
    expect(html).toMatch(/<title>[^<]+ – [^<]+<\/title>/);
  });

  it('has no inline script or style and no external resources', () => {
    // Scripts only as files from our own /static/, with nothing between the tags.
    const withoutOwnScripts = html.replace(/<script src="\/static\/[a-z0-9.-]+\.js" defer><\/script>/g, '');
    expect(withoutOwnScripts).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\/(?!acme\.example\/)/);
  });

  it('labels every visible input and links each describedby to an element', () => {
    const inputs = [...html.matchAll(/<input\b[^>]*>/g)].map((m) => m[0]).filter((tag) => attr(tag, 'type') !== 'hidden');
    for (const input of inputs) {
      const id = attr(input, 'id');
      expect(id).toBeTruthy();
      expect(html).toContain(`<label for="${id}">`);
      for (const ref of (attr(input, 'aria-describedby') ?? '').split(' ').filter(Boolean)) expect(html).toContain(`id="${ref}"`);
    }
    for (const [, forId] of html.matchAll(/<label for="([^"]+)">/g)) expect(html).toContain(`id="${forId}"`);
  });

  it('puts the right hidden field in every POST form', () => {
    const forms = [...html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => m[1] ?? '');
    for (const body of forms) {
      if (PROVIDER_FORMS.has(view)) {
        expect(body).toContain('<input type="hidden" name="xsrf" value="provider-xsrf">');
        expect(body).not.toContain('name="csrf"');
      } else {
        expect(body).toContain('<input type="hidden" name="csrf" value="csrf-token-value">');
      }
    }
  });

  it('shows errors in an alert', () => {
    const hasError = Boolean(locals.error ?? locals.errors);
    if (hasError) expect(html).toContain('role="alert"');
  });
});

describe('renderView', () => {
  it('finds the views directory', () => {
    expect(VIEWS_DIR).toMatch(/views$/);
  });

  it('escapes every value', async () => {
    const html = await renderView('login/login', { ...base, ...PAGES['login/login'], email: '"><script>x</script>', clientName: '<b>Acme</b>' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;Acme&lt;/b&gt;');
  });

  it('uses the plain labels and buttons outside tests look for', async () => {
    const login = await renderView('login/login', { ...base, ...PAGES['login/login'] });
    expect(login).toContain('<label for="email">Email</label>');
    expect(login).toContain('<label for="password">Password</label>');
    expect(login).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(login).toContain('>Create account</a>');
    const register = await renderView('registration/register', { ...base, ...PAGES['registration/register'] });
    expect(register).toMatch(/<button type="submit"[^>]*>Create account<\/button>/);
    const verify = await renderView('verification/verify', { ...base, ...PAGES['verification/verify'] });
    expect(verify).toContain('<label for="code">Verification code</label>');
    expect(verify).toMatch(/<button type="submit"[^>]*>Continue<\/button>/);
    expect(verify).toContain('autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6"');
    expect(verify).toContain('You can ask for a new code in 30 seconds.');
  });

  it('never links a non-http client URL and shows unknown scopes by name', async () => {
    const html = await renderView('consent/consent', { ...base, ...PAGES['consent/consent'] });
    expect(html).not.toContain('javascript:');
    expect(html).toContain('href="https://acme.example/"');
    expect(html).toContain('<li>x-unknown</li>');
    expect(html).toContain('name="decision" value="allow"');
  });

  it('shows only known messages on the error page', async () => {
    const html = await renderView('errors/error', { ...base, status: 500, messageId: 'SQLITE_BUSY: database is locked' });
    expect(html).not.toContain('SQLITE');
    expect(html).toContain('Something went wrong. Please try again.');
    expect(html).toContain('Reference: req-1');
  });

  it('renders optional locals as absent', async () => {
    const html = await renderView('login/login', { lang: 'en', action: '/a', registerUrl: '/r', forgotUrl: '/f', abortUrl: '/x' });
    expect(html).not.toContain('role="alert"');
    expect(html).toContain('Sign in to your loyalty account.');
  });

  it('sends confirm exactly once from the device confirmation (oidc-provider rejects duplicate params)', async () => {
    const hiddenFields = [{ name: 'xsrf', value: 'x' }, { name: 'user_code', value: 'BCDF-GHJK' }, { name: 'confirm', value: 'yes' }];
    const html = await renderView('device/code-confirm', { ...base, ...PAGES['device/code-confirm'], hiddenFields });
    expect(html.match(/name="confirm"/g)).toHaveLength(1);
    expect(html).toContain('<button type="submit" class="button button-primary" name="confirm" value="yes">');
    expect(html).toContain('<input type="hidden" name="user_code" value="BCDF-GHJK">');
  });

  it('refuses view names that could leave views/', async () => {
    await expect(renderView('../package', base)).rejects.toThrow('invalid view name');
    await expect(renderView('login/../../x', base)).rejects.toThrow('invalid view name');
  });

  it('accepts only http(s) hrefs', () => {
    expect(safeHref('https://a.example/p?q=1')).toBe('https://a.example/p?q=1');
    expect(safeHref('JavaScript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('/relative')).toBeNull();
    expect(safeHref(null)).toBeNull();
  });
});
