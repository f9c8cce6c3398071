// A software WebAuthn authenticator (ES256, 'none' attestation, node:crypto) with attack knobs, driven through the hosted ceremonies.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { followLink, openLoginPage, uniqueEmail, UserAgent } from './member.ts';
import { authorizationRequest, exchange, type AuthRequest } from './oidc-client.ts';
import { type MemberServer, useMemberServer } from './suite.ts';
import type { StoreKind } from './test-server.ts';
import type { Page } from './user-agent.ts';

// ---------------------------------------------------------------------------------------------------------------
// CBOR (RFC 8949), only what attestation objects and COSE keys need. Maps are JS Maps so that integer keys
// (COSE labels) and their order survive; every length is encoded in the shortest form, as CTAP2 requires.

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.concat([Buffer.from([(major << 5) | 25]), u16(length)]);
  return Buffer.concat([Buffer.from([(major << 5) | 26]), u32(length)]);
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) >= 2 ** 32) throw new RangeError(`cbor: unsupported number ${value}`);
    // Major type 1 stores -1 - n, so -1 is 0x20 and -7 is 0x26.
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

// ---------------------------------------------------------------------------------------------------------------
// The authenticator.

/** authenticatorData flag bits (WebAuthn §6.1). */
const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;
const COSE_ES256 = -7;

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64url of the user.id the RP gave at creation: returned as userHandle (discoverable credential). */
  userHandle: string;
  /** The signature counter this authenticator last reported for the credential. */
  counter: number;
}

/** What a test may bend in one ceremony; everything left out is what an honest authenticator and browser do. */
export interface Knobs {
  /** clientDataJSON.origin: the browser reports the page's origin, so another value is a phishing site. */
  origin?: string;
  /** The RP id hashed into authenticatorData (an honest authenticator uses the options' rpId). */
  rpId?: string;
  /** false: the user was present but not verified (no PIN, no biometrics). */
  userVerified?: boolean;
  /** This exact signature counter, e.g. a clone replaying an older state. Does not move the stored one back. */
  counter?: number;
  /** clientDataJSON.type of the other ceremony: an assertion passed off as a registration, or the reverse. */
  otherCeremony?: boolean;
  /** create(): register this existing credential (or a new key under this credential id) instead of a new one. */
  credential?: SoftCredential;
  credentialId?: Buffer;
  /** get(): this userHandle instead of the one the credential was created with. */
  userHandle?: string;
}

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" is on: the page that called navigator.credentials. */
  origin: string;
  /** 'counting' adds one per signature (device-bound keys); 'zero' always reports 0, as synced passkeys do. */
  counter?: 'counting' | 'zero';
  /** BE+BS: a synced (backed-up) passkey, which the RP calls multiDevice and amr calls swk. */
  backedUp?: boolean;
}

/** The PublicKeyCredential JSON around a response, as the browser serialises it (toJSON()). */
function publicKeyCredential<R>(credential: SoftCredential, response: R) {
  const id = b64url(credential.id);
  return { id, rawId: id, type: 'public-key' as const, response, clientExtensionResults: {}, authenticatorAttachment: 'platform' as const };
}

/**
 * One authenticator holding discoverable ES256 credentials. Its responses are plain JSON values: a test
 * replays one (a stolen or recorded response) simply by sending it again.
 */
