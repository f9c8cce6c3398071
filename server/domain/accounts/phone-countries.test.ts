// Local phone numbers (issue 15): each market's national form reads as the right E.164 number, numbers are
// shown back grouped for humans, and the phone field preselects the member's country with its example.
import { exampleNumber, languageRegion, phoneCountryChoice, preselectedCountry } from './phone-countries.ts';
import { formatPhone, parsePhoneNumber } from './phone-number.ts';

const PROGRAM = ['MX', 'BR', 'FR', 'PL', 'AR', 'CO'];

describe('national and international forms per country', () => {
  test.each([
    ['MX', '55 1234 5678', '+525512345678', '+52 55 1234 5678'],
    ['MX', '+52 55 1234 5678', '+525512345678', '+52 55 1234 5678'],
    // The "1" Mexico dropped from mobiles in 2019, still typed and still in contacts.
    ['MX', '+52 1 55 1234 5678', '+525512345678', '+52 55 1234 5678'],
    ['MX', '00 52 1 55 1234 5678', '+525512345678', '+52 55 1234 5678'],
    ['BR', '(11) 91234-5678', '+5511912345678', '+55 11 91234 5678'],
    ['BR', '+55 11 91234-5678', '+5511912345678', '+55 11 91234 5678'],
    ['FR', '06 12 34 56 78', '+33612345678', '+33 6 12 34 56 78'],
    ['FR', '+33 6 12 34 56 78', '+33612345678', '+33 6 12 34 56 78'],
    ['PL', '512 345 678', '+48512345678', '+48 512 345 678'],
    ['PL', '+48 512-345-678', '+48512345678', '+48 512 345 678'],
    // Argentina: the old "15" mobile prefix and the international "9" read as the same mobile.
    ['AR', '011 15-2345-6789', '+5491123456789', '+54 9 11 2345 6789'],
    ['AR', '9 11 2345-6789', '+5491123456789', '+54 9 11 2345 6789'],
    ['CO', '321 1234567', '+573211234567', '+57 321 1234567'],
    ['CO', '+57 321 123 4567', '+573211234567', '+57 321 1234567'],
  ])('%s: "%s" is %s, shown as "%s"', (country, typed, e164, shown) => {
    expect(parsePhoneNumber(typed, country)).toEqual({ ok: true, e164, country });
    expect(formatPhone(e164)).toBe(shown);
  });

  test.each([
    ['MX', '55 1234'],
    ['BR', '(11) 1234'],
    ['FR', '06 12 34'],
    ['PL', '512 345'],
    ['AR', '11 2345'],
    ['CO', '321 12'],
  ])('%s: "%s" is too short to be a number', (country, typed) => {
    expect(parsePhoneNumber(typed, country)).toEqual({ ok: false, reason: 'phone.invalid' });
  });

  test.each([
    ['FR', '01 23 45 67 89'],
    ['PL', '22 123 45 67'],
    ['BR', '(11) 2345-6789'],
    ['CO', '601 2345678'],
  ])('%s: the landline "%s" cannot take a text', (country, typed) => {
    expect(parsePhoneNumber(typed, country)).toEqual({ ok: false, reason: 'phone.not_mobile' });
  });

  test('a number the stored form cannot parse is shown as stored', () => {
    expect(formatPhone('+999')).toBe('+999');
  });
});

describe('the phone field\'s country', () => {
  test.each([
    ['es', 'MX'],
    ['pt-BR', 'BR'],
    ['fr', 'FR'],
    ['pl', 'PL'],
  ])('a %s page preselects %s', (lang, country) => {
    expect(languageRegion(lang)).toBe(country);
    expect(preselectedCountry(PROGRAM, lang, undefined, undefined)).toBe(country);
  });

  test('an English page preselects SMS_DEFAULT_COUNTRY, else the first of SMS_COUNTRIES', () => {
    expect(preselectedCountry(PROGRAM, 'en', undefined, 'CO')).toBe('CO');
    expect(preselectedCountry(PROGRAM, 'en', undefined, undefined)).toBe('MX');
    expect(preselectedCountry(['PL', 'FR'], 'en', undefined, undefined)).toBe('PL');
  });

  test('the request\'s country wins when it is one of the program\'s, else the language decides', () => {
    expect(preselectedCountry(PROGRAM, 'es', 'CO', undefined)).toBe('CO');
    expect(preselectedCountry(PROGRAM, 'es', 'AR', 'MX')).toBe('AR');
    expect(preselectedCountry(PROGRAM, 'es', 'US', undefined)).toBe('MX');
    expect(preselectedCountry(['FR', 'PL'], 'es', undefined, undefined)).toBe('FR');
  });

  test('countries are named in the page language with their calling code, sorted by name', () => {
    const labels = (lang: string) => phoneCountryChoice(PROGRAM, lang, 'MX').options.map((o) => o.label);
    expect(labels('es')).toEqual(['Argentina (+54)', 'Brasil (+55)', 'Colombia (+57)', 'Francia (+33)', 'México (+52)', 'Polonia (+48)']);
    expect(labels('fr')).toContain('Mexique (+52)');
    expect(labels('pl')).toContain('Meksyk (+52)');
    expect(labels('pt-BR')).toContain('Polônia (+48)');
    expect(phoneCountryChoice(PROGRAM, 'en', 'BR').options.filter((o) => o.selected).map((o) => o.code)).toEqual(['BR']);
  });

  test.each(PROGRAM)('%s: the example is a mobile number of that country in its national form', (country) => {
    const example = exampleNumber(country);
    expect(example).not.toMatch(/^\+/);
    const parsed = parsePhoneNumber(example, country);
    expect(parsed).toMatchObject({ ok: true, country });
  });
});
