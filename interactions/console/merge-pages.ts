// Merging a duplicate into this member from the console (issue 21 item 1, support-initiated): staff name the other
// member (email, member number or id), record how they proved it is the same person and why, see what will move
// (the merge service's preview), and confirm. Each step checks `members:merge` on the server; the merge itself is
// the service the admin API and the member's own page use, audited there with the staff member's id.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { AccountsRepository } from '../../server/domain/accounts/accounts.repository.ts';
import { normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { LoyaltyRepository } from '../../server/domain/loyalty/loyalty.repository.ts';
import { normaliseMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { MemberMerge, MergePreview, MergeRefusalReason } from '../../server/domain/merge/member-merge.ts';
import { textField } from '../../server/domain/text.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { renderStaffPage, requireStaffAction } from './staff-page.ts';
import { staffOf } from './staff-session.ts';

export interface ConsoleMergeDeps {
  merges: Pick<MemberMerge, 'preview' | 'merge'>;
  accounts: Pick<AccountsRepository, 'findById' | 'findByEmail'>;
  loyalty: Pick<LoyaltyRepository, 'findMemberByNumber'>;
}

/** How staff proved the two members are one person (the member-side proofs belong to the account page). */
export const STAFF_PROOFS = ['identity_document', 'contact_verified', 'card_presented', 'other'] as const;

const stepForm = z.object({
  csrf: z.string(),
  other: z.string().trim().min(1).max(320),
  method: z.enum(STAFF_PROOFS),
  reference: textField(200, 3),
  reason: textField(200, 3),
});
const confirmForm = stepForm.extend({ absorbed: z.string().min(1).max(200), key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });

type Field = 'other' | 'method' | 'reference' | 'reason';
interface Form { other: string; method: string; reference: string; reason: string }

function formOf(ctx: Context): Form {
  const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  return { other: text('other', 320), method: text('method', 40), reference: text('reference', 200), reason: text('reason', 200) };
}

/** The message shown for a refusal, on the field it concerns. */
function refusalError(reason: MergeRefusalReason): { field: Field; id: string } {
  const field: Field = reason === 'reason_required' ? 'reason' : reason === 'proof_required' || reason === 'invalid_proof' ? 'reference' : 'other';
  return { field, id: `console.merge.error.${reason}` };
}

export function consoleMergePages(deps: InteractionDeps, data: ConsoleMergeDeps) {
  const pageOf = renderStaffPage(deps);

  async function survivorOf(ctx: Context): Promise<Account> {
    const account = await data.accounts.findById(String(ctx.params.id ?? '').slice(0, 200));
    if (!account) throw new DomainError('not_found', 'no such member');
    return account;
  }

  /** The member staff typed: an email, a member number, or an id as the search and duplicates list show it. */
  async function otherOf(typed: string): Promise<Account | undefined> {
    if (typed.includes('@')) return data.accounts.findByEmail(normaliseEmail(typed));
    const number = normaliseMemberNumber(typed);
    if (number !== undefined) {
      const member = await data.loyalty.findMemberByNumber(number);
      if (member) return data.accounts.findById(member.accountId);
    }
    return data.accounts.findById(typed);
  }

  const render = (ctx: Context, survivor: Account, form: Form, extra: { errors?: Partial<Record<Field, string>>; preview?: MergePreview; absorbed?: Account; key?: string } = {}, status = 200) =>
    pageOf(ctx, 'console/merge', { account: survivor, form, proofs: STAFF_PROOFS, errors: extra.errors ?? {}, preview: extra.preview ?? null, absorbed: extra.absorbed ?? null, key: extra.key ?? null }, status);

  /** Reads the form; on a bad field answers the form again with the error (400) and returns undefined. */
  async function checked<T extends z.ZodTypeAny>(ctx: Context, survivor: Account, schema: T): Promise<z.infer<T> | undefined> {
    const form = formOf(ctx);
    const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
    if (parsed.success) return parsed.data;
    const errors: Partial<Record<Field, string>> = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if (field === 'other' || field === 'method' || field === 'reference' || field === 'reason') errors[field] = `console.merge.error.${field}`;
    }
    // A tampered hidden field (absorbed, key) starts the form over.
    await render(ctx, survivor, form, { errors: Object.keys(errors).length > 0 ? errors : { other: 'console.merge.error.other' } }, 400);
    return undefined;
  }

  return {
    async form(ctx: Context) {
      requireStaffAction(ctx, 'members:merge');
      await render(ctx, await survivorOf(ctx), { other: '', method: '', reference: '', reason: '' });
    },

    /** Step 1: who, how proved, why; answers with what will move and a confirm button. */
    async preview(ctx: Context) {
      requireStaffAction(ctx, 'members:merge');
      const survivor = await survivorOf(ctx);
      const input = await checked(ctx, survivor, stepForm);
      if (!input) return;
      const form = formOf(ctx);
      const other = await otherOf(input.other);
      if (!other) return render(ctx, survivor, form, { errors: { other: 'console.merge.error.unknown_member' } }, 404);
      const outcome = await data.merges.preview(survivor.id, other.id);
      if (outcome.status === 'refused') {
        const { field, id } = refusalError(outcome.reason);
        return render(ctx, survivor, form, { errors: { [field]: id } }, 409);
      }
      await render(ctx, survivor, form, { preview: outcome.preview, absorbed: other, key: randomBytes(18).toString('base64url') });
    },

    /** Step 2: the merge, once; a second submit of the same page answers the first merge (its key). */
    async confirm(ctx: Context) {
      requireStaffAction(ctx, 'members:merge');
      const survivor = await survivorOf(ctx);
      const input = await checked(ctx, survivor, confirmForm);
      if (!input) return;
      const staffId = `staff:${staffOf(ctx).accountId}`;
      const result = await data.merges.merge({
        survivorId: survivor.id,
        absorbedId: input.absorbed,
        proof: { method: input.method, reference: input.reference },
        initiatedBy: { kind: 'staff', staffId },
        reason: input.reason,
        requestKey: `console:${staffId}:${input.key}`,
      });
      if (result.status === 'refused') {
        const { field, id } = refusalError(result.reason);
        return render(ctx, survivor, formOf(ctx), { errors: { [field]: id } }, 409);
      }
      seeOther(ctx, `/console/members/${encodeURIComponent(survivor.id)}?notice=merged`);
    },
  };
}
