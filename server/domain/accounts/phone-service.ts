// The member's verified mobile phone: adding it (a code to the new number), removing it, and signing
// in with a code by SMS. Numbers are stored in E.164 and only once proven.
import type { Logger } from 'pino';
import type { CodeService } from '../codes/code-service.ts';
import type { CodePurpose } from '../codes/codes.repository.ts';
import { DomainError } from '../errors.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { OutgoingSms, SmsSender } from '../sms/sms-sender.ts';
import { smsKioskFinish, smsPhoneSignUpCode, smsPhoneSignUpMember, smsPhoneVerificationCode, smsSignInCode } from '../sms/sms-texts.ts';
import type { Account } from './account.ts';
import { type SecurityChange, securityChanged } from './account-emails.ts';
import { messageLanguage } from '../../i18n/request-language.ts';
import type { AccountsRepository } from './accounts.repository.ts';
import type { CodeProblem } from './account-service.ts';
import { type PhoneCountryChoice, phoneCountryChoice, preselectedCountry } from './phone-countries.ts';
import { maskPhone, parsePhoneNumber } from './phone-number.ts';
import { signUpCodeSentEvent } from '../events/domain-event.ts';
import type { EventsRepository } from '../events/events.repository.ts';
import type { EnrolmentChannel, SignUpMethod } from '../loyalty/loyalty.repository.ts';
import { observeSignUp, type AccountObserver } from './account-observer.ts';

export type PhoneProblem = 'phone.invalid' | 'phone.not_mobile' | 'phone.country_not_allowed';

export interface PhoneServiceDeps {
  accounts: AccountsRepository;
  codes: CodeService;
  /** Undefined when SMS is not configured: then nothing here is offered. */
  sms: SmsSender | undefined;
  mailer: Mailer;
  /** Our host, for the WebOTP line of each SMS. */
  host: string;
  /** SMS_DEFAULT_COUNTRY: preselected where the page language names none of `countries`. */
  defaultCountry: string | undefined;
  /** SMS_COUNTRIES: the phone fields' country list; numbers of other countries are refused. */
  countries: readonly string[];
  /** SMS_ALLOWED_COUNTRIES (upper-case alpha-2); undefined: every country. */
  allowedCountries?: readonly string[] | undefined;
  /** The country of a client address, where the shipped geo data knows it (server/security/geo). */
  countryOf?: ((ip: string) => string | undefined) | undefined;
  logger: Logger;
  /** Issue 21: a phone sign-up's member, counted and in the funnel's events as an email sign-up's. */
  members?: {
    ensureMember(accountId: string, channel: EnrolmentChannel, signUpMethod: SignUpMethod): Promise<unknown>;
    deleteMemberWithoutEntries(accountId: string): Promise<boolean>;
  } | undefined;
  events?: Pick<EventsRepository, 'append'> | undefined;
  observer?: Pick<AccountObserver, 'signedUp'> | undefined;
}

export class PhoneService {
  private readonly deps: PhoneServiceDeps;

  constructor(deps: PhoneServiceDeps) {
    this.deps = deps;
  }

  get enabled(): boolean {
    return this.deps.sms !== undefined;
  }

  /** The country preselected in a phone field for this page language and client address. */
  preselected(lang: string, ip: string | undefined): string {
    const requestCountry = ip ? this.deps.countryOf?.(ip) : undefined;
    return preselectedCountry(this.deps.countries, lang, requestCountry, this.deps.defaultCountry);
  }

  /**
   * What a phone field shows: the program's countries in the page language, the one selected (the posted
   * one when it is ours, else the preselected one) and its example number.
   */
  countryChoice(lang: string, ip: string | undefined, posted?: string): PhoneCountryChoice {
    const selected = posted && this.deps.countries.includes(posted) ? posted : this.preselected(lang, ip);
    return phoneCountryChoice(this.deps.countries, lang, selected);
  }

  /**
   * The number in E.164, read in the selected `country` when typed in national form, and refused early
   * (with a clear reason) outside the program's countries or where texts cannot go.
   */
  parse(input: string, country?: string): ReturnType<typeof parsePhoneNumber> | { ok: false; reason: 'phone.country_not_allowed' } {
    const selected = country?.toUpperCase() ?? this.deps.defaultCountry ?? this.deps.countries[0];
    if (selected !== undefined && !this.deps.countries.includes(selected)) return { ok: false, reason: 'phone.country_not_allowed' };
    const parsed = parsePhoneNumber(input, selected);
    const allowed = this.deps.allowedCountries;
    if (parsed.ok && (!this.deps.countries.includes(parsed.country) || (allowed && !allowed.includes(parsed.country)))) {
      return { ok: false, reason: 'phone.country_not_allowed' };
    }
    return parsed;
  }

