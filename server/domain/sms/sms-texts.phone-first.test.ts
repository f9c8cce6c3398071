// The texts of sign-up by mobile number and of the kiosk's finish link (issue 21): one SMS segment in every
// language, so GSM-7 only (a single character outside it makes the text UCS-2, 70 characters a segment).
import { smsKioskFinish, smsPhoneSignUpCode, smsPhoneSignUpMember } from './sms-texts.ts';

const LANGUAGES = ['en', 'es', 'pt-BR', 'fr', 'pl'];
/** The GSM 03.38 basic set and its extension table (each extension character costs two of the 160). */
const GSM7_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€';

function septets(text: string): number | undefined {
  let count = 0;
  for (const char of text) {
    if (GSM7_BASIC.includes(char)) count += 1;
    else if (GSM7_EXTENSION.includes(char)) count += 2;
    else return undefined;
  }
  return count;
}

const HOST = 'id.loyalty.example';
const FINISH_URL = `https://${HOST}/account/security`;

describe.each(LANGUAGES)('phone-first SMS texts in %s', (lang) => {
  test.each([
    ['the sign-up code', smsPhoneSignUpCode('+5215512345678', '123456', HOST, lang).text],
    ['the "someone tried to join" notice', smsPhoneSignUpMember('+5215512345678', lang).text],
    ['the kiosk\'s finish link', smsKioskFinish('+5215512345678', FINISH_URL, lang).text],
  ])('%s is GSM-7 and fits one segment', (_name, text) => {
    expect({ text, septets: septets(text) }).toEqual({ text, septets: expect.any(Number) });
    expect(septets(text)).toBeLessThanOrEqual(160);
  });

  test('the code comes first and the notice carries none', () => {
    expect(smsPhoneSignUpCode('+5215512345678', '123456', HOST, lang).text.startsWith('123456')).toBe(true);
    expect(smsPhoneSignUpMember('+5215512345678', lang).text).not.toMatch(/\d{6}/);
    expect(smsKioskFinish('+5215512345678', FINISH_URL, lang).text).toContain(FINISH_URL);
  });
});
