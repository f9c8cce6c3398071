// Passkeys, by threat: phishing (another origin), another RP id, replayed responses and challenges, cloned
// authenticators (counter going back), no user verification, unknown or already-bound credentials, creating a
// passkey without a verified email, and malformed or cross-site requests to the JSON endpoints.
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { openLoginPage, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest } from '../../support/oidc-client.ts';
import {
  createPasskey, creationOptions, finishAtClient, interactionOf, openInteraction, passkeySignIn, postJson, requestOptions, signedIn,
  signUpWithPasskey, SoftAuthenticator, startPasskeySignUp, usePasskeyServer, verifiedPasskeySignUp,
  type Interaction, type JsonReply, type Knobs, type PostInit,
} from '../../support/soft-authenticator.ts';
import { STORES } from '../../support/test-server.ts';

const EVIL_ORIGIN = 'http://evil.localhost:1234';

/** Creation options no server issued: enough for an authenticator to answer where the server must not listen. */
const FORGED_CREATION_OPTIONS: PublicKeyCredentialCreationOptionsJSON = {
  rp: { id: 'localhost', name: 'Anyone' },
  user: { id: Buffer.from('nobody').toString('base64url'), name: 'nobody', displayName: 'nobody' },
  challenge: Buffer.from('not a challenge of ours').toString('base64url'),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
};

