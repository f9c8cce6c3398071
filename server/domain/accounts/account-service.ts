// Account use cases: sign-up, email verification, sign-in and password reset.
import type { Logger } from 'pino';
import type { CodeService } from '../codes/code-service.ts';
import type { EnrolmentChannel, SignUpMethod } from '../loyalty/loyalty.repository.ts';
import { signUpCodeSentEvent } from '../events/domain-event.ts';
import type { EventsRepository } from '../events/events.repository.ts';
import { DomainError } from '../errors.ts';
import type { DeliveryOptions, Mailer } from '../mail/mailer.ts';
import type { CodePurpose } from '../codes/codes.repository.ts';
import type { MemberSessions } from '../../sessions/member-sessions.ts';
import type { Account, AccountPatch } from './account.ts';
import type { AccountsRepository } from './accounts.repository.ts';
import type { BreachedPasswords } from './breached-passwords.ts';
import type { LegacyVerifier } from './legacy-verify.ts';
import type { ProfilesRepository } from '../profile/profiles.repository.ts';
import { isDisposableEmail } from './disposable-email.ts';
import { isValidEmail, normaliseEmail } from './email-address.ts';
import * as messages from './account-emails.ts';
import { messageLanguage } from '../../i18n/request-language.ts';
import type { LegacyHashSettings } from '../../passwords/legacy/registry.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyAnyHash } from './password-hasher.ts';
import { checkPassword, type PasswordProblem } from './password-policy.ts';
import { observeSignUp, timedKdf, type AccountObserver } from './account-observer.ts';

export type FieldErrors = { email?: 'email.invalid' | 'email.disposable'; password?: PasswordProblem | 'password.breached' };

export type RegisterResult =
  | { ok: true; accountId: string; email: string; retryAfterSeconds: number }
  | { ok: false; errors: FieldErrors };

export type SignInFailure = 'unknown_account' | 'no_password' | 'wrong_password' | 'unverified';

export type SignInResult =
  | { ok: true; account: Account }
  /** accountId: the account the email names, when there is one (never shown to the caller). */
  | { ok: false; reason: SignInFailure; accountId?: string };

export type CodeProblem = 'code.invalid' | 'code.expired' | 'code.exhausted';

/** Every account is a loyalty member, created with it (see LoyaltyService.ensureMember). */
export interface MemberEnrolment {
  ensureMember(accountId: string, channel: EnrolmentChannel, signUpMethod?: SignUpMethod): Promise<unknown>;
}

export interface AccountServiceDeps {
  accounts: AccountsRepository;
  members: MemberEnrolment;
  codes: CodeService;
  mailer: Mailer;
  logger: Logger;
  /** A breached-password service (PWNED_PASSWORDS_URL), when one is configured. */
  breached?: BreachedPasswords | undefined;
  /** Ends every session and grant after a password reset or change (and tells their partners). */
  sessions: Pick<MemberSessions, 'endAll'>;
  /** Deployment settings some imported hash formats need (Firebase's project scrypt parameters). */
  legacyHashes?: LegacyHashSettings | undefined;
  /** Told of new sign-ups and of argon2 time (metrics); optional, and never able to fail a flow. */
  observer?: AccountObserver | undefined;
  /** The events outbox: a sign-up's code going out is recorded there (signup.code_sent). */
  events?: Pick<EventsRepository, 'append'> | undefined;
  /** Trickle migration (LEGACY_VERIFY_URL): the old system's check of an unknown email, and where its profile goes. */
  trickle?: { verifier: LegacyVerifier; profiles: ProfilesRepository } | undefined;
}

export class AccountService {
  private readonly deps: AccountServiceDeps;

  constructor(deps: AccountServiceDeps) {
    this.deps = deps;
  }

  /** `password` null: a passwordless sign-up (a passkey comes after the email is verified). */
  validate(emailInput: string, password: string | null): FieldErrors {
    const errors: FieldErrors = {};
    const email = normaliseEmail(emailInput);
    if (!isValidEmail(email)) errors.email = 'email.invalid';
    else if (isDisposableEmail(email)) errors.email = 'email.disposable';
    const problem = password === null ? null : checkPassword(password);
    if (problem) errors.password = problem;
    return errors;
  }

