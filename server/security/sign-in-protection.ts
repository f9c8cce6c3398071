// The password sign-in's defences in one place: the lockout gate, counting failures, telling the owner,
// unlock links, known devices and the risk assessment of a right password. The login page calls it.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import * as emails from '../domain/accounts/account-emails.ts';
import { messageLanguage } from '../i18n/request-language.ts';
import type { Account } from '../domain/accounts/account.ts';
import type { SignInFailure } from '../domain/accounts/account-service.ts';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import type { DevicesRepository } from '../domain/devices/devices.repository.ts';
import type { Mailer } from '../domain/mail/mailer.ts';
import { currentRequest } from '../middleware/request-scope.ts';
import { isSharedDevice } from './device-cookie.ts';
import type { LimitRule, RateLimitStore } from './rate-limit/rate-limiter.ts';
import type { SignInAttempt, SignInGate, SignInGuard } from './lockout/sign-in-guard.ts';
import type { UnlockLinks } from './lockout/unlock-links.ts';
import type { RiskAssessment, RiskEngine } from './risk/risk-engine.ts';
import type { SecurityEvent, SecurityEvents } from './security-events.ts';

export interface SignInProtectionDeps {
  guard: SignInGuard;
  risk: RiskEngine;
  devices: DevicesRepository;
  accounts: AccountsRepository;
  events: SecurityEvents;
  mailer: Mailer;
  unlockLinks: UnlockLinks;
  /** Single-use records (FactorsRepository.claimUse): an unlock link works once. */
  uses: { claimUse(scope: string, value: string, expiresAt: Date): Promise<boolean> };
  rateLimits: RateLimitStore;
  /** LOCKOUT_NOTICE and UNLOCK_MAIL (interactions/login/limits.ts). */
  noticeRule: LimitRule;
  unlockMailRule: LimitRule;
  issuer: string;
  /** Keys the hash of a tried password for the spraying rule (derived from KEY_ENCRYPTION_KEY). */
  sprayKey: Buffer;
  logger: Logger;
}

export class SignInProtection {
  private readonly deps: SignInProtectionDeps;
  private readonly notices;
  private readonly unlockMails;

  constructor(deps: SignInProtectionDeps) {
    this.deps = deps;
    this.notices = deps.rateLimits.limiter(deps.noticeRule);
    this.unlockMails = deps.rateLimits.limiter(deps.unlockMailRule);
  }

  /** Whether this browser is one the email's account signed in on before (such devices are never challenged). */
  async knownDevice(email: string, deviceHash: string | undefined): Promise<boolean> {
    if (!deviceHash) return false;
    const account = await this.deps.accounts.findByEmail(email);
    return account ? (await this.deps.devices.find(account.id, deviceHash)) !== undefined : false;
  }

  gate(attempt: SignInAttempt, options: { exempt: boolean; solved: boolean }): Promise<SignInGate> {
    return this.deps.guard.gate(attempt, options);
  }

  /** Whether the sign-in page should carry a bot challenge from the start (the address or everyone is flagged). */
  async challengeExpected(ip: string): Promise<boolean> {
    return this.deps.guard.challengeExpected(ip);
  }

  async refused(attempt: SignInAttempt, gate: Exclude<SignInGate, { kind: 'open' }>): Promise<void> {
    await this.event({ type: gate.kind === 'blocked' ? 'sign_in.blocked' : 'sign_in.challenged', reason: gate.scope }, attempt.ip);
  }

  /** `password`: the password tried; only its keyed hash is counted (password spraying), never kept. */
  async failed(attempt: SignInAttempt, failure: { reason: SignInFailure; accountId?: string | undefined }, password?: string): Promise<void> {
    // Keyed, so a store dump cannot be checked against a list of common passwords.
    // An unverified account's right password is not a guess.
    const guessed = password !== undefined && failure.reason !== 'unverified';
    const passwordTag = !guessed ? undefined : createHmac('sha256', this.deps.sprayKey).update(password).digest('base64url');
    const outcome = await this.deps.guard.failed(attempt, failure.reason !== 'unknown_account', passwordTag);
    const accountId = failure.accountId ?? null;
    await this.event({ type: 'sign_in.failure', accountId, reason: failure.reason, details: { method: 'password' } }, attempt.ip);
    if (outcome.addressFlagged) this.deps.logger.warn({ rule: 'stuffing-address' }, 'credential stuffing from one address: challenge required');
    if (outcome.burstFlagged) this.deps.logger.warn({ rule: 'stuffing-burst' }, 'credential stuffing from many addresses: challenge required for unrecognised devices');
    if (outcome.sprayFlagged) this.deps.logger.warn({ rule: 'password-spraying' }, 'password spraying (one password failing for many accounts): challenge required for unrecognised devices');
    // The same alerts in the audit log, where the console's security page lists them (issue 20 item 4).
    for (const [raised, reason] of [[outcome.addressFlagged, 'address'], [outcome.burstFlagged, 'burst'], [outcome.sprayFlagged, 'spraying']] as const) {
      if (raised) await this.event({ type: 'stuffing.detected', reason }, attempt.ip);
    }
    if (!accountId || !(outcome.pairBlocked || outcome.accountProtected)) return;
    await this.event({ type: outcome.accountProtected ? 'account.protected' : 'sign_in.blocked', accountId, reason: outcome.accountProtected ? 'account' : 'pair' }, attempt.ip);
    // Once a day at most, whichever block started: the owner should know, not be flooded.
    if ((await this.notices.consume(accountId)).allowed) await this.mail(attempt.email, emails.signInsBlocked(attempt.email, await messageLanguage()));
  }

