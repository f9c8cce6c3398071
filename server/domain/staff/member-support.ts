// Support actions on a member (issue 20), shared by the operator console and the admin API: remove a lost factor
// (the member is told by email, in their language), lift sign-in blocks, freeze or unfreeze redemptions. Each one
// carries the staff member's reason and is audited with who did it; roles are checked by the callers (permissions.ts).
import type { Logger } from 'pino';
import type { Account } from '../accounts/account.ts';
import { securityChanged } from '../accounts/account-emails.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { PhoneService } from '../accounts/phone-service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { DomainError } from '../errors.ts';
import type { TotpFactor } from '../factors/totp-factor.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { PasskeyService } from '../passkeys/passkey-service.ts';
import type { RedemptionFreeze, StaffRepository } from './staff.repository.ts';

/** Which factor: the authenticator app, the phone (texted codes), or one passkey by its id. */
export type FactorToRemove = { kind: 'totp' } | { kind: 'phone' } | { kind: 'passkey'; id: string };

export interface SupportCaller {
  /** `staff:<accountId>` or `client:<clientId>`: who the audit log names. */
  actor: string;
  ip: string | null;
  userAgent: string | null;
}

export interface MemberSupportDeps {
  accounts: Pick<AccountsRepository, 'findById'>;
  totp: Pick<TotpFactor, 'remove'>;
  passkeys: Pick<PasskeyService, 'list' | 'remove'>;
  phones: Pick<PhoneService, 'remove'>;
  mailer: Mailer;
  /** The member's language for the notice (their saved locale, else the program's default). */
  languageOf(accountId: string): Promise<string>;
  audit: Pick<AuditLog, 'record' | 'list'>;
  signIns: { unblock(email: string, ips: readonly string[]): Promise<void> };
  staff: Pick<StaffRepository, 'findRedemptionFreeze' | 'freezeRedemptions' | 'unfreezeRedemptions'>;
  logger: Pick<Logger, 'warn'>;
}

/** How far back the addresses of a member's failed sign-ins are read: longer than any sign-in block lasts. */
const BLOCK_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export class MemberSupport {
  private readonly deps: MemberSupportDeps;

  constructor(deps: MemberSupportDeps) {
    this.deps = deps;
  }

  private async member(accountId: string): Promise<Account> {
    const account = accountId.length <= 200 ? await this.deps.accounts.findById(accountId) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    return account;
  }

  private async record(caller: SupportCaller, event: { type: 'factor.removed' | 'phone.changed' | 'account.unlocked' | 'admin.action'; accountId: string; reason: string }, staffReason: string) {
    await this.deps.audit.record({ ...event, ip: caller.ip, userAgent: caller.userAgent, details: { actor: caller.actor, staff_reason: staffReason } });
  }

  /**
   * Removes a factor the member lost. Refused (conflict, `last_way_in`) for the only passkey of an account without
   * a password, as on the account page; not_found when the member has no such factor.
   */
  async removeFactor(caller: SupportCaller, accountId: string, factor: FactorToRemove, reason: string): Promise<void> {
    const account = await this.member(accountId);
    const lang = await this.deps.languageOf(account.id);
    if (factor.kind === 'totp') {
      if (!(await this.deps.totp.remove(account.id))) throw new DomainError('not_found', 'the member has no authenticator app');
      await this.record(caller, { type: 'factor.removed', accountId: account.id, reason: 'totp' }, reason);
      return this.notify(account, account.email === null ? null : securityChanged(account.email, { id: 'email.change.app_removed' }, lang));
    }
    if (factor.kind === 'phone') {
      if (!account.phone) throw new DomainError('not_found', 'the member has no phone');
      // The phone service tells the member itself (the number masked), as when they remove it on the account page.
      await this.deps.phones.remove(account);
      await this.record(caller, { type: 'phone.changed', accountId: account.id, reason: 'phone_removed' }, reason);
      return;
    }
    const passkeys = await this.deps.passkeys.list(account.id);
    const target = passkeys.find((passkey) => passkey.id === factor.id);
    if (!target) throw new DomainError('not_found', 'the member has no such passkey');
    if (account.passwordHash === null && passkeys.length <= 1) {
      throw new DomainError('conflict', 'this passkey is the member\'s only way in', { details: { reason: 'last_way_in' } });
    }
    if (!(await this.deps.passkeys.remove(account.id, target.id))) throw new DomainError('not_found', 'the member has no such passkey');
    await this.record(caller, { type: 'factor.removed', accountId: account.id, reason: 'passkey' }, reason);
    return this.notify(account, account.email === null ? null : securityChanged(account.email, { id: 'email.change.passkey_removed', params: { name: target.name } }, lang));
  }

  /** Lifts the member's sign-in blocks: their email's counters and its pairs with the addresses it recently failed from. */
  async unblock(caller: SupportCaller, accountId: string, reason: string): Promise<void> {
    const account = await this.member(accountId);
    const { events } = await this.deps.audit.list({
      accountId: account.id, types: ['sign_in.failure', 'sign_in.blocked', 'account.protected'], from: new Date(Date.now() - BLOCK_LOOKBACK_MS), limit: 500,
    });
    const ips = events.map((event) => event.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
    // A phone-first member has no email counters; its addresses' pairs are keyed by email too, so nothing to lift.
    if (account.email !== null) await this.deps.signIns.unblock(account.email, ips);
    await this.record(caller, { type: 'account.unlocked', accountId: account.id, reason: 'staff' }, reason);
  }

  redemptionFreeze(accountId: string): Promise<RedemptionFreeze | undefined> {
    return this.deps.staff.findRedemptionFreeze(accountId);
  }

  /** Freezes the member's redemptions (a second freeze keeps the first and records nothing new). */
  async freezeRedemptions(caller: SupportCaller, accountId: string, reason: string): Promise<RedemptionFreeze> {
    const account = await this.member(accountId);
    const wanted = { accountId: account.id, frozenBy: caller.actor, reason, frozenAt: new Date() };
    const freeze = await this.deps.staff.freezeRedemptions(wanted);
    if (freeze.frozenBy === wanted.frozenBy && freeze.frozenAt.getTime() === wanted.frozenAt.getTime()) {
      await this.record(caller, { type: 'admin.action', accountId: account.id, reason: 'redemptions_frozen' }, reason);
    }
    return freeze;
  }

  /** Lifts the freeze; false (nothing recorded) when there was none. */
  async unfreezeRedemptions(caller: SupportCaller, accountId: string, reason: string): Promise<boolean> {
    const account = await this.member(accountId);
    const lifted = await this.deps.staff.unfreezeRedemptions(account.id);
    if (lifted) await this.record(caller, { type: 'admin.action', accountId: account.id, reason: 'redemptions_unfrozen' }, reason);
    return lifted;
  }

  /** The change is made either way: a notice that cannot be sent is logged, not turned into an error. */
  /** `message` null: the member has no email (phone-first), so there is nobody to mail. */
  private async notify(account: Account, message: Parameters<Mailer['send']>[0] | null): Promise<void> {
    if (message === null) return;
    await this.deps.mailer.send(message).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'security notice not sent'));
  }
}
