// Passkey ceremonies (WebAuthn via @simplewebauthn/server): options with a stored single-use challenge,
// verification against the exact origin allowlist and rpId with user verification required, the
// signature counter moving forward only, and each credential bound to one account.
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { type Account, accountLabel } from '../accounts/account.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { CodePurpose, CodesRepository } from '../codes/codes.repository.ts';
import { DomainError } from '../errors.ts';
import type { Passkey, PasskeysRepository } from './passkeys.repository.ts';

/**
 * The library is loaded at the first ceremony, not at boot: with its ASN.1 and CBOR stack it holds ~14 MB of resident
 * memory (measured) that a server nobody has yet asked for a passkey does not need. Node loads it once.
 */
const webauthn = () => import('@simplewebauthn/server');

/** Long enough to pick a passkey and unlock the device; the challenge dies with it. */
const CEREMONY_SECONDS = 5 * 60;
const COSE_ES256 = -7;
const COSE_EDDSA = -8;
const COSE_RS256 = -257;

const TRANSPORTS: readonly string[] = ['ble', 'hybrid', 'internal', 'nfc', 'usb', 'smart-card', 'cable'];

/** The browser's transport hints, from untrusted JSON: known names only, each once, whatever was sent. */
function knownTransports(value: unknown): AuthenticatorTransport[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((t): t is AuthenticatorTransport => typeof t === 'string' && TRANSPORTS.includes(t)))];
}

/** The WebAuthn user handle we give an account: its id, UTF-8, base64url. */
function userHandleOf(accountId: string): string {
  return Buffer.from(accountId, 'utf8').toString('base64url');
}

export type PasskeyProblem = 'passkey.challenge' | 'passkey.unknown' | 'passkey.invalid' | 'passkey.counter' | 'passkey.duplicate';

export interface PasskeyServiceDeps {
  passkeys: PasskeysRepository;
  accounts: AccountsRepository;
  /** Challenges live in the one-time-code store: one per (ceremony, flow), expiring, consumed once. */
  codes: CodesRepository;
  rpId: string;
  rpName: string;
  origins: string[];
  now?: () => Date;
}

export class PasskeyService {
  private readonly deps: PasskeyServiceDeps;
  private readonly now: () => Date;