  /**
   * Signs up with email + password (or email alone, for a passkey). The answer is the same whether or not the email is taken, so the
   * form cannot be used to find out who is a member: a verified owner is emailed a notice instead of a code.
   */
  async register(emailInput: string, password: string | null, channel: EnrolmentChannel = 'web'): Promise<RegisterResult> {
    const errors = this.validate(emailInput, password);
    if (!errors.password && password !== null && (await this.isBreached(password))) errors.password = 'password.breached';
    if (errors.email || errors.password) return { ok: false, errors };
    const email = normaliseEmail(emailInput);
    // Passwordless: an earlier unverified sign-up's password is dropped too (the newest sign-up wins).
    const passwordHash = password === null ? null : await timedKdf(this.deps.observer, 'hash', () => hashPassword(password));

    let account = await this.deps.accounts.findByEmail(email);
    if (account?.emailVerified) {
      // The owner's notice runs on a code of its own (kept, sent nowhere), so signing up twice within the resend
      // wait answers "wait a little" here too, and the daily budget counts alike: nothing tells a member apart.
      const wait = await this.unsentCodeFor(email);
      if (wait === 0) await this.deps.mailer.send(messages.alreadyRegistered(email, await messageLanguage()));
      return { ok: true, accountId: account.id, email, retryAfterSeconds: wait };
    }
    if (account) {
      // Unverified: nobody has proved they own this address, so the newest sign-up's password wins.
      // That defeats "pre-hijacking" (an attacker registering a victim's email first).
      account = await this.deps.accounts.update(account.id, { passwordHash });
    } else {
      try {
        account = await this.deps.accounts.create({ email, emailVerified: false, passwordHash });
        observeSignUp(this.deps.observer, channel);
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
        // Lost a race with a concurrent sign-up of the same email: treat as the unverified case.
        account = await this.deps.accounts.findByEmail(email);
        if (account && !account.emailVerified) account = await this.deps.accounts.update(account.id, { passwordHash });
      }
    }
    if (!account) throw new DomainError('conflict', 'account vanished during sign-up');
    // Idempotent: a repeated sign-up of an unverified address keeps its member (and its number).
    await this.deps.members.ensureMember(account.id, channel, password === null ? 'passkey' : 'password');
    const retryAfterSeconds = await this.sendVerificationCode(account);
    // The sign-up funnel's "code sent" step (analytics); an outbox failure never fails the sign-up.
    if (retryAfterSeconds === 0) await this.deps.events?.append([signUpCodeSentEvent(account.id)]).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'signup.code_sent not recorded'));
    return { ok: true, accountId: account.id, email, retryAfterSeconds };
  }

  /** Sends a verification code unless the cooldown is running; returns the seconds left to wait (0 = sent). */
  async sendVerificationCode(account: Account): Promise<number> {
    // A phone-first member (no email) has nothing to verify here.
    if (account.emailVerified || account.email === null) return 0;
    const issued = await this.deps.codes.issue('email_verification', account.id);
    if (!issued.ok) return issued.retryAfterSeconds;
    await this.deps.mailer.send(messages.verificationCode(account.email, issued.code, await messageLanguage()), this.discardOnFailure('email_verification', account.id));
    return 0;
  }

  async resendVerificationCode(accountId: string): Promise<number> {
    const account = await this.deps.accounts.findById(accountId);
    // A verified or vanished account gets no mail, but the caller sees the same answer (and the same wait).
    if (!account || account.email === null) return 0;
    if (account.emailVerified) return this.unsentCodeFor(account.email);
    return this.sendVerificationCode(account);
  }

  /**
   * "Change email" on the verification page: the code pending for this sign-up stops working (a typo's
   * owner cannot use it later). A verified owner's address had an unsent code instead; it goes alike, so
   * the answer is the same. The daily code budget is not given back.
   */
  async abandonVerification(accountId: string): Promise<void> {
    const account = await this.deps.accounts.findById(accountId);
    if (!account || account.email === null) return;
    const subject = account.emailVerified ? this.deps.codes.subjectFor(undefined, account.email) : account.id;
    await this.deps.codes.discard('email_verification', subject);
  }

  /** A verification code for nobody (see CodeService.subjectFor): the resend wait and budget of a sign-up, without a code. */
  private async unsentCodeFor(email: string): Promise<number> {
    const issued = await this.deps.codes.issue('email_verification', this.deps.codes.subjectFor(undefined, email));
    return issued.ok ? 0 : issued.retryAfterSeconds;
  }

  async verifyEmail(accountId: string, code: string): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem }> {
    const owner = await this.deps.accounts.findById(accountId);
    if (owner?.emailVerified && owner.email !== null) {
      // Signing up with a member's address issued the unsent code of that address (register): wrong tries are
      // checked and counted against it, so they end as a stranger's do; even its right code verifies nothing.
      const check = await this.deps.codes.verify('email_verification', this.deps.codes.subjectFor(undefined, owner.email), code);
      return check.ok ? { ok: false, reason: 'code.invalid' } : check;
    }
    const check = await this.deps.codes.verify('email_verification', accountId, code);
    if (!check.ok) return check;
    const account = await this.deps.accounts.update(accountId, { emailVerified: true });
    if (!account) return { ok: false, reason: 'code.invalid' };
    return { ok: true, account };
  }

  /**
   * Password sign-in. Unknown email, wrong password, no password and unverified email all fail after the
   * same argon2 work, so neither the answer nor its timing tells them apart; the reason is for the audit
   * log and the stuffing counters only, never for the page.
   */
  async signIn(emailInput: string, password: string): Promise<SignInResult> {
    const email = normaliseEmail(emailInput);
    const account = isValidEmail(email) ? await this.deps.accounts.findByEmail(email) : undefined;
    if (!account && this.deps.trickle && isValidEmail(email)) return this.signInFromLegacy(email, password);
    if (!account?.passwordHash) {
      await timedKdf(this.deps.observer, 'verify', () => verifyAgainstDummy(password));
      return account ? { ok: false, reason: 'no_password', accountId: account.id } : { ok: false, reason: 'unknown_account' };
    }
    const stored = account.passwordHash;
    const check = await timedKdf(this.deps.observer, 'verify', () => verifyAnyHash(stored, password, this.deps.legacyHashes ?? {}));
    if (!check.valid) return { ok: false, reason: 'wrong_password', accountId: account.id };
    if (!account.emailVerified) return { ok: false, reason: 'unverified', accountId: account.id };
    if (needsRehash(stored)) await this.upgradeHash(account, stored, password, check.weak);
    return { ok: true, account };
  }

  /**
   * An email unknown here, and only then: the old system is asked (signed callout) while the dummy verification runs,
   * so a refusal costs the KDF time a wrong password costs. A member it recognises is created with the password
   * hashed by argon2id (email verified only when the answer says so) and signed in as usual; any other outcome
   * (refusal, timeout, error, bad answer, a concurrent creation) is the unknown-account failure, counted like one.
   */
  private async signInFromLegacy(email: string, password: string): Promise<SignInResult> {
    const trickle = this.deps.trickle!;
    const [answer] = await Promise.all([trickle.verifier.verify(email, password), timedKdf(this.deps.observer, 'verify', () => verifyAgainstDummy(password))]);
    if (!answer) return { ok: false, reason: 'unknown_account' };
    const passwordHash = await timedKdf(this.deps.observer, 'hash', () => hashPassword(password));
    let account: Account;
    try {
      account = await this.deps.accounts.create({ email, emailVerified: answer.emailVerified, passwordHash });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
      // Created meanwhile (a sign-up, or the same member on two tabs): the ordinary check decides next time.
      return { ok: false, reason: 'unknown_account' };
    }
    await this.deps.members.ensureMember(account.id, 'web');
    if (Object.keys(answer.profile).length > 0) await trickle.profiles.update(account.id, { values: answer.profile }, new Date());
    this.deps.logger.info({ accountId: account.id, emailVerified: answer.emailVerified }, 'member migrated from the legacy system at sign-in');
    if (!account.emailVerified) return { ok: false, reason: 'unverified', accountId: account.id };
    return { ok: true, account };
  }

  /**
   * Imported (legacy) or older hashes become argon2id while we hold the plaintext. The write is conditional on the
   * old hash, so a reset that landed meanwhile wins; a failure here must not block the sign-in. A member whose hash
   * was a weak salted digest is told once (the email goes only with the write that replaced it).
   */
  private async upgradeHash(account: Account, stored: string, password: string, weak: boolean): Promise<void> {
    try {
      const replaced = await this.deps.accounts.replacePasswordHash(account.id, stored, await timedKdf(this.deps.observer, 'hash', () => hashPassword(password)));
      if (replaced) this.deps.logger.info({ accountId: account.id, weak }, 'password hash upgraded to argon2id');
      if (replaced && weak && account.email !== null) await this.deps.mailer.send(messages.weakPasswordHashUpgraded(account.email, await messageLanguage()));
    } catch (error: unknown) {
      this.deps.logger.warn({ err: error, accountId: account.id }, 'password rehash failed');
    }
  }

  /** signIn without the reason: the account, or undefined for every kind of failure. */
  async authenticate(emailInput: string, password: string): Promise<Account | undefined> {
    const result = await this.signIn(emailInput, password);
    return result.ok ? result.account : undefined;
  }

  /**
   * Starts a reset: emails a code if the account exists. The caller answers the same either way, and so does
   * everything the answer depends on: a stranger's address gets a code too (kept, sent nowhere), so the resend
   * wait and the daily budget run alike, and the mail goes out after the response (the queued mailer), so an
   * SMTP round trip does not make a member's answer slower.
   */
  async startPasswordReset(emailInput: string): Promise<{ retryAfterSeconds: number }> {
    const email = normaliseEmail(emailInput);
    if (!isValidEmail(email)) return { retryAfterSeconds: 0 };
    const account = await this.deps.accounts.findByEmail(email);
    const subject = this.deps.codes.subjectFor(account?.id, email);
    const issued = await this.deps.codes.issue('password_reset', subject);
    if (!issued.ok) return { retryAfterSeconds: issued.retryAfterSeconds };
    if (account) await this.deps.mailer.send(messages.passwordResetCode(email, issued.code, await messageLanguage()), this.discardOnFailure('password_reset', subject));
    return { retryAfterSeconds: 0 };
  }

  /**
   * Completes a reset: checks the code, sets the new password, marks the email verified (the code
   * proved it) and ends every session and grant of the account, so a thief's sessions die too.
   */
  async completePasswordReset(
    emailInput: string,
    code: string,
    newPassword: string,
  ): Promise<{ ok: true; account: Account } | { ok: false; errors: { code?: CodeProblem; password?: PasswordProblem | 'password.breached' } }> {
    const problem = await this.newPasswordProblem(newPassword);
    if (problem) return { ok: false, errors: { password: problem } };
    const email = normaliseEmail(emailInput);
    const account = await this.deps.accounts.findByEmail(email);
    // A stranger's address is checked against its own unsent code: wrong tries count and end alike.
    const check = await this.deps.codes.verify('password_reset', this.deps.codes.subjectFor(account?.id, email), code);
    if (!check.ok) return { ok: false, errors: { code: check.reason } };
    if (!account) return { ok: false, errors: { code: 'code.invalid' } };
    // Whoever reads the inbox could have set this password: until the member proves another class, it
    // signs in as the mailbox, not as knowledge (mailbox-password.ts), so it never pairs with an emailed code.
    const updated = await this.replacePassword(account.id, newPassword, { emailVerified: true, passwordFromMailboxAt: new Date() });
    return updated ? { ok: true, account: updated } : { ok: false, errors: { code: 'code.invalid' } };
  }

  /**
   * A signed-in member sets a new password (the caller checked a recent strong sign-in). Like a reset,
   * it ends every session and grant of the account, the caller's included: whoever else knew the old
   * password is signed out everywhere, and the member signs in again with the new one. The change time
   * freezes redemptions for a while (redemption-policy.ts) and the owner is emailed. `mailboxOnly`: the
   * caller's session proved nothing but the mailbox, so the new password proves no more than a reset's
   * would; otherwise (a phone, a device, a password of the member's own) it counts as knowledge again.
   */
  async changePassword(
    accountId: string,
    newPassword: string,
    options: { mailboxOnly: boolean },
  ): Promise<{ ok: true; account: Account } | { ok: false; problem: PasswordProblem | 'password.breached' }> {
    const problem = await this.newPasswordProblem(newPassword);
    if (problem) return { ok: false, problem };
    const updated = await this.replacePassword(accountId, newPassword, { passwordFromMailboxAt: options.mailboxOnly ? new Date() : null });
    if (!updated) throw new DomainError('not_found', 'account not found');
    return { ok: true, account: updated };
  }

  /**
   * The shared end of a reset and a change: the new hash and the change time (which also freezes
   * redemptions), then every session and grant ended and the owner emailed. Undefined if the account is gone.
   */
  private async replacePassword(accountId: string, newPassword: string, patch: AccountPatch = {}): Promise<Account | undefined> {
    const passwordHash = await timedKdf(this.deps.observer, 'hash', () => hashPassword(newPassword));
    const updated = await this.deps.accounts.update(accountId, { ...patch, passwordHash, credentialsChangedAt: new Date() });
    if (!updated) return undefined;
    await this.deps.sessions.endAll(accountId);
    if (updated.email !== null) await this.deps.mailer.send(messages.passwordChanged(updated.email, await messageLanguage()));
    return updated;
  }

  /**
   * The member proved a class other than the mailbox (a step-up by phone or device): a password set by
   * reset counts as knowledge again from now on.
   */
  async provedBeyondMailbox(account: Account): Promise<void> {
    if (account.passwordFromMailboxAt === null) return;
    await this.deps.accounts.update(account.id, { passwordFromMailboxAt: null });
  }

  /**
   * Passwordless sign-in: emails a code if a verified account has this address. The caller answers the
   * same either way, so the form reveals nobody.
   */
  async startCodeSignIn(emailInput: string): Promise<{ retryAfterSeconds: number }> {
    const email = normaliseEmail(emailInput);
    if (!isValidEmail(email)) return { retryAfterSeconds: 0 };
    const account = await this.deps.accounts.findByEmail(email);
    const member = account?.emailVerified ? account : undefined;
    // As for a reset: a code (sent nowhere) for a stranger too, and the mail after the response.
    const subject = this.deps.codes.subjectFor(member?.id, email);
    const issued = await this.deps.codes.issue('sign_in', subject);
    if (!issued.ok) return { retryAfterSeconds: issued.retryAfterSeconds };
    if (member) await this.deps.mailer.send(messages.signInCode(email, issued.code, await messageLanguage()), this.discardOnFailure('sign_in', subject));
    return { retryAfterSeconds: 0 };
  }

  /** The account the emailed code signs in, under the usual code rules; unknown addresses fail like a wrong code. */
  async completeCodeSignIn(emailInput: string, code: string): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem }> {
    const email = normaliseEmail(emailInput);
    const account = await this.deps.accounts.findByEmail(email);
    const member = account?.emailVerified ? account : undefined;
    const check = await this.deps.codes.verify('sign_in', this.deps.codes.subjectFor(member?.id, email), code);
    if (!check.ok) return { ok: false, reason: check.reason };
    return member ? { ok: true, account: member } : { ok: false, reason: 'code.invalid' };
  }

  /** A code whose mail could not be delivered is dropped, so it does not hold the resend wait against the retry. */
  private discardOnFailure(purpose: CodePurpose, subject: string): DeliveryOptions {
    return { onFailure: () => this.deps.codes.discard(purpose, subject) };
  }

  /** Why a new password (reset or change) is refused: the policy first, then the breach service if one is set. */
  private async newPasswordProblem(password: string): Promise<PasswordProblem | 'password.breached' | null> {
    return checkPassword(password) ?? ((await this.isBreached(password)) ? 'password.breached' : null);
  }

  private async isBreached(password: string): Promise<boolean> {
    return this.deps.breached ? this.deps.breached.isBreached(password) : false;
  }

  async findById(id: string): Promise<Account | undefined> {
    return this.deps.accounts.findById(id);
  }
}
