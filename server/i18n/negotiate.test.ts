// Choosing the page language: ui_locales, saved locale, picked language, Accept-Language (quality values,
// region fallback), DEFAULT_LOCALE; and hostile or malformed input that must fall through silently.
import { getDefaultLanguage, setDefaultLanguage } from './locales/index.ts';
import { chooseLanguage, fromAcceptLanguage, fromUiLocales, matchLanguage, negotiateLanguage } from './negotiate.ts';

describe('matchLanguage (region fallback)', () => {
  it.each([
    ['fr', 'fr'], ['fr-CA', 'fr'], ['FR-fr', 'fr'],
    ['pt-BR', 'pt-BR'], ['pt-br', 'pt-BR'], ['pt-PT', 'pt-BR'], ['pt', 'pt-BR'],
    ['es', 'es'], ['es-AR', 'es'], ['es-MX', 'es'], ['es-419', 'es'], ['es-ES', 'es'],
    ['pl-PL', 'pl'], ['en-GB', 'en'],
  ])('%s → %s', (tag, expected) => {
    expect(matchLanguage(tag)).toBe(expected);
  });

  it.each(['de', 'xx-YY', '', '*', 'fr_CA', '../fr', '__proto__', 'constructor', 'en;q=1'])('%j matches nothing', (tag) => {
    expect(matchLanguage(tag)).toBeUndefined();
  });
});

describe('Accept-Language', () => {
  it('defaults to DEFAULT_LOCALE without a usable header', () => {
    expect(negotiateLanguage(undefined)).toBe('en');
    expect(negotiateLanguage('')).toBe('en');
    expect(negotiateLanguage('de, it;q=0.5')).toBe('en');
    expect(negotiateLanguage('*')).toBe('en');
  });

  it('follows quality values, skipping unsupported and q=0 ranges', () => {
    expect(fromAcceptLanguage('de-DE;q=1, fr;q=0.8, en;q=0.5')).toBe('fr');
    expect(fromAcceptLanguage('en;q=0.4, pl;q=0.9')).toBe('pl');
    expect(fromAcceptLanguage('fr;q=0, pt-BR')).toBe('pt-BR');
    expect(fromAcceptLanguage('es-AR,es;q=0.9,en;q=0.8')).toBe('es');
  });

  it('keeps header order between equal weights', () => {
    expect(fromAcceptLanguage('pl, fr')).toBe('pl');
    expect(fromAcceptLanguage('fr;q=0.5, pl;q=0.5')).toBe('fr');
  });

  it('falls back from a region to its language (pt-PT → pt-BR, fr-CA → fr, es-MX → es)', () => {
    expect(fromAcceptLanguage('pt-PT,pt;q=0.9')).toBe('pt-BR');
    expect(fromAcceptLanguage('fr-CA')).toBe('fr');
    expect(fromAcceptLanguage('es-MX')).toBe('es');
  });

  it('ignores malformed ranges and weights, and survives oversized headers', () => {
    expect(negotiateLanguage(';;;,,,q=abc,en;q=2')).toBe('en');
    expect(fromAcceptLanguage('fr;q=abc, pl;q=0.1')).toBe('pl');
    expect(fromAcceptLanguage('fr;q=2')).toBeUndefined();
    expect(fromAcceptLanguage('<script>, fr')).toBe('fr');
    expect(negotiateLanguage(`${'x,'.repeat(100_000)}fr`)).toBe('en');
    expect(negotiateLanguage('__proto__, constructor')).toBe('en');
  });
});

describe('ui_locales', () => {
  it('takes the first supported tag of the space-separated list', () => {
    expect(fromUiLocales('de fr-CA pl')).toBe('fr');
    expect(fromUiLocales('pt-BR')).toBe('pt-BR');
    expect(fromUiLocales('  es  ')).toBe('es');
  });

  it('falls back silently on unknown or malformed values', () => {
    expect(fromUiLocales('de it')).toBeUndefined();
    expect(fromUiLocales('')).toBeUndefined();
    expect(fromUiLocales(['fr'])).toBeUndefined();
    expect(fromUiLocales(undefined)).toBeUndefined();
    expect(fromUiLocales('%%% <x>')).toBeUndefined();
  });
});

describe('chooseLanguage: the order of the language rules', () => {
  const all = { uiLocales: 'fr', saved: 'pl', picked: 'pt-BR', acceptLanguage: 'es' };

  it('ui_locales first', () => {
    expect(chooseLanguage(all)).toBe('fr');
  });

  it('then the saved locale (claim)', () => {
    expect(chooseLanguage({ ...all, uiLocales: 'de' })).toBe('pl');
  });

  it('then the language picked on the page (cookie)', () => {
    expect(chooseLanguage({ ...all, uiLocales: undefined, saved: null })).toBe('pt-BR');
  });

  it('then Accept-Language', () => {
    expect(chooseLanguage({ acceptLanguage: 'es-AR', picked: 'xx' })).toBe('es');
  });

  it('then DEFAULT_LOCALE', () => {
    expect(chooseLanguage({})).toBe('en');
    const before = getDefaultLanguage();
    try {
      setDefaultLanguage('pl');
      expect(chooseLanguage({ acceptLanguage: 'de' })).toBe('pl');
      expect(negotiateLanguage(undefined)).toBe('pl');
    } finally {
      setDefaultLanguage(before);
    }
  });

  it('refuses a DEFAULT_LOCALE without a catalogue', () => {
    expect(() => setDefaultLanguage('de')).toThrow(/DEFAULT_LOCALE de/);
  });
});