export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  private readonly options: Required<SoftAuthenticatorOptions>;

  constructor(options: SoftAuthenticatorOptions) {
    this.options = { counter: 'counting', backedUp: false, ...options };
  }

  /** A key pair made on this device without telling any RP: what an attacker or another site holds. */
  newCredential(userHandle: string, id: Buffer = randomBytes(32)): SoftCredential {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential = { id, privateKey, publicKey, userHandle, counter: 0 };
    this.credentials.push(credential);
    return credential;
  }

  /** navigator.credentials.create() with 'none' attestation. */
  create(options: PublicKeyCredentialCreationOptionsJSON, knobs: Knobs = {}): RegistrationResponseJSON {
    const credential = knobs.credential ?? this.newCredential(options.user.id, knobs.credentialId);
    const { x, y } = credential.publicKey.export({ format: 'jwk' });
    // COSE_Key (RFC 9053): kty 2 = EC2, alg -7 = ES256, crv 1 = P-256, then the coordinates.
    const coseKey = cbor(new Map<Cbor, Cbor>([[1, 2], [3, COSE_ES256], [-1, 1], [-2, Buffer.from(x!, 'base64url')], [-3, Buffer.from(y!, 'base64url')]]));
    const attested = Buffer.concat([Buffer.alloc(16) /* aaguid: none, like most passkey providers */, u16(credential.id.length), credential.id, coseKey]);
    const authData = this.authenticatorData(options.rp.id ?? new URL(this.options.origin).hostname, credential, knobs, FLAG.AT, attested);
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, knobs);
    return publicKeyCredential(credential, {
      clientDataJSON: b64url(clientDataJSON),
      attestationObject: b64url(cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))),
      transports: ['internal'],
    });
  }

  /** navigator.credentials.get() with the newest credential, discoverable (no allowCredentials, as on our sign-in page). */
  get(options: PublicKeyCredentialRequestOptionsJSON, knobs: Knobs = {}): AuthenticationResponseJSON {
    const credential = this.credentials.at(-1);
    if (!credential) throw new Error('soft authenticator: no credential to sign with');
    const authData = this.authenticatorData(options.rpId ?? new URL(this.options.origin).hostname, credential, knobs, 0);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, knobs);
    // ES256 signatures are DER-encoded ECDSA over authenticatorData ‖ SHA-256(clientDataJSON) (§6.3.3).
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return publicKeyCredential(credential, {
      clientDataJSON: b64url(clientDataJSON),
      authenticatorData: b64url(authData),
      signature: b64url(signature),
      userHandle: knobs.userHandle ?? credential.userHandle,
    });
  }

  /** rpIdHash ‖ flags ‖ signCount ‖ [attested credential data] (§6.1). */
  private authenticatorData(rpId: string, credential: SoftCredential, knobs: Knobs, extraFlags: number, attested?: Buffer): Buffer {
    let flags = FLAG.UP | extraFlags;
    if (knobs.userVerified !== false) flags |= FLAG.UV;
    if (this.options.backedUp) flags |= FLAG.BE | FLAG.BS;
    const counter = knobs.counter ?? this.nextCounter(credential, Boolean(attested));
    // An explicit counter (a clone's) is reported as is; the genuine device's own counter never goes back.
    credential.counter = Math.max(credential.counter, counter);
    return Buffer.concat([sha256(knobs.rpId ?? rpId), Buffer.from([flags]), u32(counter), ...(attested ? [attested] : [])]);
  }

  /** Counting authenticators start at 0 when the credential is made and add one per assertion. */
  private nextCounter(credential: SoftCredential, creating: boolean): number {
    return this.options.counter === 'zero' || creating ? credential.counter : credential.counter + 1;
  }

  /** What the browser, not the authenticator, writes: the page's origin and the RP's challenge. */
  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, knobs: Knobs): Buffer {
    const swapped = type === 'webauthn.get' ? 'webauthn.create' : 'webauthn.get';
    return Buffer.from(JSON.stringify({ type: knobs.otherCeremony ? swapped : type, challenge, origin: knobs.origin ?? this.options.origin, crossOrigin: false }), 'utf8');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The hosted ceremonies over HTTP, as public/passkey.js drives them in a browser.

/** The member-server fixture on a localhost issuer (see useMemberServer's publicHost). */
export type PasskeyServer = Pick<MemberServer, 'sink' | 'server' | 'config'>;

export const usePasskeyServer = (store: StoreKind): PasskeyServer => useMemberServer(store, {}, { publicHost: 'localhost' });

/** One browser in one interaction: its cookies, the interaction uid and the CSRF token its pages carry. */
export interface Interaction {
  ua: UserAgent;
  uid: string;
  csrf: string;
  request: AuthRequest;
  page: Page;
}

export interface JsonReply {
  status: number;
  body: { location?: string; error?: string; message?: string } & Record<string, unknown>;
}

/** The interaction `page` belongs to, as seen by the browser `ua` that opened it for `request`. */
export function interactionOf(ua: UserAgent, request: AuthRequest, page: Page): Interaction {
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];
  // The same token sits in every form's hidden input and in the passkey blocks' data-csrf.
  const csrf = /(?:name="csrf" value|data-csrf)="([^"]+)"/.exec(page.body)?.[1];
  if (!uid || !csrf) throw new Error(`no interaction or CSRF token on ${page.status} ${page.url}\n${page.body.slice(0, 500)}`);
  return { ua, uid, csrf, request, page };
}

/** A new browser at the sign-in page of a new authorization request. */
export async function openInteraction(fx: PasskeyServer, params: Record<string, string> = {}): Promise<Interaction> {
  const ua = new UserAgent(fx.server.url);
  const request = await authorizationRequest(fx.config, params);
  return interactionOf(ua, request, await openLoginPage(ua, request.url));
}

/** Passwordless sign-up up to the code: the email is submitted, the verification page shows. */
export async function startPasskeySignUp(fx: PasskeyServer, email: string): Promise<Interaction> {
  const start = await openInteraction(fx);
  const passkeyPage = await followLink(start.ua, await followLink(start.ua, start.page, '/register'), '/register/passkey');
  const verifyPage = await start.ua.submit(passkeyPage, '/register/passkey', { email });
  if (!verifyPage.url.endsWith('/verify')) throw new Error(`passkey sign-up did not reach verification: ${verifyPage.status}\n${verifyPage.body.slice(0, 800)}`);
  return { ...start, page: verifyPage };
}