  /** A right password: ends the pair's streak and assesses the risk (high means the member must step up). */
  async succeeded(attempt: SignInAttempt, account: Account, deviceHash: string | undefined): Promise<RiskAssessment> {
    await this.deps.guard.succeeded(attempt);
    const risk = await this.deps.risk.assess({
      purpose: 'sign-in',
      accountId: account.id,
      email: attempt.email,
      ip: attempt.ip,
      deviceHash,
      credentialsChangedAt: latest(account.credentialsChangedAt, account.contactChangedAt),
    });
    const details = { score: risk.score, signals: risk.signals.map((s) => s.rule).join(' ') };
    await this.event({ type: risk.high ? 'sign_in.step_up' : 'sign_in.success', accountId: account.id, reason: 'password', country: risk.country ?? null, details }, attempt.ip);
    return risk;
  }

  /**
   * Marks this browser as one of the account's devices after a sign-in the member fully proved (a low-risk
   * password, a step-up, a code, a passkey, an email verification, an unlock link).
   */
  async trustDevice(accountId: string, deviceHash: string | undefined): Promise<void> {
    // A shared kiosk never becomes the member's known device (issue 15 item 6).
    if (!deviceHash || isSharedDevice(deviceHash)) return;
    const request = currentRequest();
    const ip = request?.ip ?? null;
    await this.deps.devices.record(accountId, deviceHash, {
      at: new Date(), ip, country: ip ? (this.deps.risk.countryOf(ip) ?? null) : null, userAgent: request?.userAgent ?? null,
    });
  }

  /** Emails the account (if there is one) an unlock link, at most every few minutes; the caller answers alike either way. */
  async sendUnlockLink(email: string): Promise<void> {
    const account = await this.deps.accounts.findByEmail(email);
    if (!account?.emailVerified) return;
    if (!(await this.unlockMails.consume(account.id)).allowed) return;
    const url = `${this.deps.issuer}/unlock/${this.deps.unlockLinks.create(account.id)}`;
    await this.mail(email, emails.unlockLink(email, url, await messageLanguage()));
  }

  /**
   * A sign-in by something the member holds (a code, a passkey, a step-up): this browser becomes one of the
   * account's devices, and the sign-in goes into the member's history.
   */
  async signedInWith(accountId: string, deviceHash: string | undefined, method: string): Promise<void> {
    await this.trustDevice(accountId, deviceHash);
    await this.event({ type: 'sign_in.success', accountId, reason: method }, currentRequest()?.ip ?? null);
  }

  /**
   * Staff lifted the member's sign-in blocks (issue 20): the email's counters and its pairs with `ips` (the addresses
   * its recent failures came from, read from the audit log by the caller) start afresh.
   */
  async unblock(email: string, ips: readonly string[]): Promise<void> {
    await this.deps.guard.clearAccount(email, ips);
  }

  /** Whether `token` is a live unlock link (for the page that asks "unlock this device?"). */
  unlockLinkValid(token: unknown): boolean {
    return this.deps.unlockLinks.read(token) !== undefined;
  }

  /**
   * Opens an emailed unlock link in this browser: once, before it expires, it makes this browser one of
   * the account's devices, which the lockout never challenges. Returns whether it did.
   */
  async unlock(token: unknown, deviceHash: string): Promise<boolean> {
    const claim = this.deps.unlockLinks.read(token);
    if (!claim || !(await this.deps.uses.claimUse('unlock-link', claim.id, claim.expiresAt))) return false;
    const account = await this.deps.accounts.findById(claim.accountId);
    if (!account) return false;
    await this.trustDevice(account.id, deviceHash);
    await this.event({ type: 'account.unlocked', accountId: account.id, reason: 'email_link' }, currentRequest()?.ip ?? null);
    return true;
  }

  private async event(event: SecurityEvent, ip: string | null): Promise<void> {
    // The relying party the member was signing in to (set when the interaction loaded), for events and analytics.
    const clientId = currentRequest()?.clientId;
    await this.deps.events.record({
      ...event, ...(clientId ? { details: { ...event.details, client_id: clientId } } : {}), ip, userAgent: currentRequest()?.userAgent ?? null, country: event.country ?? (ip ? (this.deps.risk.countryOf(ip) ?? null) : null),
    });
  }

  /** Mail failures are logged, never thrown: a notice must not turn a sign-in answer into an error page. */
  private async mail(to: string, message: Parameters<Mailer['send']>[0]): Promise<void> {
    await this.deps.mailer.send({ ...message, to }).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'security email not sent'));
  }
}

function latest(...dates: (Date | null)[]): Date | null {
  const times = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}
