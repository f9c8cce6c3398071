// Authenticator-app factor: enrolment (secret sealed at rest, confirmed by a first code), verification
// with single-use time steps, an attempt cap, and ten single-use recovery codes shown once.
import { randomInt, randomUUID } from 'node:crypto';
import { decrypt, encrypt, hashCode } from '../../security/crypto.ts';
import { type Account, accountLabel } from '../accounts/account.ts';
import type { CodesRepository } from '../codes/codes.repository.ts';
import type { Factor, FactorsRepository } from './factors.repository.ts';
import { base32Decode, base32Encode, generateTotpSecret, matchTotp, otpauthUri, TOTP_STEP_SECONDS, TOTP_WINDOW } from './totp.ts';

export const RECOVERY_CODE_COUNT = 10;
/** Wrong app or recovery codes in a row before the account's app codes are refused for a while. */
export const FACTOR_MAX_ATTEMPTS = 5;
const LOCK_SECONDS = 15 * 60;
/** No 0/O or 1/I/L: recovery codes get copied from paper. 10 characters = 50 bits. */
const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export interface TotpFactorDeps {
  factors: FactorsRepository;
  /** The failure counter reuses the one-time-code store's atomic attempt count (purpose totp_attempts). */
  codes: CodesRepository;
  sealKey: Buffer;
  hashKey: Buffer;
  /** Shown in the authenticator app next to the account name. */
  issuer: string;
  now?: () => Date;
}

export interface PendingEnrolment {
  factorId: string;
  /** Base32, grouped by four for typing by hand. */
  manualKey: string;
  uri: string;
}

export type FactorProblem = 'code.invalid' | 'code.exhausted';
export type FactorCheck = { ok: true } | { ok: false; reason: FactorProblem };