  /**
   * Sends a code to the number the member typed; the number is kept with the code and stored on the
   * account only when the code comes back. Returns the seconds to wait when the cooldown runs.
   */
  async startVerification(account: Account, input: string, country?: string): Promise<{ ok: true; phone: string; retryAfterSeconds: number } | { ok: false; reason: PhoneProblem }> {
    const sms = this.requireSms();
    const parsed = this.parse(input, country);
    if (!parsed.ok) return parsed;
    const issued = await this.deps.codes.issue('phone_verification', account.id, { phone: parsed.e164 });
    if (!issued.ok) return { ok: true, phone: parsed.e164, retryAfterSeconds: issued.retryAfterSeconds };
    await this.deliver(sms, 'phone_verification', account.id, smsPhoneVerificationCode(parsed.e164, issued.code, this.deps.host, await messageLanguage()));
    return { ok: true, phone: parsed.e164, retryAfterSeconds: 0 };
  }

  /** The number waiting for its code, if any (to show it masked on the code page). */
  async pending(account: Account): Promise<string | undefined> {
    return (await this.deps.codes.peekData('phone_verification', account.id))?.phone;
  }

  /**
   * Checks the code and stores the number it was sent to. A number another account holds is refused
   * only now, after the code proved the member owns it, so the form cannot be used to find members.
   */
  async confirm(account: Account, code: string): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem | 'phone.taken' }> {
    const check = await this.deps.codes.verify('phone_verification', account.id, code);
    if (!check.ok) return check;
    const phone = check.data?.phone;
    if (!phone) return { ok: false, reason: 'code.invalid' };
    try {
      const updated = await this.deps.accounts.setPhone(account.id, phone);
      if (!updated) return { ok: false, reason: 'code.invalid' };
      await this.notify(account, { id: 'email.change.phone_added', params: { phone: maskPhone(phone) } });
      return { ok: true, account: updated };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'duplicate') return { ok: false, reason: 'phone.taken' };
      throw error;
    }
  }

  async remove(account: Account): Promise<void> {
    if (!account.phone) return;
    await this.deps.accounts.setPhone(account.id, null);
    await this.notify(account, { id: 'email.change.phone_removed', params: { phone: maskPhone(account.phone) } });
  }

  /**
   * Passwordless sign-in by SMS. A number no member has gets no SMS (nobody pays to text strangers) and
   * the same answer, so the form reveals nobody.
   */
  async startSignIn(input: string, country?: string): Promise<{ ok: true; phone: string; retryAfterSeconds: number } | { ok: false; reason: PhoneProblem }> {
    const sms = this.requireSms();
    const parsed = this.parse(input, country);
    if (!parsed.ok) return parsed;
    const account = await this.deps.accounts.findByPhone(parsed.e164);
    // A stranger's number gets a code too (kept, never texted), so the resend wait and the daily budget
    // answer alike; the text itself goes out after the response (the queued sender).
    const subject = this.deps.codes.subjectFor(account?.id, parsed.e164);
    const issued = await this.deps.codes.issue('sms_sign_in', subject);
    if (!issued.ok) return { ok: true, phone: parsed.e164, retryAfterSeconds: issued.retryAfterSeconds };
    if (account) await this.deliver(sms, 'sms_sign_in', subject, smsSignInCode(parsed.e164, issued.code, this.deps.host, await messageLanguage()));
    return { ok: true, phone: parsed.e164, retryAfterSeconds: 0 };
  }

  async completeSignIn(phone: string, code: string): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem }> {
    const account = await this.deps.accounts.findByPhone(phone);
    const check = await this.deps.codes.verify('sms_sign_in', this.deps.codes.subjectFor(account?.id, phone), code);
    if (!check.ok) return { ok: false, reason: check.reason };
    return account ? { ok: true, account } : { ok: false, reason: 'code.invalid' };
  }

  /**
   * Sign-up by mobile number (issue 21), step 1. The answer is the same whether or not the number is a member's,
   * so the form finds nobody: a new number gets a code; a member's number gets a code kept but sent nowhere (so
   * the resend wait and daily budget run alike) and a text telling the member someone tried to join with it.
   * Every text goes through the SMS guard (pumping protection, per-country budgets) like any other.
   */
  async startSignUp(input: string, country?: string): Promise<{ ok: true; phone: string; retryAfterSeconds: number } | { ok: false; reason: PhoneProblem }> {
    const sms = this.requireSms();
    const parsed = this.parse(input, country);
    if (!parsed.ok) return parsed;
    const member = await this.deps.accounts.findByPhone(parsed.e164);
    // Keyed by the number, never by an account: nobody exists yet, and a member's id must not show through.
    const subject = this.deps.codes.subjectFor(undefined, parsed.e164);
    const issued = await this.deps.codes.issue('phone_sign_up', subject);
    if (!issued.ok) return { ok: true, phone: parsed.e164, retryAfterSeconds: issued.retryAfterSeconds };
    const lang = await messageLanguage();
    await this.deliver(sms, 'phone_sign_up', subject, member ? smsPhoneSignUpMember(parsed.e164, lang) : smsPhoneSignUpCode(parsed.e164, issued.code, this.deps.host, lang));
    return { ok: true, phone: parsed.e164, retryAfterSeconds: 0 };
  }

  /**
   * Step 2: the code proves the number, and only then is the account created (no email, no password; the number
   * verified). A member's number fails like a wrong code (its code was never sent), so no second account exists.
   */
  async completeSignUp(phone: string, code: string, channel: EnrolmentChannel = 'web'): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem }> {
    const check = await this.deps.codes.verify('phone_sign_up', this.deps.codes.subjectFor(undefined, phone), code);
    if (!check.ok) return { ok: false, reason: check.reason };
    if (await this.deps.accounts.findByPhone(phone)) return { ok: false, reason: 'code.invalid' };
    const created = await this.deps.accounts.create({ email: null, emailVerified: false, passwordHash: null });
    // The sign-up funnel in email sign-up's order (member.created, signup.code_sent, then member.phone_verified
    // from setPhone): the analytics count a step only after the member's start. No account exists before the
    // code is proven, so a phone sign-up enters the funnel here; an outbox failure never fails the sign-up.
    await this.deps.members?.ensureMember(created.id, channel, 'phone');
    await this.deps.events?.append([signUpCodeSentEvent(created.id)]).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'signup.code_sent not recorded'));
    try {
      const account = await this.deps.accounts.setPhone(created.id, phone);
      if (account) {
        observeSignUp(this.deps.observer, channel);
        return { ok: true, account };
      }
    } catch (error) {
      // A concurrent sign-up or an account page took the number first: this empty account (and member) goes.
      if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
    }
    await this.deps.members?.deleteMemberWithoutEntries(created.id);
    await this.deps.accounts.delete(created.id);
    return { ok: false, reason: 'code.invalid' };
  }

  /** After enrolment on a shared kiosk: the link to finish on the member's own phone, by SMS. */
  async sendKioskFinish(phone: string, url: string): Promise<void> {
    await this.requireSms().send(smsKioskFinish(phone, url, await messageLanguage()));
  }

  /**
   * A text the provider refused leaves no code behind: it would start the resend wait, so the member's
   * retry after an outage would send nothing. The pumping guard refuses at once; the provider, after the
   * response (the queued sender calls onFailure).
   */
  private async deliver(sms: SmsSender, purpose: CodePurpose, subject: string, message: OutgoingSms): Promise<void> {
    try {
      await sms.send(message, { onFailure: () => this.deps.codes.discard(purpose, subject) });
    } catch (error) {
      await this.deps.codes.discard(purpose, subject);
      throw error;
    }
  }

  private requireSms(): SmsSender {
    if (!this.deps.sms) throw new DomainError('invalid_input', 'SMS is not available');
    return this.deps.sms;
  }

  private async notify(account: Account, change: SecurityChange): Promise<void> {
    if (account.email === null) return; // a phone-first member: no mailbox to tell
    await this.deps.mailer.send(securityChanged(account.email, change, await messageLanguage())).catch((error: unknown) => {
      // The change is made; a lost notice must not undo it or fail the page.
      this.deps.logger.warn({ err: error, accountId: account.id }, 'security notice not sent');
    });
  }
}
