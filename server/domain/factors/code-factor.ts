// A second factor by a one-time code sent to a verified contact of the account: the email address
// (amr "otp") or the mobile phone by SMS (amr "sms"). Same code rules as everywhere else.
import type { Account } from '../accounts/account.ts';
import { stepUpCode } from '../accounts/account-emails.ts';
import type { CodeCheck, CodeService } from '../codes/code-service.ts';
import type { CodePurpose } from '../codes/codes.repository.ts';
import type { DeliveryOptions, Mailer } from '../mail/mailer.ts';
import type { SmsSender } from '../sms/sms-sender.ts';
import { smsStepUpCode } from '../sms/sms-texts.ts';
import { messageLanguage } from '../../i18n/request-language.ts';

export type CodeChannel = 'email' | 'sms';

export type CodeFactorCheck = { ok: true } | { ok: false; reason: Extract<CodeCheck, { ok: false }>['reason'] };

interface Channel {
  purpose: CodePurpose;
  /** Where the code goes, or null when the account has no verified contact on this channel. */
  destination(account: Account): string | null;
  deliver(destination: string, code: string, options: DeliveryOptions): Promise<void>;
}

export class CodeFactor {
  readonly channel: CodeChannel;
  private readonly codes: CodeService;
  private readonly route: Channel;

  constructor(channel: CodeChannel, codes: CodeService, route: Channel) {
    this.channel = channel;
    this.codes = codes;
    this.route = route;
  }

  /** Only a verified contact proves possession of anything. */
  available(account: Account): boolean {
    return this.route.destination(account) !== null;
  }

  /** Sends a code unless the resend cooldown is running; returns the seconds left to wait (0 = sent). */
  async send(account: Account): Promise<number> {
    const destination = this.route.destination(account);
    if (destination === null) return 0;
    const issued = await this.codes.issue(this.route.purpose, account.id);
    if (!issued.ok) return issued.retryAfterSeconds;
    // Not delivered (refused now, or failed after the response): drop the code so the resend cooldown does
    // not block the member's retry.
    const discard = () => this.codes.discard(this.route.purpose, account.id);
    try {
      await this.route.deliver(destination, issued.code, { onFailure: discard });
    } catch (error) {
      await discard();
      throw error;
    }
    return 0;
  }

  /** Seconds before "Send again" sends (0: now). */
  cooldownRemaining(account: Account): Promise<number> {
    return this.codes.cooldownRemaining(this.route.purpose, account.id);
  }

  /** Single use, 10 minutes, dead after 5 wrong tries. */
  async verify(account: Account, code: string): Promise<CodeFactorCheck> {
    if (!this.available(account)) return { ok: false, reason: 'code.invalid' };
    const check = await this.codes.verify(this.route.purpose, account.id, code);
    return check.ok ? { ok: true } : { ok: false, reason: check.reason };
  }
}

export function emailCodeFactor(codes: CodeService, mailer: Mailer): CodeFactor {
  return new CodeFactor('email', codes, {
    purpose: 'step_up_email',
    destination: (account) => (account.emailVerified ? account.email : null),
    deliver: async (to, code, options) => mailer.send(stepUpCode(to, code, await messageLanguage()), options),
  });
}

/** `sms` undefined: SMS is not configured (production without a webhook), so no account can use it. */
export function smsCodeFactor(codes: CodeService, sms: SmsSender | undefined, host: string): CodeFactor {
  return new CodeFactor('sms', codes, {
    purpose: 'step_up_sms',
    destination: (account) => (sms ? account.phone : null),
    deliver: async (to, code, options) => sms?.send(smsStepUpCode(to, code, host, await messageLanguage()), options),
  });
}
