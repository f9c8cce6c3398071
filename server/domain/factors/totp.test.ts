// TOTP against the published vectors (RFC 4226 appendix D, RFC 6238 appendix B) and the ±1 step window.
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpAt, totpStep } from './totp.ts';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('hotp', () => {
  it.each([
    [0, '755224'], [1, '287082'], [2, '359152'], [3, '969429'], [4, '338314'],
    [5, '254676'], [6, '287922'], [7, '162583'], [8, '399871'], [9, '520489'],
  ])('RFC 4226 counter %i gives %s', (counter, expected) => {
    expect(hotp(RFC_SECRET, counter)).toBe(expected);
  });
});

describe('totp', () => {
  it.each([
    [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
    [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
  ])('RFC 6238 SHA-1 vector at %i s gives %s (8 digits)', (seconds, expected) => {
    expect(totpAt(RFC_SECRET, new Date(seconds * 1000), 8)).toBe(expected);
  });

  it('accepts the previous, current and next step and nothing further', () => {
    const now = new Date(1_700_000_000_000);
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) {
      expect(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step + offset), now)).toBe(step + offset);
    }
    for (const offset of [-3, -2, 2, 3]) {
      expect(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step + offset), now)).toBeUndefined();
    }
  });

  it.each(['', '12345', '1234567', 'abcdef', ' 123456', '12345\n', '１２３４５６'])('refuses the malformed code %j', (code) => {
    expect(matchTotp(RFC_SECRET, code, new Date())).toBeUndefined();
  });
});

describe('base32 and otpauth', () => {
  it('round-trips and reads what members type (lower case, spaces, padding)', () => {
    const secret = Buffer.from('0123456789abcdef0123', 'hex');
    const text = base32Encode(secret);
    expect(base32Decode(text)).toEqual(secret);
    expect(base32Decode(text.toLowerCase().replace(/(.{4})/g, '$1 ') + '==')).toEqual(secret);
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI'); // RFC 4648 §10
    expect(() => base32Decode('not base32!')).toThrow();
  });

  it('builds the Key Uri Format with issuer, algorithm, digits and period', () => {
    const uri = new URL(otpauthUri({ issuer: 'Loyalty Club', accountName: 'ann@example.com', secret: RFC_SECRET }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Loyalty Club:ann@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', issuer: 'Loyalty Club', algorithm: 'SHA1', digits: '6', period: '30',
    });
  });
});
