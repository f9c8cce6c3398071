// Cookies signed before the switch from keygrip stay valid, and a forged or foreign signature is refused.
import Keygrip from 'keygrip';
import { CookieSigner } from './cookie-signer.ts';

const current = 'c'.repeat(43);
const previous = 'p'.repeat(43);
const data = '_session=Vbq1n2yA3F9kR0cQ7eXw';

describe('cookie signatures', () => {
  test('signs exactly as keygrip (what `cookies` used before), so existing signed cookies still verify', () => {
    const reference = new Keygrip([current]);
    const signer = new CookieSigner([current]);
    expect(signer.sign(data)).toBe(reference.sign(data));
    expect(signer.index(data, reference.sign(data))).toBe(0);
    expect(reference.index(data, signer.sign(data))).toBe(0);
  });

  test('a signature made with a rotated-out key is recognised by its index (cookies then re-signs with the current key)', () => {
    const signer = new CookieSigner([current, previous]);
    expect(signer.index(data, new Keygrip([previous]).sign(data))).toBe(1);
    expect(signer.verify(data, signer.sign(data))).toBe(true);
  });

  test('a signature of other data, from another key, truncated or empty is refused', () => {
    const signer = new CookieSigner([current]);
    const valid = signer.sign(data);
    expect(signer.index(`${data}x`, valid)).toBe(-1);
    expect(signer.index(data, new Keygrip(['attacker'.repeat(6)]).sign(data))).toBe(-1);
    expect(signer.index(data, valid.slice(0, -1))).toBe(-1);
    expect(signer.index(data, '')).toBe(-1);
    expect(signer.verify(data, `${valid}=`)).toBe(false);
  });
});
