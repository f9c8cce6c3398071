// A second factor by email: a one-time code to the account's verified address (amr "otp").
import type { Account } from '../accounts/account.ts';
import { stepUpCode } from '../accounts/account-emails.ts';
import type { CodeCheck, CodeService } from '../codes/code-service.ts';
import type { Mailer } from '../mail/mailer.ts';

export interface EmailFactorDeps {
  codes: CodeService;
  mailer: Mailer;
}

export type EmailFactorCheck = { ok: true } | { ok: false; reason: Extract<CodeCheck, { ok: false }>['reason'] };

export class EmailFactor {
  private readonly deps: EmailFactorDeps;

  constructor(deps: EmailFactorDeps) {
    this.deps = deps;
  }

  /** Only a verified address proves possession of anything. */
  available(account: Account): boolean {
    return account.emailVerified;
  }

  /** Sends a code unless the resend cooldown is running; returns the seconds left to wait (0 = sent). */
  async send(account: Account): Promise<number> {
    if (!this.available(account)) return 0;
    const issued = await this.deps.codes.issue('step_up_email', account.id);
    if (!issued.ok) return issued.retryAfterSeconds;
    await this.deps.mailer.send(stepUpCode(account.email, issued.code));
    return 0;
  }

  /** Same code rules as everywhere: single use, 10 minutes, dead after 5 wrong tries. */
  async verify(account: Account, code: string): Promise<EmailFactorCheck> {
    if (!this.available(account)) return { ok: false, reason: 'code.invalid' };
    const check = await this.deps.codes.verify('step_up_email', account.id, code);
    return check.ok ? { ok: true } : { ok: false, reason: check.reason };
  }
}
