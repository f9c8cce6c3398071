// "Delete my account" (GDPR art. 17): a request starts a 14-day grace period (signing in offers to cancel it);
// then, or at once when the admin API asks, every row of the member is erased from the store, what accounting
// keeps is re-keyed to a tombstone, each partner the member used gets a back-channel logout, and the erasure
// is announced (member-deleted.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { OidcStore } from '../oidc/oidc-store.repository.ts';
import type { AnnounceMemberDeleted, ErasureActor } from './member-deleted.ts';
import { deletionScheduled } from './privacy-emails.ts';
import { memberDeletedEvent } from '../events/domain-event.ts';
import type { EventsRepository } from '../events/events.repository.ts';
import type { ErasureRequest, PrivacyStore } from './privacy.repository.ts';

export const ERASURE_GRACE_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Erasures per sweep; the next sweep takes the rest. */
const BATCH = 20;

/** Tells clients their member's sessions ended (server/sessions/backchannel-logout.ts). */
export interface ClientLogout {
  logoutClients(accountId: string, targets: Array<{ clientId: string; sid: string | undefined }>): void;
}

export interface MemberErasureDeps {
  store: PrivacyStore;
  accounts: AccountsRepository;
  oidc: OidcStore;
  logout: ClientLogout;
  audit: Pick<AuditLog, 'record'>;
  announce: AnnounceMemberDeleted;
  /** The events outbox: the member's events and their webhook deliveries go with the member. */
  events: Pick<EventsRepository, 'forgetMember'>;
  mailer: Mailer;
  languageOf(accountId: string): Promise<string>;
  issuer: string;
  logger: Logger;
  graceDays?: number;
  now?: () => Date;
}

export type ErasureOutcome =
  | { status: 'scheduled'; request: ErasureRequest }
  | { status: 'erased'; at: Date }
  | { status: 'unknown_member' };

export class MemberErasure {
  private readonly deps: MemberErasureDeps;
  private readonly now: () => Date;

  constructor(deps: MemberErasureDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Schedules the erasure after the grace period, or (grace 'none') erases now. A second request keeps the
   * first date (idempotent); 'none' brings a scheduled one forward.
   */
  async request(accountId: string, options: { grace: 'default' | 'none'; by: ErasureActor }): Promise<ErasureOutcome> {
    const account = await this.deps.accounts.findById(accountId);
    if (!account) return { status: 'unknown_member' };
    const now = this.now();
    if (options.grace === 'none') {
      // Recorded first: should the erasure stop half-way, the sweeper finishes it.
      await this.deps.store.scheduleErasure({ accountId, requestedAt: now, eraseAt: now }, { replaceLater: true });
      await this.erase(accountId, options.by);
      return { status: 'erased', at: now };
    }
    const wanted = { accountId, requestedAt: now, eraseAt: new Date(now.getTime() + (this.deps.graceDays ?? ERASURE_GRACE_DAYS) * DAY_MS) };
    const request = await this.deps.store.scheduleErasure(wanted);
    if (request.requestedAt.getTime() === now.getTime()) {
      await this.deps.audit.record({ type: 'member.erasure_scheduled', accountId, reason: options.by, details: { erase_at: request.eraseAt.toISOString() } });
      // The owner hears of it even if a thief asked: the email says how to keep the account.
      const link = new URL('/account/security', this.deps.issuer).href;
      // A phone-first member has no mailbox: the account page shows the scheduled date.
      if (account.email !== null) await this.deps.mailer.send(deletionScheduled(account.email, await this.deps.languageOf(accountId), link, request.eraseAt))
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'deletion notice not sent'));
    }
    return { status: 'scheduled', request };
  }

  scheduled(accountId: string): Promise<ErasureRequest | undefined> {
    return this.deps.store.findErasure(accountId);
  }

  /** "Keep my account": returns whether an erasure was scheduled. */
  async cancel(accountId: string): Promise<boolean> {
    const cancelled = await this.deps.store.cancelErasure(accountId);
    if (cancelled) await this.deps.audit.record({ type: 'member.erasure_cancelled', accountId });
    return cancelled;
  }

  /** Erases the members whose grace period is over; returns how many. Failures are logged and retried next sweep. */
  async sweepDue(): Promise<number> {
    let erased = 0;
    for (const accountId of await this.deps.store.listDueErasures(this.now(), BATCH)) {
      try {
        await this.erase(accountId, 'schedule');
        erased += 1;
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'scheduled erasure failed');
      }
    }
    return erased;
  }

  private async erase(accountId: string, by: ErasureActor): Promise<void> {
    const account = await this.deps.accounts.findById(accountId);
    // Whom to tell, read before the rows that say so are gone.
    const sessions = await this.deps.oidc.findByAccountId('Session', accountId);
    const grants = await this.deps.oidc.findByAccountId('Grant', accountId);
    const partners = (await this.deps.store.listPartnerLinks(accountId)).map((link) => ({ partnerId: link.partnerId, subject: link.subject }));
    const targets = new Map<string, string | undefined>();
    for (const { payload } of sessions) {
      for (const [clientId, authorization] of Object.entries((payload.authorizations ?? {}) as Record<string, { sid?: string } | undefined>)) {
        targets.set(clientId, authorization?.sid);
      }
    }
    for (const { payload } of grants) {
      if (typeof payload.clientId === 'string' && !targets.has(payload.clientId)) targets.set(payload.clientId, undefined);
    }
    const tombstone = randomUUID();
    // Without the account (a crash after it went), the rows still keyed by its id are erased all the same.
    // member.deleted is written with the erasure (its id derived from the account: a re-run writes it once).
    await this.deps.store.eraseMember({
      accountId, email: account?.email ?? accountId, phone: account?.phone ?? null, tombstone, events: [memberDeletedEvent(accountId, partners.map((link) => link.partnerId), this.now())],
    });
    await this.deps.events.forgetMember(accountId);
    const clientIds = [...targets.keys()];
    this.deps.logout.logoutClients(accountId, clientIds.map((clientId) => ({ clientId, sid: targets.get(clientId) })));
    await this.deps.announce({ tombstone, at: this.now(), by, partners, clientIds });
  }
}