/** Passwordless sign-up up to the "Create passkey" page: email, then the emailed code. */
export async function verifiedPasskeySignUp(fx: PasskeyServer, email: string): Promise<Interaction> {
  const before = fx.sink.countFor(email);
  const at = await startPasskeySignUp(fx, email);
  const createPage = await at.ua.submit(at.page, '/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
  if (!createPage.url.endsWith('/passkey/create')) throw new Error(`verification did not lead to the passkey page: ${createPage.status} ${createPage.url}`);
  return { ...at, page: createPage };
}

/** A member who signed up with only a passkey, held by a new soft authenticator; the ID token of that sign-up. */
export async function signUpWithPasskey(fx: PasskeyServer, prefix: string, options: Omit<SoftAuthenticatorOptions, 'origin'> = {}) {
  const email = uniqueEmail(prefix);
  const authenticator = new SoftAuthenticator({ origin: fx.server.url, ...options });
  const signUp = await verifiedPasskeySignUp(fx, email);
  const claims = await finishAtClient(fx, signUp, await createPasskey(signUp, authenticator));
  return { email, authenticator, claims, credentialId: authenticator.credentials[0]!.id.toString('base64url') };
}

export interface PostInit {
  /** Sent as is instead of the JSON of `body`. */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Keep the answer's cookies in the browser's jar, as fetch() in a page does (a flow cookie set by the answer). */
  keepCookies?: boolean;
}

/**
 * POSTs JSON to `url` with the browser's cookies, as fetch() in passkey.js does (same origin, so no
 * Origin header needed).
 */
export async function postJsonAs(ua: UserAgent, url: string, body: unknown, init: PostInit = {}): Promise<JsonReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { cookie: ua.cookieHeader(), accept: 'application/json', 'content-type': init.contentType ?? 'application/json', ...init.headers },
    body: init.rawBody ?? JSON.stringify(body),
    redirect: 'manual',
  });
  if (init.keepCookies) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      ua.setCookie(pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim());
    }
  }
  const text = await response.text();
  let parsed: JsonReply['body'];
  try {
    parsed = JSON.parse(text) as JsonReply['body'];
  } catch {
    throw new Error(`expected JSON from ${url}, got ${response.status}: ${text.slice(0, 300)}`);
  }
  return { status: response.status, body: parsed };
}

/** POSTs JSON to /interaction/<uid><path> of the interaction `at`. */
export function postJson(at: Interaction, path: string, body: unknown, init: PostInit = {}): Promise<JsonReply> {
  return postJsonAs(at.ua, new URL(`/interaction/${at.uid}${path}`, at.page.url).href, body, init);
}

export async function creationOptions(at: Interaction): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const reply = await postJson(at, '/passkey/create/options', { csrf: at.csrf });
  if (reply.status !== 200) throw new Error(`creation options: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as unknown as PublicKeyCredentialCreationOptionsJSON;
}

export async function requestOptions(at: Interaction, mode: 'button' | 'autofill' = 'button'): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const reply = await postJson(at, '/passkey/login/options', { csrf: at.csrf, mode });
  if (reply.status !== 200) throw new Error(`request options: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as unknown as PublicKeyCredentialRequestOptionsJSON;
}

/** Passkey step of a verified sign-up: options, the authenticator's answer (with `knobs`), the server's reply. */
export async function createPasskey(at: Interaction, authenticator: SoftAuthenticator, knobs: Knobs = {}): Promise<JsonReply> {
  return postJson(at, '/passkey/create', { csrf: at.csrf, response: authenticator.create(await creationOptions(at), knobs) });
}

/** A new browser signs in with the "Sign in with a passkey" button (or autofill): options, answer, reply. */
export async function passkeySignIn(fx: PasskeyServer, authenticator: SoftAuthenticator, knobs: Knobs = {}, mode: 'button' | 'autofill' = 'button') {
  const at = await openInteraction(fx, { prompt: 'login' });
  const response = authenticator.get(await requestOptions(at, mode), knobs);
  return { at, response, reply: await postJson(at, '/passkey/login', { csrf: at.csrf, mode, response }) };
}

/** Follows the `location` a ceremony returned to the client's redirect_uri and redeems the code: the ID token's claims. */
export async function finishAtClient(fx: PasskeyServer, at: Interaction, reply: JsonReply) {
  if (reply.status !== 200 || !reply.body.location) throw new Error(`ceremony refused: ${reply.status} ${JSON.stringify(reply.body)}`);
  const done = await at.ua.follow(reply.body.location);
  return (await exchange(fx.config, done.url, at.request)).claims()!;
}

/** Whether this browser holds a session: prompt=none comes back with a code, or with login_required. */
export async function signedIn(fx: PasskeyServer, ua: UserAgent): Promise<boolean> {
  const page = await ua.follow((await authorizationRequest(fx.config, { prompt: 'none' })).url);
  const error = new URL(page.url).searchParams.get('error');
  if (error && error !== 'login_required') throw new Error(`prompt=none: unexpected ${error}`);
  return !error;
}
