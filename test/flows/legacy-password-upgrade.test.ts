// Imported members sign in on day one with the password they know: the legacy hash verifies, is replaced by
// argon2id on the first successful sign-in (never on a wrong password), and weak-hash members are told.
import { createHash, pbkdf2Sync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, signIn, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';

const PASSWORD = 'legacy password from the old system';

// Firebase's published sample project (https://github.com/firebase/scrypt#password-hashing), password "user1password".
const FIREBASE_ENV = {
  FIREBASE_SCRYPT_SIGNER_KEY: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  FIREBASE_SCRYPT_SALT_SEPARATOR: 'Bw==',
  FIREBASE_SCRYPT_ROUNDS: '8',
  FIREBASE_SCRYPT_MEM_COST: '14',
};
const FIREBASE_HASH = '$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==';

const LEGACY: [name: string, hash: () => string, password: string][] = [
  ['bcrypt', () => bcrypt.hashSync(PASSWORD, 4), PASSWORD],
  ['Django PBKDF2', () => `pbkdf2_sha256$1000$s4lt$${pbkdf2Sync(PASSWORD, 's4lt', 1000, 32, 'sha256').toString('base64')}`, PASSWORD],
  ['Firebase scrypt', () => FIREBASE_HASH, 'user1password'],
];

describe.each(STORES)('legacy password upgrade on sign-in (%s)', (store) => {
  const fixture = useMemberServer(store, FIREBASE_ENV);

  async function importMember(passwordHash: string): Promise<string> {
    const email = uniqueEmail('imported');
    await fixture.server.container.storage.accounts.create({ email, emailVerified: true, passwordHash });
    return email;
  }

  async function attempt(email: string, password: string) {
    const ua = new UserAgent(fixture.server.url);
    return signIn(ua, await openLoginPage(ua, (await authorizationRequest(fixture.config)).url), email, password);
  }

  const storedHash = async (email: string) => (await fixture.server.container.storage.accounts.findByEmail(email))?.passwordHash;

  test.each(LEGACY)('a %s member signs in, the stored hash becomes argon2id, and signs in again', async (_name, makeHash, password) => {
    const legacy = makeHash();
    const email = await importMember(legacy);

    expect((await attempt(email, password)).url.startsWith(REDIRECT_URI)).toBe(true);
    const upgraded = await storedHash(email);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);

    expect((await attempt(email, password)).url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await storedHash(email)).toBe(upgraded);
  });

  test('a wrong password is refused like any other and does not touch the legacy hash', async () => {
    const legacy = bcrypt.hashSync(PASSWORD, 4);
    const email = await importMember(legacy);
    const page = await attempt(email, 'not the legacy password');
    expect(page.status).toBe(400);
    expect(page.body).toContain('role="alert"');
    expect(await storedHash(email)).toBe(legacy);
  });

  test('a member with a weak salted SHA-256 hash is upgraded and emailed once to keep the password secret', async () => {
    const legacy = `sha256$pepper1$${createHash('sha256').update(`pepper1${PASSWORD}`).digest('hex')}`;
    const email = await importMember(legacy);

    expect((await attempt(email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await storedHash(email)).toMatch(/^\$argon2id\$/);
    const notice = await fixture.sink.waitForMessage(email);
    expect(notice.text).toContain('Keep your password secret');

    const upgraded = await storedHash(email);
    expect((await attempt(email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    // The notice goes only with the write that replaced the weak hash; the second sign-in replaced nothing.
    expect(await storedHash(email)).toBe(upgraded);
    expect(fixture.sink.countFor(email)).toBe(1);
  });

  test('a hash in an unknown format never signs in', async () => {
    const email = await importMember('5f4dcc3b5aa765d61d8327deb882cf99');
    const page = await attempt(email, 'password');
    expect(page.status).toBe(400);
    expect(await storedHash(email)).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
  });
});
