// BotChallenge on a real (in-memory SQLite) single-use store: every verdict, forgeries, replays and races,
// and junk of every type and size turned away before any crypto; plus the sign-up honeypot.
import { createHash, createHmac } from 'node:crypto';
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Storage } from '../../domain/storage.ts';
import { BotChallenge, type SingleUse } from './bot-challenge.ts';
import { honeypotTripped, HONEYPOT_FIELD } from './honeypot.ts';
import { leadingZeroBits, solveChallenge } from './solve.ts';

const KEY = Buffer.alloc(32, 7);
const UID = 'interaction-uid-1';
const DIFFICULTY = 10;

const powBits = (token: string, nonce: string) => leadingZeroBits(createHash('sha256').update(`${token}:${nonce}`).digest());

/** The first nonce whose hash has at least `min` but fewer than `max` zero bits: a near miss. */
function nearMiss(token: string, min: number, max: number): string {
  for (let nonce = 0; ; nonce += 1) {
    const bits = powBits(token, String(nonce));
    if (bits >= min && bits < max) return String(nonce);
  }
}

/** Re-signs a changed payload with `key`, as someone holding the key could (to reach checks past the MAC). */
function resign(token: string, key: Buffer, change: (payload: Buffer) => void): string {
  const payload = Buffer.from(token.split('.')[0]!, 'base64url');
  change(payload);
  return `${payload.toString('base64url')}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

describe('BotChallenge', () => {
  let storage: Storage;
  let challenge: BotChallenge;
  let claims: number;

  beforeAll(async () => {
    storage = await openSqliteStorage({ dataDir: ':memory:' });
  });
  afterAll(async () => storage.close());
  beforeEach(() => {
    claims = 0;
    const uses: SingleUse = { claimUse: (scope, value, expiresAt) => { claims += 1; return storage.factors.claimUse(scope, value, expiresAt); } };
    challenge = new BotChallenge({ key: KEY, difficulty: DIFFICULTY, ttlSeconds: 600, uses });
  });

  function solved(binding = UID) {
    const issued = challenge.issue(binding);
    return { ...issued, solution: solveChallenge(issued.token, issued.difficulty) };
  }

  it('issues a compact signed token carrying its difficulty, not the uid in clear', () => {
    const issued = challenge.issue(UID);
    expect(issued.difficulty).toBe(DIFFICULTY);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{51}\.[A-Za-z0-9_-]{43}$/);
    const payload = Buffer.from(issued.token.split('.')[0]!, 'base64url');
    expect(payload.includes(Buffer.from(UID))).toBe(false);
    expect(challenge.issue(UID).token).not.toBe(issued.token);
  });

  it('accepts a solved challenge once: ok, then replayed', async () => {
    const { token, solution } = solved();
    expect(powBits(token, solution)).toBeGreaterThanOrEqual(DIFFICULTY);
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('ok');
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('replayed');
    // Another solution of the same challenge is the same challenge.
    const other = String(Number(nearMiss(token, DIFFICULTY, 257)));
    await expect(challenge.verify(UID, token, other)).resolves.toBe('replayed');
  });

  it('lets exactly one of 20 concurrent verifies of one solved token through', async () => {
    const { token, solution } = solved();
    const results = await Promise.all(Array.from({ length: 20 }, () => challenge.verify(UID, token, solution)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'replayed')).toHaveLength(19);
  });

  it('says missing without a token', async () => {
    for (const token of [undefined, null, '']) await expect(challenge.verify(UID, token, '1')).resolves.toBe('missing');
    expect(claims).toBe(0);
  });

  it('says unsolved without a solution, or with too few zero bits, and burns nothing', async () => {
    const { token, solution } = solved();
    for (const empty of [undefined, null, '']) await expect(challenge.verify(UID, token, empty)).resolves.toBe('unsolved');
    await expect(challenge.verify(UID, token, nearMiss(token, DIFFICULTY - 4, DIFFICULTY))).resolves.toBe('unsolved');
    expect(claims).toBe(0);
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('ok');
  });

  it('refuses a challenge issued for another interaction, before looking at the work', async () => {
    const { token, solution } = solved('interaction-uid-2');
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('wrong_binding');
    await expect(challenge.verify(UID, token, '0')).resolves.toBe('wrong_binding');
    expect(claims).toBe(0);
    await expect(challenge.verify('interaction-uid-2', token, solution)).resolves.toBe('ok');
  });

  it('expires after its lifetime', async () => {
    const issuedAt = new Date();
    const issued = challenge.issue(UID, issuedAt);
    const solution = solveChallenge(issued.token, issued.difficulty);
    const at = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);
    await expect(challenge.verify(UID, issued.token, solution, at(601))).resolves.toBe('expired');
    await expect(challenge.verify(UID, issued.token, solution, at(599))).resolves.toBe('ok');
    expect(claims).toBe(1);
  });

  it('refuses a tampered payload, a tampered signature and a token of another key as malformed', async () => {
    const { token, solution } = solved();
    const [payload, mac] = token.split('.') as [string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    // Lowering the difficulty byte, or swapping the binding, is what a cheat would try.
    const easier = Buffer.from(payload, 'base64url');
    easier[33] = 1;
    for (const forged of [`${flip(payload, 5)}.${mac}`, `${easier.toString('base64url')}.${mac}`, `${payload}.${flip(mac, 10)}`, `${payload}.${mac.slice(0, -1)}`]) {
      await expect(challenge.verify(UID, forged, solution)).resolves.toBe('malformed');
    }
    const stranger = new BotChallenge({ key: Buffer.alloc(32, 8), difficulty: DIFFICULTY, ttlSeconds: 600, uses: storage.factors });
    const theirs = stranger.issue(UID);
    await expect(challenge.verify(UID, theirs.token, solveChallenge(theirs.token, DIFFICULTY))).resolves.toBe('malformed');
    // A non-canonical base64url spelling of the same bytes is a second token string for one challenge.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastBits = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1];
    expect(Buffer.from(lastBits, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
    await expect(challenge.verify(UID, `${payload}.${lastBits}`, solution)).resolves.toBe('malformed');
    expect(claims).toBe(0);
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('ok');
  });

  it('refuses a correctly signed payload of an unknown version or an impossible difficulty', async () => {
    const { token } = solved();
    await expect(challenge.verify(UID, resign(token, KEY, (p) => { p[0] = 2; }), '1')).resolves.toBe('malformed');
    await expect(challenge.verify(UID, resign(token, KEY, (p) => { p[33] = 0; }), '1')).resolves.toBe('malformed');
    await expect(challenge.verify(UID, resign(token, KEY, (p) => { p[33] = 200; }), '1')).resolves.toBe('malformed');
  });

  it('keeps each token to its own difficulty when the setting changes', async () => {
    const { token, solution } = solved();
    const harder = new BotChallenge({ key: KEY, difficulty: 16, ttlSeconds: 600, uses: storage.factors });
    expect(harder.issue(UID).difficulty).toBe(16);
    await expect(harder.verify(UID, token, solution)).resolves.toBe('ok');
  });

  it('turns away junk of every type and size as missing or malformed, without a claim', async () => {
    const { token, solution } = solved();
    const huge = 'A'.repeat(1024 * 1024);
    const junk: unknown[] = [0, 42, Number.NaN, true, [], [token], {}, { token }, huge, `${token}${huge}`, `${huge}.${huge}`, Symbol('x')];
    for (const value of junk) {
      await expect(challenge.verify(UID, value, solution)).resolves.toBe('malformed');
      if (value !== huge) await expect(challenge.verify(UID, token, value)).resolves.toBe('malformed');
    }
    for (const bad of [huge, '12345678901234567', '-1', '1.5', '1e3', ' 1', '0x10', 'abc', [solution], 12, { solution }]) {
      await expect(challenge.verify(UID, token, bad)).resolves.toBe('malformed');
    }
    expect(claims).toBe(0);
    await expect(challenge.verify(UID, token, solution)).resolves.toBe('ok');
  });

  it('refuses unusable settings', () => {
    const uses = storage.factors;
    expect(() => new BotChallenge({ key: Buffer.alloc(16), difficulty: 10, ttlSeconds: 600, uses })).toThrow(/key/);
    for (const difficulty of [0, 33, 1.5]) expect(() => new BotChallenge({ key: KEY, difficulty, ttlSeconds: 600, uses })).toThrow(/difficulty/);
    expect(() => new BotChallenge({ key: KEY, difficulty: 10, ttlSeconds: 0, uses })).toThrow(/lifetime/);
  });
});

describe('solve', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.of(0x80))).toBe(0);
    expect(leadingZeroBits(Uint8Array.of(0x01, 0xff))).toBe(7);
    expect(leadingZeroBits(Uint8Array.of(0, 0, 0x10))).toBe(19);
    expect(leadingZeroBits(new Uint8Array(32))).toBe(256);
  });

  it('finds the smallest nonce with enough zero bits', () => {
    const nonce = solveChallenge('some-token', 8);
    expect(powBits('some-token', nonce)).toBeGreaterThanOrEqual(8);
    for (let smaller = 0; smaller < Number(nonce); smaller += 1) expect(powBits('some-token', String(smaller))).toBeLessThan(8);
  });
});

describe('honeypotTripped', () => {
  it('is quiet when the field is absent, empty or blank', () => {
    expect(HONEYPOT_FIELD).toBe('website');
    for (const body of [undefined, null, 'website=x', {}, { email: 'a@example.com' }, { website: '' }, { website: '   \n\t' }, { website: undefined }, { website: [] }, { website: ['', ' '] }]) {
      expect(honeypotTripped(body)).toBe(false);
    }
  });

  it('trips on any content, repeated fields and non-text values', () => {
    for (const body of [{ website: 'https://spam.example' }, { website: ' x ' }, { website: ['', 'x'] }, { website: 0 }, { website: {} }]) {
      expect(honeypotTripped(body)).toBe(true);
    }
  });

  it('ignores a field inherited from the prototype', () => {
    expect(honeypotTripped(Object.create({ website: 'x' }))).toBe(false);
  });
});