  constructor(deps: PasskeyServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Options for signing in with any discoverable passkey of this rpId (button or autofill), or, given
   * an account, with one of its passkeys (step-up of a member already signed in).
   */
  async authenticationOptions(flowId: string, accountId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = accountId ? await this.deps.passkeys.listByAccount(accountId) : [];
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: this.deps.rpId,
      userVerification: 'required',
      timeout: CEREMONY_SECONDS * 1000,
      allowCredentials: allow.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
    });
    await this.storeChallenge('webauthn_authentication', flowId, options.challenge);
    return options;
  }

  async verifyAuthentication(flowId: string, response: AuthenticationResponseJSON): Promise<{ ok: true; account: Account; passkey: Passkey } | { ok: false; reason: PasskeyProblem }> {
    const challenge = await this.takeChallenge('webauthn_authentication', flowId);
    if (!challenge) return { ok: false, reason: 'passkey.challenge' };
    const passkey = typeof response.id === 'string' ? await this.deps.passkeys.find(response.id) : undefined;
    if (!passkey) return { ok: false, reason: 'passkey.unknown' };
    // WebAuthn §7.2: a user handle, when the authenticator returns one, must name the credential's owner.
    const userHandle = response.response?.userHandle;
    if (userHandle !== undefined && userHandle !== userHandleOf(passkey.accountId)) return { ok: false, reason: 'passkey.invalid' };
    let verification;
    try {
      verification = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.deps.origins,
        expectedRPID: this.deps.rpId,
        requireUserVerification: true,
        credential: {
          id: passkey.id,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: passkey.counter,
          transports: passkey.transports as AuthenticatorTransport[],
        },
      });
    } catch (error) {
      // The library throws on every failed check; a counter that went backwards is worth telling apart.
      return { ok: false, reason: /counter/i.test(String(error)) ? 'passkey.counter' : 'passkey.invalid' };
    }
    if (!verification.verified) return { ok: false, reason: 'passkey.invalid' };
    // The store re-checks the counter atomically: two sign-ins racing with one cloned authenticator's
    // counter cannot both pass.
    if (!(await this.deps.passkeys.recordUse(passkey.id, verification.authenticationInfo.newCounter, this.now()))) {
      return { ok: false, reason: 'passkey.counter' };
    }
    const account = await this.deps.accounts.findById(passkey.accountId);
    if (!account) return { ok: false, reason: 'passkey.unknown' };
    return { ok: true, account, passkey };
  }

  /** Options to create a discoverable passkey for `account` (user verification required). */
  async registrationOptions(flowId: string, account: Account): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.deps.passkeys.listByAccount(account.id);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: this.deps.rpName,
      rpID: this.deps.rpId,
      userName: accountLabel(account),
      userID: Buffer.from(userHandleOf(account.id), 'base64url'),
      attestationType: 'none',
      timeout: CEREMONY_SECONDS * 1000,
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: [COSE_ES256, COSE_EDDSA, COSE_RS256],
    });
    await this.storeChallenge('webauthn_registration', flowId, options.challenge);
    return options;
  }

  async verifyRegistration(flowId: string, account: Account, response: RegistrationResponseJSON): Promise<{ ok: true; passkey: Passkey } | { ok: false; reason: PasskeyProblem }> {
    // Malformed hints are bad input, refused before the challenge is spent.
    const transports = response.response?.transports;
    if (transports !== undefined && !Array.isArray(transports)) return { ok: false, reason: 'passkey.invalid' };
    const challenge = await this.takeChallenge('webauthn_registration', flowId);
    if (!challenge) return { ok: false, reason: 'passkey.challenge' };
    let verification;
    try {
      verification = await (await webauthn()).verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.deps.origins,
        expectedRPID: this.deps.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: [COSE_ES256, COSE_EDDSA, COSE_RS256],
      });
    } catch {
      return { ok: false, reason: 'passkey.invalid' };
    }
    if (!verification.verified) return { ok: false, reason: 'passkey.invalid' };
    const info = verification.registrationInfo;
    const passkey: Passkey = {
      id: info.credential.id,
      accountId: account.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: knownTransports(response.response.transports),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: info.credentialDeviceType === 'multiDevice' ? 'Synced passkey' : 'Passkey on this device',
      createdAt: this.now(),
      lastUsedAt: null,
    };
    try {
      await this.deps.passkeys.create(passkey);
    } catch (error) {
      // A credential id already on file (this or another account) is never moved or shared.
      if (error instanceof DomainError && error.code === 'duplicate') return { ok: false, reason: 'passkey.duplicate' };
      throw error;
    }
    return { ok: true, passkey };
  }

  async hasPasskey(accountId: string): Promise<boolean> {
    return (await this.deps.passkeys.countByAccount(accountId)) > 0;
  }

  /** The account's passkeys, oldest first (for the account-security page). */
  async list(accountId: string): Promise<Passkey[]> {
    return this.deps.passkeys.listByAccount(accountId);
  }

  /** Renames one of the account's own passkeys; false when it has no such passkey. */
  async rename(accountId: string, id: string, name: string): Promise<boolean> {
    return this.deps.passkeys.rename(id, accountId, name);
  }

  /** Removes one of the account's own passkeys; false when it has no such passkey. */
  async remove(accountId: string, id: string): Promise<boolean> {
    return this.deps.passkeys.delete(id, accountId);
  }

  private async storeChallenge(purpose: CodePurpose, flowId: string, challenge: string): Promise<void> {
    const now = this.now();
    await this.deps.codes.put({
      purpose, subject: flowId, codeHash: challenge, attempts: 0,
      expiresAt: new Date(now.getTime() + CEREMONY_SECONDS * 1000), consumedAt: null, sentAt: now, data: null,
    });
  }

  /** The flow's live challenge, consumed by this call: a replayed response finds none. */
  private async takeChallenge(purpose: CodePurpose, flowId: string): Promise<string | undefined> {
    const stored = await this.deps.codes.find(purpose, flowId);
    if (!stored || stored.consumedAt) return undefined;
    const consumed = await this.deps.codes.consume(purpose, flowId, stored.codeHash, 1, this.now());
    return consumed ? stored.codeHash : undefined;
  }
}
