// Phone numbers: what members type becomes E.164; numbers that cannot take an SMS code (or cost us per
// message: premium, toll-free, satellite) are refused before anything is sent.
import { maskPhone, parsePhoneNumber } from './phone-number.ts';

describe('parsePhoneNumber', () => {
  test.each([
    ['UK mobile', '+44 7400 123456', undefined, '+447400123456', 'GB'],
    ['US number (mobile and fixed share ranges)', '+1 (201) 555-0123', undefined, '+12015550123', 'US'],
    ['German mobile', '+49 1512 3456789', undefined, '+4915123456789', 'DE'],
    ['French mobile', '+33 6 12 34 56 78', undefined, '+33612345678', 'FR'],
    ['Indian mobile', '+91 98765 43210', undefined, '+919876543210', 'IN'],
    ['UK national format with GB default', '07400 123456', 'GB', '+447400123456', 'GB'],
    ['US national format with US default', '(201) 555-0123', 'US', '+12015550123', 'US'],
    ['German national format with a slash', '0151/23456789', 'DE', '+4915123456789', 'DE'],
    ['international 00 prefix with a default country', '0044 7400 123456', 'GB', '+447400123456', 'GB'],
    ['a lower-case default country', '07400 123456', 'gb', '+447400123456', 'GB'],
    ['a +country number whatever the default', '+33 6 12 34 56 78', 'GB', '+33612345678', 'FR'],
    ['dashes, dots, parentheses and spaces', '  +44 (0)7400-123.456 ', undefined, '+447400123456', 'GB'],
    ['no spaces at all', '+447400123456', undefined, '+447400123456', 'GB'],
  ])('%s', (_name, input, country, e164, expectedCountry) => {
    expect(parsePhoneNumber(input, country)).toEqual({ ok: true, e164, country: expectedCountry });
  });

  test.each([
    ['UK premium rate 0906', '09061 234567', 'GB'],
    ['UK premium/shared 0845', '+44 845 123 4567', undefined],
    ['US premium rate 900', '+1 900 555 0123', undefined],
    ['UK toll free 0800', '+44 800 123 4567', undefined],
    ['US toll free 800', '+1 800 555 0199', undefined],
    ['UK fixed line', '+44 20 7946 0018', undefined],
    ['German fixed line', '+49 30 123456', undefined],
    ['French fixed line', '+33 1 23 45 67 89', undefined],
    ['UK VoIP', '+44 56 1234 5678', undefined],
    ['UK personal number', '+44 70 1234 5678', undefined],
    ['Inmarsat (non-geographic satellite)', '+870 773 111 632', undefined],
  ])('%s is refused as not a mobile', (_name, input, country) => {
    expect(parsePhoneNumber(input, country)).toEqual({ ok: false, reason: 'phone.not_mobile' });
  });

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['letters', 'call me maybe'],
    ['a number inside text', 'abc +44 7400 123456'],
    ['vanity letters', '+1-800-FLOWERS'],
    ['an extension', '+44 7400 123456 ext 12'],
    ['a # extension', '+44 7400 123456#12'],
    ['a plus sign in the middle', '44+7400123456'],
    ['too short', '+44 74'],
    ['an unassigned range', '+44 7700 900123'],
    ['an unknown country code', '+999 1234 5678'],
    ['huge input', '+44 ' + '7'.repeat(10_000)],
    ['33 characters of spaced digits', '+44 7400 123456' + ' '.repeat(18) + '0'],
    ['a full-width plus', '＋44 7400 123456'],
  ])('%s is invalid', (_name, input) => {
    expect(parsePhoneNumber(input, 'GB')).toEqual({ ok: false, reason: 'phone.invalid' });
  });

  test('national format without a default country is refused (members then type +country code)', () => {
    expect(parsePhoneNumber('07400 123456')).toEqual({ ok: false, reason: 'phone.invalid' });
    expect(parsePhoneNumber('(201) 555-0123')).toEqual({ ok: false, reason: 'phone.invalid' });
  });

  test('an unsupported default country counts as none', () => {
    expect(parsePhoneNumber('07400 123456', 'UK')).toEqual({ ok: false, reason: 'phone.invalid' });
    expect(parsePhoneNumber('+44 7400 123456', 'UK')).toEqual({ ok: true, e164: '+447400123456', country: 'GB' });
  });
});

describe('maskPhone', () => {
  test.each([
    ['+447400120123', '+44 ••• ••• 0123'],
    ['+12015550123', '+1 ••• ••• 0123'],
    ['+4915123456789', '+49 ••• ••• 6789'],
    ['+919876543210', '+91 ••• ••• 3210'],
  ])('%s keeps the country code and the last four digits', (e164, masked) => {
    expect(maskPhone(e164)).toBe(masked);
  });

  test('the mask does not reveal the length of the number', () => {
    expect(maskPhone('+4915123456789').length).toBe(maskPhone('+4915112345678').length);
    expect(maskPhone('+4915123456789').replace(/\d/g, '')).toBe(maskPhone('+33612345678').replace(/\d/g, ''));
  });

  test('a short number shows only its last two digits', () => {
    expect(maskPhone('+299551234')).toMatch(/ 34$/);
  });

  test('something that is not a number still comes out masked', () => {
    expect(maskPhone('not a phone 98')).toBe('••• ••• 98');
  });
});
