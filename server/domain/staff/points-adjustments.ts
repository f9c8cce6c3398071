// Points adjustments by staff (issue 20): a signed amount with a reason, idempotent per caller, never below a
// zero balance; above the caller's role limit it waits for a second staff member, who is not the requester.
import type { AuditLog } from '../audit/audit-log.ts';
import { DomainError } from '../errors.ts';
import type { LedgerEntry, LoyaltyRepository, PostResult } from '../loyalty/loyalty.repository.ts';
import { requestHash } from '../loyalty/loyalty-service.ts';
import { adjustmentLimit } from './permissions.ts';
import type { PointsAdjustment, StaffRepository } from './staff.repository.ts';
import type { StaffRole } from './staff-roles.ts';

/** Who asks or decides: the admin client (no limit, as before issue 20) or a staff member with roles. */
export interface AdjustmentActor {
  actor: string;
  staff?: { accountId: string; roles: StaffRole[] };
}

export interface AdjustmentRequest {
  accountId: string;
  points: number;
  reason: string;
  idempotencyKey: string;
  /** The member's points version the form showed (the newest ledger sequence): stale forms are refused. */
  expectedVersion?: number | undefined;
  /** For the audit record. */
  ip: string | null;
  userAgent: string | null;
}

export type AdjustmentOutcome =
  | { status: 'applied'; entry: LedgerEntry; replayed: boolean }
  | { status: 'pending'; adjustment: PointsAdjustment; replayed: boolean };

export interface PointsAdjustmentsDeps {
  loyalty: Pick<LoyaltyRepository, 'findMember' | 'post' | 'findEntryByKey' | 'listEntries'>;
  staff: Pick<StaffRepository, 'createAdjustment' | 'findAdjustment' | 'decideAdjustment' | 'markApplied' | 'reopenAdjustment'>;
  audit: Pick<AuditLog, 'record'>;
  now?: () => Date;
}

function refusePost(result: Exclude<PostResult, { ok: true }>): never {
  if (result.reason === 'insufficient_points') throw new DomainError('insufficient_points', 'this adjustment would take the balance below zero; nothing changed');
  if (result.reason === 'idempotency_conflict') throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
  throw new DomainError('not_found', 'no such member');
}

export class PointsAdjustments {
  private readonly deps: PointsAdjustmentsDeps;

  constructor(deps: PointsAdjustmentsDeps) {
    this.deps = deps;
  }

  /** The member's points version: the sequence of the newest ledger entry (0 without entries). */
  async version(accountId: string): Promise<number> {
    const [newest] = await this.deps.loyalty.listEntries(accountId, { limit: 1 });
    return newest?.sequence ?? 0;
  }

  async request(caller: AdjustmentActor, input: AdjustmentRequest): Promise<AdjustmentOutcome> {
    const member = await this.deps.loyalty.findMember(input.accountId);
    if (!member) throw new DomainError('not_found', 'this account has no loyalty membership');
    // The key is the caller's own: two staff members cannot collide on (or replay) each other's keys.
    const key = `staff-adjust:${caller.actor}:${input.idempotencyKey}`;
    const hash = requestHash({ kind: 'adjust', points: input.points, partnerId: null, reason: input.reason, accountId: input.accountId });
    const done = await this.deps.loyalty.findEntryByKey(key);
    if (done) {
      if (done.requestHash !== hash) throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
      return { status: 'applied', entry: done, replayed: true };
    }
    if (input.expectedVersion !== undefined && input.expectedVersion !== await this.version(input.accountId)) {
      throw new DomainError('conflict', 'the member\'s points changed since this form was loaded; reload and try again', { details: { reason: 'stale' } });
    }
    const limit = caller.staff ? adjustmentLimit(caller.staff.roles) : Number.POSITIVE_INFINITY;
    if (Math.abs(input.points) > limit) {
      // Taking points away below zero is refused now, not after someone approved it.
      if (member.balance + input.points < 0) throw new DomainError('insufficient_points', 'this adjustment would take the balance below zero; nothing changed');
      const { adjustment, created } = await this.deps.staff.createAdjustment({
        accountId: input.accountId, points: input.points, reason: input.reason, requestedBy: caller.actor, idempotencyKey: key, requestHash: hash,
      });
      if (adjustment.requestHash !== hash) throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
      if (created) await this.audit('points.adjustment_requested', caller, input, { adjustment_id: adjustment.id, points: input.points });
      return { status: 'pending', adjustment, replayed: !created };
    }
    const result = await this.deps.loyalty.post({ accountId: input.accountId, kind: 'adjust', points: input.points, partnerId: null, reason: input.reason, idempotencyKey: key, requestHash: hash });
    if (!result.ok) refusePost(result);
    if (!result.replayed) await this.audit('points.adjusted', caller, input, { entry_id: result.entry.id, points: input.points });
    return { status: 'applied', entry: result.entry, replayed: result.replayed };
  }

