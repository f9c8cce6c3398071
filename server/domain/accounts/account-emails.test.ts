// Emails and texts are written in the language they are given, and the code keeps its shape in every one:
// alone on its line in emails, first in texts, and the untranslated WebOTP line last.
import { readFileSync } from 'node:fs';
import { SUPPORTED_LANGUAGES } from '../../i18n/locales/index.ts';
import { smsSignInCode, smsStepUpCode } from '../sms/sms-texts.ts';
import { cardClaimCode, securityChanged, signInCode, verificationCode } from './account-emails.ts';

const catalogue = (tag: string) => JSON.parse(readFileSync(new URL(`../../i18n/locales/${tag}.json`, import.meta.url), 'utf8')) as Record<string, string>;

describe.each(SUPPORTED_LANGUAGES.map((tag) => [tag]))('%s', (tag) => {
  const messages = catalogue(tag);

  it('writes the verification email in the language, the code alone on its own line', () => {
    const mail = verificationCode('a@example.com', '012345', tag);
    expect(mail.subject).toBe(messages['email.verification_code.subject']);
    expect(mail.text).toMatch(/^012345$/m);
    expect(mail.text.split('\n').filter((line) => /\d{6}/.test(line))).toEqual(['012345']);
    expect(signInCode('a@example.com', '987654', tag).text).toMatch(/^987654$/m);
  });

  it('writes a security notice around a translated change', () => {
    const mail = securityChanged('a@example.com', { id: 'email.change.card_claimed', params: { last4: '1234', points: 2 } }, tag);
    expect(mail.subject).toBe(messages['email.security_changed.subject']);
    expect(mail.text).toContain('1234');
    expect(mail.text).not.toContain('{');
    expect(cardClaimCode('a@example.com', '9876', '112233', tag).text).toMatch(/^112233$/m);
  });

  it('starts texts with the code and ends them with the WebOTP line, untranslated', () => {
    for (const sms of [smsSignInCode('+48500000000', '424242', 'id.example.com', tag), smsStepUpCode('+48500000000', '424242', 'id.example.com', tag)]) {
      expect(sms.text.split('\n').at(-1)).toBe('@id.example.com #424242');
      expect(sms.text).toContain('424242');
    }
    expect(smsSignInCode('+48500000000', '424242', 'id.example.com', tag).text.startsWith((messages['sms.sign_in_code'] ?? '').split('{code}')[0] ?? '')).toBe(true);
  });
});

it('an unknown language gets English', () => {
  expect(verificationCode('a@example.com', '012345', 'xx').subject).toBe('Your verification code');
});
