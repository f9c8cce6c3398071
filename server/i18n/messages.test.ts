// Every message id a template uses exists in English, templates carry no literal copy, and ICU formatting works.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration } from './format-duration.ts';
import { english as en } from './locales/index.ts';
import { hasMessage, translate, translator } from './messages.ts';
import type { MessageId } from './messages.ts';

const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

function templates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return templates(full);
    return entry.name.endsWith('.ejs') ? [full] : [];
  });
}

// t('login.title') / t("x", {...}) with a literal id, and ids handed to partials (titleId: '...', labelId: '...').
const T_CALL = /\bt\(\s*(['"])([^'"]+)\1\s*[,)]/g;
const ID_PROPERTY = /\b(?:title|label|hint|message|error|formError)Id:\s*(['"])([^'"]+)\1/g;
// Either side of a ternary choosing between two ids: t(sms ? 'mfa.intro_sms' : 'mfa.intro').
const TERNARY_IDS = /\?\s*'([a-z_]+\.[a-z_.]+)'\s*:\s*'([a-z_]+\.[a-z_.]+)'/g;

function idsUsedIn(source: string): string[] {
  const ternaries = [...source.matchAll(TERNARY_IDS)].flatMap((match) => [match[1] ?? '', match[2] ?? '']);
  return [...source.matchAll(T_CALL), ...source.matchAll(ID_PROPERTY)].map((match) => match[2] ?? '').concat(ternaries);
}

const files = templates(viewsDir);

describe('templates', () => {
  it('are found', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  it.each(files.map((file) => [path.relative(viewsDir, file), file]))('%s uses only ids that exist in en', (_name, file) => {
    const unknown = idsUsedIn(readFileSync(file, 'utf8')).filter((id) => !hasMessage(id));
    expect(unknown).toEqual([]);
  });

  it.each(files.map((file) => [path.relative(viewsDir, file), file]))('%s contains no literal copy', (_name, file) => {
    const withoutEjs = readFileSync(file, 'utf8').replace(/<%[\s\S]*?%>/g, '');
    const copyAttributes = [...withoutEjs.matchAll(/\b(?:aria-label|placeholder|title|alt)="([^"]*)"/g)].map((m) => m[1] ?? '');
    const text = withoutEjs.replace(/<[^>]*>/g, ' ');
    expect([...copyAttributes, text].filter((chunk) => /\p{L}/u.test(chunk))).toEqual([]);
  });

  it('use every page-level id at least once somewhere (no dead page copy)', () => {
    const used = new Set(files.flatMap((file) => idsUsedIn(readFileSync(file, 'utf8'))));
    // Ids the server chooses (errors, notices, the program name when no branding file names it) or that templates
    // build dynamically are not literal in templates.
    const dynamicPrefixes = ['common.site_name', 'hooks.denied.body', 'scope.', 'claim.', 'password.', 'email.', 'code.', 'csrf.', 'error.', 'device.error.', 'login.error.', 'login.info.', 'register.error.', 'forgot.error.', 'reset.error.', 'consent.error.', 'verify.sent', 'verify.resent', 'reset.sent', 'reset.resent', 'mfa.sent', 'mfa.unavailable', 'mfa.intro_risk', 'code_sign_in.sent', 'recovery.', 'passkey.invalid', 'passkey.challenge', 'passkey.unknown', 'passkey.counter', 'passkey.duplicate', 'passkey.not_allowed', 'mfa.use_', 'account.notice.', 'account.phone_sent', 'phone.', 'profile.field.', 'profile.choice.', 'profile.error.', 'card.invalid', 'card.sent', 'coupon.error.', 'sms.', 'bot_challenge.step_', 'mfa.codes_file_', 'account.devices.notice.', 'account.history.event.', 'account.email.sent', 'account.email.same', 'account.email.unavailable', 'federation.error.', 'federation.info.', 'fraud.pending_review', 'account.apps.receives.', 'account.apps.notice.', 'consents.error.', 'consents.notice.', 'console.signed_out.', 'console.notice.', 'console.error.', 'console.audit_unknown_member', 'console.client_kind.', 'console.campaign_status.', 'console.client_error.', 'console.partner_error.', 'console.client_created_heading', 'console.secret_rotated_heading', 'console.dashboard.', 'console.security.', 'console.member.event.', 'console.member.factor_option_', 'kiosk_handoff.error.', 'merge.tier.', 'merge.error.', 'console.merge.error.', 'console.merge.proof.', 'phone_first.sent', 'phone_first.email_sent'];
    const unused = Object.keys(en).filter((id) => !used.has(id) && !dynamicPrefixes.some((prefix) => id.startsWith(prefix)));
    expect(unused).toEqual([]);
  });
});

describe('translate', () => {
  it('substitutes placeholders', () => {
    expect(translate('en', 'verify.sent', { email: 'j***@example.com' })).toBe('We sent a 6-digit code to j***@example.com. It expires in 10 minutes.');
    expect(translate('en', 'error.reference', { requestId: 'abc-123' })).toBe('Reference: abc-123');
  });

  it('substitutes every occurrence and leaves unknown placeholders visible', () => {
    expect(translate('en', 'consent.heading', {})).toBe('{clientName} wants to access your account');
    expect(translate('en', 'consent.heading', { clientName: 'Acme', other: 1 })).toBe('Acme wants to access your account');
  });

  it('formats numbers for the language where the message says so, and leaves plain values alone', () => {
    expect(translate('en', 'account.card_balance', { points: 1234567 })).toBe('Points: 1,234,567');
    // A code or member number is a plain argument: never grouped, leading zeros kept.
    expect(translate('en', 'sms.sign_in_code', { code: '012345' })).toMatch(/^012345 is your sign-in code/);
  });

  it('chooses the plural form through ICU rules', () => {
    expect(translate('en', 'email.change.card_claimed', { last4: '1234', points: 1 })).toContain('with its 1 point.');
    expect(translate('en', 'email.change.card_claimed', { last4: '1234', points: 2500 })).toContain('with its 2,500 points.');
  });

  it('does not interpret replacement patterns in values', () => {
    expect(translate('en', 'error.reference', { requestId: "$& $1 $' {requestId}" })).toBe("Reference: $& $1 $' {requestId}");
  });

  it('falls back to English for an unsupported language', () => {
    expect(translate('xx-YY', 'login.title')).toBe('Sign in');
    expect(translate('__proto__', 'login.title')).toBe('Sign in');
  });

  it('returns the id itself for an unknown id, including Object.prototype names', () => {
    expect(translate('en', 'no.such.id' as MessageId)).toBe('no.such.id');
    expect(translator('en')('constructor')).toBe('constructor');
    expect(hasMessage('toString')).toBe(false);
  });

  it('keeps the plain words outside tests look for', () => {
    const t = translator('en');
    expect([t('common.email'), t('common.password'), t('code.label'), t('login.submit'), t('register.submit'), t('common.continue')]).toEqual(['Email', 'Password', 'Verification code', 'Sign in', 'Create account', 'Continue']);
  });
});

describe('formatDuration', () => {
  it('says the unit in words, with the right plural, rounding up', () => {
    expect(formatDuration('en', 1)).toBe('1 second');
    expect(formatDuration('en', 0.2)).toBe('1 second');
    expect(formatDuration('en', 45)).toBe('45 seconds');
    expect(formatDuration('en', 600)).toBe('10 minutes');
    expect(formatDuration('en', 601)).toBe('11 minutes');
    expect(formatDuration('en', 7200)).toBe('2 hours');
    expect(formatDuration('zz', Number.NaN)).toBe('1 second');
  });
});
