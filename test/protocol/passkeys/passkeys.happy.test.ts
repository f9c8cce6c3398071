// Passkeys over HTTP with a software authenticator: passwordless sign-up and sign-in again at
// urn:loyalty:loa:phr, the amr saying hwk (device-bound) or swk (synced), and the signature counter.
import { finishAtClient, passkeySignIn, signUpWithPasskey, usePasskeyServer } from '../../support/soft-authenticator.ts';
import { STORES } from '../../support/test-server.ts';

const PHR = 'urn:loyalty:loa:phr';

describe.each(STORES)('passkeys over HTTP (%s)', (store) => {
  const fx = usePasskeyServer(store);

  test('sign-up with only a passkey: email, code, passkey, and the ID token says phr with hwk+user+mfa', async () => {
    const { email, claims, credentialId } = await signUpWithPasskey(fx, 'passkey-signup');
    expect(claims.acr).toBe(PHR);
    // No backup-eligible flag: a device-bound key, a hardware key in RFC 8176's terms.
    expect(claims.amr).toEqual(['hwk', 'user', 'mfa']);
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    expect(account).toMatchObject({ emailVerified: true, passwordHash: null });
    expect(claims.sub).toBe(account!.id);
    expect(await fx.server.container.storage.passkeys.find(credentialId)).toMatchObject({
      accountId: account!.id, deviceType: 'singleDevice', backedUp: false, counter: 0, transports: ['internal'],
    });
  });

  test('sign in again with the button, in a new browser: phr, the same subject, and the counter moves up each time', async () => {
    const { claims: first, authenticator, credentialId } = await signUpWithPasskey(fx, 'passkey-counting');
    for (const expected of [1, 2, 3]) {
      const { at, reply } = await passkeySignIn(fx, authenticator);
      const claims = await finishAtClient(fx, at, reply);
      expect(claims).toMatchObject({ acr: PHR, amr: ['hwk', 'user', 'mfa'], sub: first.sub });
      expect((await fx.server.container.storage.passkeys.find(credentialId))?.counter).toBe(expected);
    }
  });

  test('sign in by autofill: its own options and challenge, same result', async () => {
    const { claims: first, authenticator } = await signUpWithPasskey(fx, 'passkey-autofill');
    const { at, reply } = await passkeySignIn(fx, authenticator, {}, 'autofill');
    expect(await finishAtClient(fx, at, reply)).toMatchObject({ acr: PHR, sub: first.sub });
  });

  test('an authenticator whose counter is always 0 (most synced passkeys) signs in again and again', async () => {
    const { claims: first, authenticator, credentialId } = await signUpWithPasskey(fx, 'passkey-zero', { counter: 'zero' });
    for (let i = 0; i < 3; i += 1) {
      const { at, reply } = await passkeySignIn(fx, authenticator);
      expect(await finishAtClient(fx, at, reply)).toMatchObject({ acr: PHR, sub: first.sub });
    }
    expect((await fx.server.container.storage.passkeys.find(credentialId))?.counter).toBe(0);
  });

  test('a synced passkey (backup eligible and backed up) is a software key: amr swk+user+mfa, at sign-up and at sign-in', async () => {
    const { claims: first, authenticator, credentialId } = await signUpWithPasskey(fx, 'passkey-synced', { backedUp: true, counter: 'zero' });
    expect(first).toMatchObject({ acr: PHR, amr: ['swk', 'user', 'mfa'] });
    expect(await fx.server.container.storage.passkeys.find(credentialId)).toMatchObject({ deviceType: 'multiDevice', backedUp: true });
    const { at, reply } = await passkeySignIn(fx, authenticator);
    expect(await finishAtClient(fx, at, reply)).toMatchObject({ acr: PHR, amr: ['swk', 'user', 'mfa'], sub: first.sub });
  });
});
