// Changing a member's email (issue 17 item 6): a code to the new address proves it; the old address is told,
// with a signed, single-use "this was not me" link (7 days) that restores it and ends every session.
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { messageLanguage } from '../../i18n/request-language.ts';
import { constantTimeEqual } from '../../security/crypto.ts';
import type { CodeService } from '../codes/code-service.ts';
import { DomainError } from '../errors.ts';
import type { FactorsRepository } from '../factors/factors.repository.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Account } from './account.ts';
import { emailChangeCode, emailChanged } from './account-emails.ts';
import type { CodeProblem } from './account-service.ts';
import type { AccountsRepository } from './accounts.repository.ts';
import { isDisposableEmail } from './disposable-email.ts';
import { isValidEmail, maskEmail, normaliseEmail } from './email-address.ts';

export const UNDO_TTL_SECONDS = 7 * 24 * 60 * 60;
const MAX_TOKEN_LENGTH = 1024;
const USE_SCOPE = 'email-change-undo';

export type EmailChangeProblem = 'email.invalid' | 'email.disposable' | 'account.email.same';

export interface UndoClaim {
  accountId: string;
  oldEmail: string;
  /** A keyed hash of the new address (the link names only the address it was sent to). */
  newEmailTag: string;
  /** Random id: a link restores once. */
  id: string;
  expiresAt: Date;
}

export interface EmailChangeDeps {
  accounts: AccountsRepository;
  codes: CodeService;
  mailer: Mailer;
  /** Single use of the undo link (the factor-use records, swept once expired). */
  uses: Pick<FactorsRepository, 'claimUse'>;
  /** HMAC key of the undo links. */
  key: Buffer;
  issuer: string;
  /** Ends every session and grant of the account, telling partners by back channel. */
  endAllSessions(accountId: string): Promise<void>;
  logger: Logger;
}

export class EmailChangeService {
  private readonly deps: EmailChangeDeps;

  constructor(deps: EmailChangeDeps) {
    this.deps = deps;
  }

  /**
   * Sends a code to the new address. An address another account holds gets no code and the same answer (the
   * code is kept, sent nowhere), so the form tells nobody who is a member; it can then only fail like a wrong code.
   */
  async start(account: Account, input: string): Promise<{ ok: true; retryAfterSeconds: number } | { ok: false; reason: EmailChangeProblem }> {
    const email = normaliseEmail(input);
    if (!isValidEmail(email)) return { ok: false, reason: 'email.invalid' };
    if (isDisposableEmail(email)) return { ok: false, reason: 'email.disposable' };
    if (email === account.email) return { ok: false, reason: 'account.email.same' };
    const holder = await this.deps.accounts.findByEmail(email);
    const issued = await this.deps.codes.issue('email_change', account.id, { email });
    if (!issued.ok) return { ok: true, retryAfterSeconds: issued.retryAfterSeconds };
    if (!holder) {
      await this.deps.mailer.send(emailChangeCode(email, issued.code, await messageLanguage()), {
        onFailure: () => this.deps.codes.discard('email_change', account.id),
      });
    }
    return { ok: true, retryAfterSeconds: 0 };
  }

  /** The address waiting for its code, if any. */
  async pending(account: Account): Promise<string | undefined> {
    return (await this.deps.codes.peekData('email_change', account.id))?.email;
  }

  /**
   * Checks the code and makes its address the account's verified email; the old address gets the notice with
   * the undo link. An address taken meanwhile is refused with a neutral reason (the code is spent).
   */
  async confirm(account: Account, code: string): Promise<{ ok: true; account: Account } | { ok: false; reason: CodeProblem | 'account.email.unavailable' }> {
    const check = await this.deps.codes.verify('email_change', account.id, code);
    if (!check.ok) return check;
    const email = check.data?.email;
    if (!email) return { ok: false, reason: 'code.invalid' };
    let updated: Account | undefined;
    try {
      updated = await this.deps.accounts.setEmail(account.id, email);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'duplicate') return { ok: false, reason: 'account.email.unavailable' };
      throw error;
    }
    if (!updated) return { ok: false, reason: 'code.invalid' };
    // A phone-first member adding a first email: no old address to tell, nothing to undo.
    if (account.email === null) return { ok: true, account: updated };
    const url = new URL('/account/email/undo', this.deps.issuer);
    url.searchParams.set('token', this.createUndoToken(account.id, account.email, email));
    await this.deps.mailer.send(emailChanged(account.email, maskEmail(email), url.href, await messageLanguage())).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, accountId: account.id }, 'email change notice not sent');
    });
    return { ok: true, account: updated };
  }

  /** The claim of a genuine, unexpired link whose change is still in place; undefined for anything else. */
  async readUndo(token: unknown, now = new Date()): Promise<UndoClaim | undefined> {
    const claim = this.readUndoToken(token, now);
    if (!claim) return undefined;
    const account = await this.deps.accounts.findById(claim.accountId);
    // Restored already, or changed again since: this link has nothing left to undo.
    return account && account.email !== null && constantTimeEqual(this.tag(account.email), claim.newEmailTag) ? claim : undefined;
  }

  /**
   * Restores the old address (used once), then ends every session and grant: whoever changed the email may
   * be signed in. 'unavailable' when the old address was taken by another account meanwhile.
   */
  async undo(token: unknown): Promise<{ ok: true; accountId: string } | { ok: false; reason: 'invalid' | 'unavailable' }> {
    const claim = await this.readUndo(token);
    if (!claim || !(await this.deps.uses.claimUse(USE_SCOPE, claim.id, claim.expiresAt))) return { ok: false, reason: 'invalid' };
    try {
      if (!(await this.deps.accounts.setEmail(claim.accountId, claim.oldEmail))) return { ok: false, reason: 'invalid' };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'duplicate') return { ok: false, reason: 'unavailable' };
      throw error;
    }
    // Sessions and grants from before now no longer count (as after a password reset), and are ended now.
    await this.deps.accounts.update(claim.accountId, { credentialsChangedAt: new Date() });
    await this.deps.endAllSessions(claim.accountId);
    return { ok: true, accountId: claim.accountId };
  }

  private createUndoToken(accountId: string, oldEmail: string, newEmail: string, now = new Date()): string {
    const payload = Buffer.from(JSON.stringify({
      a: accountId, o: oldEmail, n: this.tag(newEmail), i: randomBytes(12).toString('base64url'), e: Math.floor(now.getTime() / 1000) + UNDO_TTL_SECONDS,
    })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  private readUndoToken(token: unknown, now: Date): UndoClaim | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !constantTimeEqual(signature, this.sign(payload))) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const { a, o, n, i, e } = parsed;
      if (typeof a !== 'string' || typeof o !== 'string' || typeof n !== 'string' || typeof i !== 'string' || typeof e !== 'number') return undefined;
      if (e * 1000 <= now.getTime()) return undefined;
      return { accountId: a, oldEmail: o, newEmailTag: n, id: i, expiresAt: new Date(e * 1000) };
    } catch {
      return undefined;
    }
  }

  private tag(email: string): string {
    return createHmac('sha256', this.deps.key).update(`email-change-new\0${email}`).digest('base64url').slice(0, 22);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.deps.key).update(`email-change-undo\0${payload}`).digest('base64url');
  }
}