describe.each(STORES)('passkey threats (%s)', (store) => {
  const fx = usePasskeyServer(store);
  /** A member with a device-bound passkey, shared by the tests that do not depend on its counter. */
  let member: Awaited<ReturnType<typeof signUpWithPasskey>>;

  beforeAll(async () => {
    member = await signUpWithPasskey(fx, 'passkey-member');
  });

  const accountOf = async (email: string) => (await fx.server.container.storage.accounts.findByEmail(email))!;
  const passkeysOf = async (email: string) => fx.server.container.storage.passkeys.countByAccount((await accountOf(email)).id);

  /** Refused with this status and error id, no location to continue to, and this browser holds no session. */
  async function expectRefused(at: Interaction, reply: JsonReply, status: number, error: string) {
    expect({ status: reply.status, error: reply.body.error }).toEqual({ status, error });
    expect(reply.body.location).toBeUndefined();
    expect(await signedIn(fx, at.ua)).toBe(false);
  }

  /** What the server must check in every ceremony, whatever else is right in the response. */
  const FORGED: [string, Knobs][] = [
    ['phishing: clientDataJSON.origin is another site', { origin: EVIL_ORIGIN }],
    ['another relying party: authenticatorData hashes another rpId', { rpId: 'evil.localhost' }],
    ['no user verification: UV flag off (the device was unlocked by nobody)', { userVerified: false }],
    ['ceremony swap: clientDataJSON.type of the other ceremony', { otherCeremony: true }],
  ];

  describe.each(FORGED)('%s', (_threat, knobs) => {
    test('sign-in is refused', async () => {
      const { at, reply } = await passkeySignIn(fx, member.authenticator, knobs);
      await expectRefused(at, reply, 400, 'passkey.invalid');
    });

    test('creation is refused, and no passkey is stored', async () => {
      const email = uniqueEmail('passkey-create');
      const at = await verifiedPasskeySignUp(fx, email);
      await expectRefused(at, await createPasskey(at, new SoftAuthenticator({ origin: fx.server.url }), knobs), 400, 'passkey.invalid');
      expect(await passkeysOf(email)).toBe(0);
    });
  });

  describe('replay', () => {
    test('the same signed response sent twice in its interaction: the second is refused (passkey.challenge)', async () => {
      const { at, response, reply } = await passkeySignIn(fx, member.authenticator);
      expect(reply.status).toBe(200);
      const again = await postJson(at, '/passkey/login', { csrf: at.csrf, mode: 'button', response });
      expect({ status: again.status, error: again.body.error, location: again.body.location }).toEqual({ status: 400, error: 'passkey.challenge', location: undefined });
    });

    test('a response recorded after it was used, sent in a new interaction, is refused with or without options there', async () => {
      const { at: used, reply, response } = await passkeySignIn(fx, member.authenticator);
      await finishAtClient(fx, used, reply);
      // No challenge issued in the new interaction: nothing to answer.
      const bare = await openInteraction(fx);
      await expectRefused(bare, await postJson(bare, '/passkey/login', { csrf: bare.csrf, mode: 'button', response }), 400, 'passkey.challenge');
      // A challenge issued there, but the response signs the old one.
      const fresh = await openInteraction(fx);
      await requestOptions(fresh);
      await expectRefused(fresh, await postJson(fresh, '/passkey/login', { csrf: fresh.csrf, mode: 'button', response }), 400, 'passkey.invalid');
    });

    test('a response to options fetched in another interaction (relayed to an attacker\'s browser) is refused there', async () => {
      const victim = await openInteraction(fx);
      const response = member.authenticator.get(await requestOptions(victim));
      const attacker = await openInteraction(fx);
      await requestOptions(attacker);
      await expectRefused(attacker, await postJson(attacker, '/passkey/login', { csrf: attacker.csrf, mode: 'button', response }), 400, 'passkey.invalid');
      // Nor does the button's response answer the autofill request of its own interaction: one challenge per mode.
      await requestOptions(victim, 'autofill');
      await expectRefused(victim, await postJson(victim, '/passkey/login', { csrf: victim.csrf, mode: 'autofill', response }), 400, 'passkey.invalid');
    });

    test('a response sent in a mode whose options were never fetched finds no challenge', async () => {
      const at = await openInteraction(fx);
      const response = member.authenticator.get(await requestOptions(at, 'button'));
      await expectRefused(at, await postJson(at, '/passkey/login', { csrf: at.csrf, mode: 'autofill', response }), 400, 'passkey.challenge');
    });
  });

  test('cloned authenticator: after counter 5, counter 3, 5 again or 0 is refused (passkey.counter); the genuine 6 passes', async () => {
    const { authenticator, credentialId, claims } = await signUpWithPasskey(fx, 'passkey-clone');
    const first = await passkeySignIn(fx, authenticator, { counter: 5 });
    expect(first.reply.status).toBe(200);
    for (const counter of [3, 5, 0]) {
      const { at, reply } = await passkeySignIn(fx, authenticator, { counter });
      await expectRefused(at, reply, 400, 'passkey.counter');
    }
    expect((await fx.server.container.storage.passkeys.find(credentialId))?.counter).toBe(5);
    const genuine = await passkeySignIn(fx, authenticator);
    expect((await finishAtClient(fx, genuine.at, genuine.reply)).sub).toBe(claims.sub);
    expect((await fx.server.container.storage.passkeys.find(credentialId))?.counter).toBe(6);
  });

  test('unknown credential: a key this server never registered is refused (passkey.unknown)', async () => {
    const stranger = new SoftAuthenticator({ origin: fx.server.url });
    stranger.newCredential(Buffer.from('someone').toString('base64url'));
    const { at, reply } = await passkeySignIn(fx, stranger);
    await expectRefused(at, reply, 400, 'passkey.unknown');
  });

  test('account confusion: a userHandle naming another account never signs in as that account', async () => {
    const other = await signUpWithPasskey(fx, 'passkey-other');
    const otherHandle = other.authenticator.credentials[0]!.userHandle;
    const { at, reply } = await passkeySignIn(fx, member.authenticator, { userHandle: otherHandle });
    // WebAuthn §7.2: the user handle must name the credential's owner.
    await expectRefused(at, reply, 400, 'passkey.invalid');
  });

  describe('account binding: a credential id already on file cannot be registered for a second account', () => {
    test.each([
      ['the same credential (same key)', true],
      ['a new key under the same credential id', false],
    ])('%s: refused (passkey.duplicate); the first account keeps it and still signs in', async (_name, sameKey) => {
      const owner = await signUpWithPasskey(fx, 'passkey-owner');
      const before = await fx.server.container.storage.passkeys.find(owner.credentialId);
      const email = uniqueEmail('passkey-squatter');
      const at = await verifiedPasskeySignUp(fx, email);
      const ownerCredential = owner.authenticator.credentials[0]!;
      const reply = sameKey
        ? await createPasskey(at, owner.authenticator, { credential: ownerCredential })
        : await createPasskey(at, new SoftAuthenticator({ origin: fx.server.url }), { credentialId: ownerCredential.id });
      await expectRefused(at, reply, 400, 'passkey.duplicate');
      expect(await passkeysOf(email)).toBe(0);
      expect(await fx.server.container.storage.passkeys.find(owner.credentialId)).toEqual(before);
      const again = await passkeySignIn(fx, owner.authenticator);
      expect((await finishAtClient(fx, again.at, again.reply)).sub).toBe(owner.claims.sub);
    });
  });

  describe('creating a passkey without an email verified in this interaction (passkey.not_allowed)', () => {
    async function expectNotAllowed(at: Interaction) {
      await expectRefused(at, await postJson(at, '/passkey/create/options', { csrf: at.csrf }), 403, 'passkey.not_allowed');
      const response = new SoftAuthenticator({ origin: fx.server.url }).create(FORGED_CREATION_OPTIONS);
      await expectRefused(at, await postJson(at, '/passkey/create', { csrf: at.csrf, response }), 403, 'passkey.not_allowed');
    }

    test('right after opening the sign-in page', async () => {
      await expectNotAllowed(await openInteraction(fx));
    });

    test('after asking for a passwordless sign-up, before entering the emailed code', async () => {
      const email = uniqueEmail('passkey-unverified');
      await expectNotAllowed(await startPasskeySignUp(fx, email));
      expect(await passkeysOf(email)).toBe(0);
    });

    test('after verifying a password sign-up: that path never attaches a passkey', async () => {
      const email = uniqueEmail('passkey-password-signup');
      const ua = new UserAgent(fx.server.url);
      const request = await authorizationRequest(fx.config);
      await expectNotAllowed(interactionOf(ua, request, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email)));
      expect(await passkeysOf(email)).toBe(0);
    });

    test('in another interaction of the same browser than the one that verified the email', async () => {
      const email = uniqueEmail('passkey-other-interaction');
      const verified = await verifiedPasskeySignUp(fx, email);
      const request = await authorizationRequest(fx.config);
      const other = interactionOf(verified.ua, request, await openLoginPage(verified.ua, request.url));
      expect(other.uid).not.toBe(verified.uid);
      await expectNotAllowed(other);
      expect(await passkeysOf(email)).toBe(0);
    });
  });

  /**
   * Malformed and cross-site requests. Each is refused before any challenge is used, so the genuine request
   * sent after it still succeeds: proof that the refusal came from what was changed, nothing else.
   */
  type Body = Record<string, unknown>;
  interface Variant {
    send: (at: Interaction, path: string, valid: Body) => Promise<JsonReply>;
    status: number;
    error: string;
  }
  const as = (init: PostInit) => (at: Interaction, path: string, valid: Body) => postJson(at, path, valid, init);
  const withBody = (change: (valid: Body) => Body) => (at: Interaction, path: string, valid: Body) => postJson(at, path, change(valid));
  const changedResponse = (change: Body) => withBody((v) => ({ ...v, response: { ...(v.response as Body), ...change } }));
  const VARIANTS: Record<string, Variant> = {
    'no response': { send: withBody((v) => ({ ...v, response: undefined })), status: 400, error: 'passkey.invalid' },
    'response not an object (its JSON as a string)': { send: withBody((v) => ({ ...v, response: JSON.stringify(v.response) })), status: 400, error: 'passkey.invalid' },
    'response null': { send: withBody((v) => ({ ...v, response: null })), status: 400, error: 'passkey.invalid' },
    'credential type other than public-key': { send: changedResponse({ type: 'password' }), status: 400, error: 'passkey.invalid' },
    'credential id not a string': { send: changedResponse({ id: { $gt: '' } }), status: 400, error: 'passkey.invalid' },
    'a 40 KB body (the JSON limit is 32 KB)': { send: withBody((v) => ({ ...v, padding: 'x'.repeat(40 * 1024) })), status: 400, error: 'invalid_input' },
    'a form post instead of JSON': {
      send: (at, path, v) => postJson(at, path, undefined, {
        contentType: 'application/x-www-form-urlencoded',
        rawBody: new URLSearchParams(Object.entries(v).map(([k, value]): [string, string] => [k, typeof value === 'string' ? value : JSON.stringify(value)])).toString(),
      }),
      status: 403, error: 'forbidden',
    },
    // text/plain is what a cross-site page may POST without a CORS preflight: it must not be read as JSON.
    'JSON sent as text/plain': { send: (at, path, v) => postJson(at, path, undefined, { contentType: 'text/plain', rawBody: JSON.stringify(v) }), status: 403, error: 'forbidden' },
    'no csrf token': { send: withBody((v) => ({ ...v, csrf: undefined })), status: 403, error: 'forbidden' },
    'the csrf token of another interaction': {
      send: async (at, path, v) => postJson(at, path, { ...v, csrf: (await openInteraction(fx)).csrf }),
      status: 403, error: 'forbidden',
    },
    'an Origin header of another site': { send: as({ headers: { origin: EVIL_ORIGIN } }), status: 403, error: 'forbidden' },
    'Sec-Fetch-Site cross-site': { send: as({ headers: { 'sec-fetch-site': 'cross-site' } }), status: 403, error: 'forbidden' },
  };
  const variantNames = Object.keys(VARIANTS);

  describe('malformed or cross-site sign-in requests are refused, and nothing signs in', () => {
    test.each([...variantNames, 'no mode', 'an unknown mode'])('%s', async (name) => {
      const at = await openInteraction(fx);
      const valid = { csrf: at.csrf, mode: 'button', response: member.authenticator.get(await requestOptions(at)) };
      const variant = VARIANTS[name] ?? { send: withBody((v) => ({ ...v, mode: name === 'no mode' ? undefined : 'silent' })), status: 400, error: 'passkey.invalid' };
      await expectRefused(at, await variant.send(at, '/passkey/login', valid), variant.status, variant.error);
      expect((await postJson(at, '/passkey/login', valid)).status).toBe(200);
    });
  });

  describe('malformed or cross-site creation requests are refused, and no passkey is stored', () => {
    test.each(variantNames)('%s', async (name) => {
      const email = uniqueEmail('passkey-malformed');
      const at = await verifiedPasskeySignUp(fx, email);
      const valid = { csrf: at.csrf, response: new SoftAuthenticator({ origin: fx.server.url }).create(await creationOptions(at)) };
      const variant = VARIANTS[name]!;
      await expectRefused(at, await variant.send(at, '/passkey/create', valid), variant.status, variant.error);
      expect(await passkeysOf(email)).toBe(0);
      expect((await postJson(at, '/passkey/create', valid)).status).toBe(200);
      expect(await passkeysOf(email)).toBe(1);
    });

    test('transports not a list: refused as invalid, not a server error, and no passkey is stored', async () => {
      const email = uniqueEmail('passkey-transports');
      const at = await verifiedPasskeySignUp(fx, email);
      const response = new SoftAuthenticator({ origin: fx.server.url }).create(await creationOptions(at));
      const reply = await postJson(at, '/passkey/create', { csrf: at.csrf, response: { ...response, response: { ...response.response, transports: 'internal' } } });
      await expectRefused(at, reply, 400, 'passkey.invalid');
      expect(await passkeysOf(email)).toBe(0);
    });
  });
});
