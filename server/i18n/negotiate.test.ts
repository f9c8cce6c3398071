// Accept-Language negotiation: quality order, fallbacks, and hostile headers.
import { negotiateLanguage } from './negotiate.ts';

describe('negotiateLanguage', () => {
  it('defaults to English without a header', () => {
    expect(negotiateLanguage(undefined)).toBe('en');
    expect(negotiateLanguage('')).toBe('en');
  });

  it('matches a regional variant to its language', () => {
    expect(negotiateLanguage('en-GB,en;q=0.9')).toBe('en');
    expect(negotiateLanguage('EN-us')).toBe('en');
  });

  it('follows quality values and skips unsupported and q=0 ranges', () => {
    expect(negotiateLanguage('de-DE;q=1, fr;q=0.8, en;q=0.5')).toBe('en');
    expect(negotiateLanguage('en;q=0, de')).toBe('en');
    expect(negotiateLanguage('*')).toBe('en');
  });

  it('survives malformed and oversized headers', () => {
    expect(negotiateLanguage(';;;,,,q=abc,en;q=2')).toBe('en');
    expect(negotiateLanguage(`${'x,'.repeat(100_000)}en`)).toBe('en');
    expect(negotiateLanguage('__proto__, constructor')).toBe('en');
  });
});