function formatRecoveryCode(raw: string): string {
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/** What a member types back: any case, spaces and dashes ignored. */
function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

export class TotpFactor {
  private readonly deps: TotpFactorDeps;
  private readonly now: () => Date;

  constructor(deps: TotpFactorDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /** The account's confirmed authenticator app, if any (one per account). */
  async enrolled(accountId: string): Promise<Factor | undefined> {
    const factors = await this.deps.factors.listByAccount(accountId);
    return factors.find((f) => f.type === 'totp' && f.confirmedAt !== null);
  }

  /** Starts (or restarts) enrolment: any unfinished one is dropped, a new secret is sealed and stored. */
  async startEnrolment(account: Account): Promise<PendingEnrolment> {
    await this.deps.factors.deleteUnconfirmed(account.id);
    const factorId = randomUUID();
    const secret = generateTotpSecret();
    await this.deps.factors.create({
      id: factorId,
      accountId: account.id,
      type: 'totp',
      secret: encrypt(this.deps.sealKey, base32Encode(secret), factorId),
      label: 'Authenticator app',
      createdAt: this.now(),
      confirmedAt: null,
      lastUsedAt: null,
    });
    return this.describe(account, factorId, secret);
  }

  /** The pending enrolment again (to re-render the page after a wrong code), or undefined. */
  async pendingEnrolment(account: Account, factorId: string): Promise<PendingEnrolment | undefined> {
    const factor = await this.deps.factors.find(factorId);
    if (!factor || factor.accountId !== account.id || factor.confirmedAt) return undefined;
    return this.describe(account, factorId, this.secretOf(factor));
  }

  /**
   * Finishes enrolment with a first code from the app, which proves the member scanned the right
   * secret. Returns the recovery codes, in clear for the one time they are shown.
   */
  async confirmEnrolment(account: Account, factorId: string, code: string): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; reason: FactorProblem }> {
    const factor = await this.deps.factors.find(factorId);
    if (!factor || factor.accountId !== account.id || factor.confirmedAt) return { ok: false, reason: 'code.invalid' };
    const check = await this.acceptCode(account.id, factor, code);
    if (!check.ok) return check;
    if (!(await this.deps.factors.confirm(factorId, this.now()))) return { ok: false, reason: 'code.invalid' };
    return { ok: true, recoveryCodes: await this.regenerateRecoveryCodes(account.id) };
  }

  /** A code from the enrolled app. Each time step is accepted once. */
  async verify(accountId: string, code: string): Promise<FactorCheck> {
    const factor = await this.enrolled(accountId);
    if (!factor) return { ok: false, reason: 'code.invalid' };
    const check = await this.acceptCode(accountId, factor, code);
    if (check.ok) await this.deps.factors.touch(factor.id, this.now());
    return check;
  }

  /** A recovery code instead of the app; each works once. Counts toward the same attempt cap. */
  async useRecoveryCode(accountId: string, input: string): Promise<FactorCheck> {
    if (await this.locked(accountId)) return { ok: false, reason: 'code.exhausted' };
    const hash = hashCode(this.deps.hashKey, 'recovery', accountId, normaliseRecoveryCode(input));
    if (await this.deps.factors.useRecoveryCode(accountId, hash, this.now())) {
      await this.deps.codes.delete('totp_attempts', accountId);
      return { ok: true };
    }
    return this.fail(accountId);
  }

  /**
   * Whether every one of `codes` is an unused recovery code of the account (none is used up by asking):
   * the download of the codes just shown hands back only what the member already holds.
   */
  async holdsUnusedRecoveryCodes(accountId: string, codes: readonly string[]): Promise<boolean> {
    if (codes.length === 0) return false;
    const unused = new Set((await this.deps.factors.listRecoveryCodes(accountId)).filter((c) => c.usedAt === null).map((c) => c.codeHash));
    return codes.every((code) => unused.has(hashCode(this.deps.hashKey, 'recovery', accountId, normaliseRecoveryCode(code))));
  }

  async recoveryCodesLeft(accountId: string): Promise<number> {
    return (await this.deps.factors.listRecoveryCodes(accountId)).filter((c) => c.usedAt === null).length;
  }

  /** Removes the authenticator app and its recovery codes; returns whether there was one. */
  async remove(accountId: string): Promise<boolean> {
    const factor = await this.enrolled(accountId);
    if (!factor) return false;
    const removed = await this.deps.factors.delete(factor.id);
    await this.deps.factors.replaceRecoveryCodes(accountId, []);
    return removed;
  }

  /** New set of ten; the old ones stop working. */
  async regenerateRecoveryCodes(accountId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
      Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''));
    await this.deps.factors.replaceRecoveryCodes(accountId, codes.map((c) => hashCode(this.deps.hashKey, 'recovery', accountId, c)));
    return codes.map(formatRecoveryCode);
  }

  private describe(account: Account, factorId: string, secret: Buffer): PendingEnrolment {
    return {
      factorId,
      manualKey: base32Encode(secret).replace(/(.{4})(?=.)/g, '$1 '),
      uri: otpauthUri({ issuer: this.deps.issuer, accountName: accountLabel(account), secret }),
    };
  }

  private secretOf(factor: Factor): Buffer {
    return base32Decode(decrypt(this.deps.sealKey, factor.secret, factor.id));
  }

  private async acceptCode(accountId: string, factor: Factor, code: string): Promise<FactorCheck> {
    if (await this.locked(accountId)) return { ok: false, reason: 'code.exhausted' };
    const now = this.now();
    const step = matchTotp(this.secretOf(factor), code, now);
    if (step === undefined) return this.fail(accountId);
    // Single use: the step is claimed for as long as it could still be accepted, so a code seen over a
    // shoulder or replayed from a phishing page is refused.
    const forgetAt = new Date((step + TOTP_WINDOW + 1) * TOTP_STEP_SECONDS * 1000);
    if (!(await this.deps.factors.claimUse(factor.id, String(step), forgetAt))) return this.fail(accountId);
    await this.deps.codes.delete('totp_attempts', accountId);
    return { ok: true };
  }

  private async locked(accountId: string): Promise<boolean> {
    const counter = await this.deps.codes.find('totp_attempts', accountId);
    return counter !== undefined && counter.expiresAt > this.now() && counter.attempts >= FACTOR_MAX_ATTEMPTS;
  }

  /** Counts a failure; the fifth within the window locks app and recovery codes for LOCK_SECONDS. */
  private async fail(accountId: string): Promise<FactorCheck> {
    const now = this.now();
    const counter = await this.deps.codes.find('totp_attempts', accountId);
    let attempts: number;
    if (!counter || counter.expiresAt <= now) {
      await this.deps.codes.put({
        purpose: 'totp_attempts', subject: accountId, codeHash: '', attempts: 1,
        expiresAt: new Date(now.getTime() + LOCK_SECONDS * 1000), consumedAt: null, sentAt: now, data: null,
      });
      attempts = 1;
    } else {
      attempts = await this.deps.codes.recordFailure('totp_attempts', accountId);
    }
    return { ok: false, reason: attempts >= FACTOR_MAX_ATTEMPTS ? 'code.exhausted' : 'code.invalid' };
  }
}