  /** A second person applies a pending adjustment: never its requester. */
  async approve(caller: AdjustmentActor, accountId: string, id: string, context: { ip: string | null; userAgent: string | null }): Promise<{ adjustment: PointsAdjustment; entry: LedgerEntry }> {
    const adjustment = await this.pending(accountId, id);
    if (adjustment.requestedBy === caller.actor) throw new DomainError('forbidden', 'the requester cannot approve their own adjustment');
    const at = (this.deps.now ?? (() => new Date()))();
    // Claimed first (one approver or rejecter wins), applied second, released again if the balance no longer allows it.
    if (!await this.deps.staff.decideAdjustment(id, 'approved', caller.actor, at)) throw new DomainError('conflict', 'this adjustment was already decided');
    const result = await this.deps.loyalty.post({
      accountId, kind: 'adjust', points: adjustment.points, partnerId: null, reason: adjustment.reason, idempotencyKey: `adjustment:${id}`, requestHash: adjustment.requestHash,
    });
    if (!result.ok) {
      await this.deps.staff.reopenAdjustment(id);
      refusePost(result);
    }
    await this.deps.staff.markApplied(id, result.entry.id);
    await this.audit('points.adjustment_approved', caller, { accountId, reason: adjustment.reason, ...context }, { adjustment_id: id, entry_id: result.entry.id, points: adjustment.points, requested_by: adjustment.requestedBy });
    return { adjustment: { ...adjustment, status: 'approved', decidedBy: caller.actor, decidedAt: at, ledgerEntryId: result.entry.id }, entry: result.entry };
  }

  async reject(caller: AdjustmentActor, accountId: string, id: string, context: { ip: string | null; userAgent: string | null }): Promise<PointsAdjustment> {
    const adjustment = await this.pending(accountId, id);
    const at = (this.deps.now ?? (() => new Date()))();
    if (!await this.deps.staff.decideAdjustment(id, 'rejected', caller.actor, at)) throw new DomainError('conflict', 'this adjustment was already decided');
    await this.audit('points.adjustment_rejected', caller, { accountId, reason: adjustment.reason, ...context }, { adjustment_id: id, points: adjustment.points, requested_by: adjustment.requestedBy });
    return { ...adjustment, status: 'rejected', decidedBy: caller.actor, decidedAt: at };
  }

  private async pending(accountId: string, id: string): Promise<PointsAdjustment> {
    const adjustment = id.length <= 100 ? await this.deps.staff.findAdjustment(id) : undefined;
    if (!adjustment || adjustment.accountId !== accountId) throw new DomainError('not_found', 'no such adjustment');
    if (adjustment.status !== 'pending') throw new DomainError('conflict', 'this adjustment was already decided');
    return adjustment;
  }

  private async audit(
    type: 'points.adjusted' | 'points.adjustment_requested' | 'points.adjustment_approved' | 'points.adjustment_rejected',
    caller: AdjustmentActor,
    input: { accountId: string; reason: string; ip: string | null; userAgent: string | null },
    details: Record<string, string | number>,
  ): Promise<void> {
    // The audit reason field holds machine words only: the staff member's own words go in details.staff_reason.
    await this.deps.audit.record({ type, accountId: input.accountId, ip: input.ip, userAgent: input.userAgent, reason: 'staff', details: { ...details, actor: caller.actor, staff_reason: input.reason } });
  }
}
