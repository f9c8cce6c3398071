// Admin API for merging duplicate members (issue 21 item 1): the preview of what would move, and the merge itself,
// support-initiated with the proof staff checked and a reason (Idempotency-Key: a retry answers the first merge).
import type { Context } from 'koa';
import { z } from 'zod';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { type MemberMerge, type MergePreview, type MergeSide, mergeRefusalError } from '../domain/merge/member-merge.ts';
import { MERGE_PROOF_METHODS, type MergeRecord } from '../domain/merge/merges.repository.ts';
import { textField } from '../domain/text.ts';
import { fieldErrors } from './client-input.ts';
import { callerOf } from './koa-require-admin-token.ts';

export interface MergeAdminDeps {
  accounts: Pick<AccountsRepository, 'findById'>;
  merges: MemberMerge;
}

/** Idempotency-Key: printable ASCII, as the partner API and points adjustments take it. */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,100}$/;

const mergeInput = z.object({
  absorbed: z.string().min(1).max(200),
  reason: textField(200, 3),
  proof: z.object({
    method: z.enum(MERGE_PROOF_METHODS),
    reference: textField(200, 3),
  }).strict(),
}).strict();

const previewQuery = z.object({ absorbed: z.string().min(1).max(200) }).strict();

function sideView(side: MergeSide) {
  return {
    sub: side.accountId, email: side.email, email_verified: side.emailVerified, phone: side.phone, has_password: side.hasPassword,
    member_number: side.memberNumber, points_balance: side.balance, lifetime_points: side.lifetimePoints, tier: side.tier,
    authenticator_apps: side.authenticatorApps, passkeys: side.passkeys, linked_accounts: side.linkedAccounts, devices: side.devices,
    partners: side.partners, profile_fields: side.profileFields,
  };
}

export function previewView(preview: MergePreview) {
  return {
    survivor: sideView(preview.survivor),
    absorbed: sideView(preview.absorbed),
    after: { points_balance: preview.after.balance, lifetime_points: preview.after.lifetimePoints, tier: preview.after.tier, email: preview.after.email, phone: preview.after.phone },
    moves: { email: preview.identifiers.email, phone: preview.identifiers.phone, password: preview.identifiers.password },
    profile_filled: preview.profileFilled,
    consent_changes: preview.consentChanges,
    conflicts: preview.conflicts,
  };
}

export function mergeView(record: MergeRecord) {
  return {
    id: record.id, survivor: record.survivorId, absorbed: record.absorbedId, status: record.status,
    initiated_by: record.initiatedBy.kind === 'staff' ? record.initiatedBy.staffId : `member:${record.initiatedBy.accountId}`,
    proof: { method: record.proof.method, reference: record.proof.reference ?? null }, reason: record.reason,
    points_moved: record.pointsMoved, lifetime_carried: record.lifetimeCarried,
    subjects: record.subjects.map((move) => ({ partner_id: move.partnerId, old_sub: move.oldSubject, new_sub: move.newSubject })),
    redirect_until: record.redirectUntil.toISOString(), created_at: record.createdAt.toISOString(), completed_at: record.completedAt?.toISOString() ?? null,
  };
}

export function mergeHandlers(deps: MergeAdminDeps) {
  /** The survivor named by the path: an unknown one is a 404 before anything is read of the other. */
  function survivorOf(ctx: Context): string {
    const id = String(ctx.params.id ?? '');
    if (id.length === 0 || id.length > 200) throw new DomainError('not_found', 'no such member');
    return id;
  }

  return {
    async preview(ctx: Context) {
      const query = previewQuery.safeParse(ctx.query);
      if (!query.success) throw new DomainError('invalid_input', 'invalid query', { details: { fields: fieldErrors(query.error) } });
      const outcome = await deps.merges.preview(survivorOf(ctx), query.data.absorbed);
      if (outcome.status === 'refused') throw mergeRefusalError(outcome.reason);
      ctx.body = previewView(outcome.preview);
    },

    async merge(ctx: Context) {
      const key = ctx.get('idempotency-key');
      if (!IDEMPOTENCY_KEY.test(key)) throw new DomainError('invalid_input', 'an Idempotency-Key header (1-100 printable ASCII characters) is required', { details: { fields: { 'Idempotency-Key': 'required' } } });
      const parsed = mergeInput.safeParse(ctx.request.body);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid merge', { details: { fields: fieldErrors(parsed.error) } });
      const caller = callerOf(ctx);
      const result = await deps.merges.merge({
        survivorId: survivorOf(ctx),
        absorbedId: parsed.data.absorbed,
        proof: { method: parsed.data.proof.method, reference: parsed.data.proof.reference },
        initiatedBy: { kind: 'staff', staffId: caller.actor },
        reason: parsed.data.reason,
        // Scoped to the caller: two staff members' keys never meet.
        requestKey: `admin:${caller.actor}:${key}`,
      });
      if (result.status === 'refused') throw mergeRefusalError(result.reason);
      ctx.status = result.replayed ? 200 : 201;
      if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.body = mergeView(result.record);
    },
  };
}
