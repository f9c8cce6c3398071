// The rest of the console's member page (issue 20): linked accounts, consents, devices, coupons, card claims and the
// audit trail in words; and support's actions with a reason: remove a factor, unblock, freeze or unfreeze
// redemptions, download the data export, and start an erasure after typing the member's number or email.
import type { Context } from 'koa';
import { z } from 'zod';
import { textIn } from '../../config/consent-purposes.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { AuditEventType } from '../../server/domain/audit/audit.repository.ts';
import { AUDIT_EVENT_TYPES } from '../../server/domain/audit/audit-rules.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { LoyaltyRepository } from '../../server/domain/loyalty/loyalty.repository.ts';
import type { PrivacyStore } from '../../server/domain/privacy/privacy.repository.ts';
import { mayDo, type StaffAction } from '../../server/domain/staff/permissions.ts';
import type { FactorToRemove, MemberSupport, SupportCaller } from '../../server/domain/staff/member-support.ts';
import { textField } from '../../server/domain/text.ts';
import { normaliseMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import { countryName, describeUserAgent } from '../../server/sessions/describe-device.ts';
import { linkedAccountsOf } from '../account/linked-accounts.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage, seeOther } from '../shared/page.ts';
import { staffOf } from './staff-session.ts';

export interface ConsoleSupportDeps {
  actions: MemberSupport;
  /** The member's coupon uses and claimed cards (as the data export reads them). */
  privacy: Pick<PrivacyStore, 'listCouponUses' | 'listClaimedCards'>;
  /** The member number the erasure confirmation accepts. */
  loyalty: Pick<LoyaltyRepository, 'findMember'>;
}

/** The form errors of these actions (console.error.*), each shown on its own form's reason field. */
export type SupportFormError =
  | 'console.error.factor_reason' | 'console.error.factor_unknown' | 'console.error.last_way_in'
  | 'console.error.unblock_reason' | 'console.error.freeze_reason' | 'console.error.export_reason';

/** The notices of these actions (console.notice.*). */
export const SUPPORT_NOTICES = ['factor_removed', 'unblocked', 'frozen', 'unfrozen', 'erasure_scheduled'] as const;

/** Audit types with a sentence for staff; a type added later shows as its raw name until it gets one. */
const LABELLED_TYPES: ReadonlySet<AuditEventType> = new Set(AUDIT_EVENT_TYPES);

/** The message id of an audit type's sentence (console.member.event.<type, '.' as '_'>), or null for the raw type. */
export function auditLabel(type: string): string | null {
  return LABELLED_TYPES.has(type as AuditEventType) ? `console.member.event.${type.replace(/\./g, '_')}` : null;
}

const reasonOnly = z.object({ csrf: z.string(), reason: textField(200, 3) });
const factorForm = z.object({ csrf: z.string(), factor: z.string().min(1).max(1100), reason: textField(200, 3) });
const eraseForm = z.object({ csrf: z.string(), confirm: z.string().max(320), reason: textField(200, 3) });

type MemberPage = (ctx: Context, options: { error?: SupportFormError; status?: number }) => Promise<void>;
type Render = (ctx: Context, view: string, locals: Record<string, unknown>, status?: number) => Promise<void>;

function may(ctx: Context, action: StaffAction): boolean {
  return mayDo(staffOf(ctx).roles, action);
}

function requireAction(ctx: Context, action: StaffAction): void {
  if (!may(ctx, action)) throw new DomainError('forbidden', 'your staff roles do not allow this');
}

function callerOf(ctx: Context): SupportCaller {
  return { actor: `staff:${staffOf(ctx).accountId}`, ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null };
}

function bodyOf(ctx: Context): Record<string, unknown> {
  return (ctx.request as { body?: Record<string, unknown> }).body ?? {};
}

/** `totp`, `phone` or `passkey:<id>`: the values of the factor list on the member page. */
function factorOf(value: string): FactorToRemove | undefined {
  if (value === 'totp' || value === 'phone') return { kind: value };
  if (value.startsWith('passkey:') && value.length > 'passkey:'.length) return { kind: 'passkey', id: value.slice('passkey:'.length) };
  return undefined;
}

/** What the member page shows beyond profile, factors, sessions and ledger, and which support actions it offers. */
export async function memberSections(deps: InteractionDeps, data: ConsoleSupportDeps, ctx: Context, account: Account, hasApp: boolean) {
  const lang = await pageLanguage(ctx, deps);
  const answers = await deps.purposeConsents.current(account.id);
  const devices = await deps.memberSessions.devices(account.id, null);
  const passkeys = await deps.passkeys.list(account.id);
  const erasure = await deps.erasure.scheduled(account.id);
  return {
    linked: (await linkedAccountsOf(deps, account.id)).map((link) => ({ name: link.name, since: link.linkedAt })),
    consents: [...answers].map(([purpose, answer]) => {
      const known = deps.purposeConsents.purpose(purpose);
      return { purpose, title: known ? textIn(known.title, lang) : purpose, granted: answer.granted, version: answer.version, at: answer.at };
    }),
    devices: devices.map((device) => ({ ...describeUserAgent(device.userAgent), place: countryName(device.lastCountry, lang), lastSeenAt: device.lastSeenAt })),
    coupons: (await data.privacy.listCouponUses(account.id)).map((use) => ({ code: use.code, points: use.points, at: use.createdAt })),
    cards: (await data.privacy.listClaimedCards(account.id)).map((card) => ({ last4: card.cardNumber.slice(-4), balance: card.balance, at: card.claimedAt })),
    freeze: await data.actions.redemptionFreeze(account.id),
    erasureAt: erasure ? erasure.eraseAt : null,
    removableFactors: [
      ...(hasApp ? [{ value: 'totp', labelId: 'console.member.factor_option_app', name: '' }] : []),
      ...(account.phone ? [{ value: 'phone', labelId: 'console.member.factor_option_phone', name: account.phone }] : []),
      ...passkeys.map((passkey) => ({ value: `passkey:${passkey.id}`, labelId: 'console.member.factor_option_passkey', name: passkey.name })),
    ],
    canRemoveFactor: may(ctx, 'members:remove_factor'),
    canUnblock: may(ctx, 'members:unblock'),
    canFreeze: may(ctx, 'members:freeze_redemptions'),
    canExport: may(ctx, 'members:export'),
    canErase: may(ctx, 'members:erase') && !erasure,
    canMerge: may(ctx, 'members:merge'),
  };
}

export function memberSupportPages(deps: InteractionDeps, data: ConsoleSupportDeps, memberPage: MemberPage, render: Render) {
  async function accountOf(ctx: Context): Promise<Account> {
    const id = String(ctx.params.id ?? '');
    const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    return account;
  }
  const back = (ctx: Context, account: Account, notice: (typeof SUPPORT_NOTICES)[number]) =>
    seeOther(ctx, `/console/members/${encodeURIComponent(account.id)}?notice=${notice}`);

  async function erasePage(ctx: Context, account: Account, options: { error?: 'console.error.erase_confirm' | 'console.error.erase_reason'; status?: number; form?: { confirm: string; reason: string } } = {}) {
    const member = await data.loyalty.findMember(account.id);
    await render(ctx, 'console/erase', {
      account: { id: account.id, email: account.email }, memberNumber: member?.memberNumber ?? null,
      error: options.error ?? null, form: options.form ?? { confirm: '', reason: '' },
    }, options.status ?? 200);
  }

  return {
    async removeFactor(ctx: Context) {
      requireAction(ctx, 'members:remove_factor');
      const parsed = factorForm.safeParse(bodyOf(ctx));
      if (!parsed.success) return memberPage(ctx, { error: 'console.error.factor_reason', status: 400 });
      const factor = factorOf(parsed.data.factor);
      if (!factor) return memberPage(ctx, { error: 'console.error.factor_unknown', status: 400 });
      const account = await accountOf(ctx);
      try {
        await data.actions.removeFactor(callerOf(ctx), account.id, factor, parsed.data.reason);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (error.code === 'not_found') return memberPage(ctx, { error: 'console.error.factor_unknown', status: 404 });
        if (error.code === 'conflict') return memberPage(ctx, { error: 'console.error.last_way_in', status: 409 });
        throw error;
      }
      back(ctx, account, 'factor_removed');
    },

    async unblock(ctx: Context) {
      requireAction(ctx, 'members:unblock');
      const parsed = reasonOnly.safeParse(bodyOf(ctx));
      if (!parsed.success) return memberPage(ctx, { error: 'console.error.unblock_reason', status: 400 });
      const account = await accountOf(ctx);
      await data.actions.unblock(callerOf(ctx), account.id, parsed.data.reason);
      back(ctx, account, 'unblocked');
    },

    freeze(frozen: boolean) {
      return async (ctx: Context) => {
        requireAction(ctx, 'members:freeze_redemptions');
        const parsed = reasonOnly.safeParse(bodyOf(ctx));
        if (!parsed.success) return memberPage(ctx, { error: 'console.error.freeze_reason', status: 400 });
        const account = await accountOf(ctx);
        if (frozen) await data.actions.freezeRedemptions(callerOf(ctx), account.id, parsed.data.reason);
        else await data.actions.unfreezeRedemptions(callerOf(ctx), account.id, parsed.data.reason);
        back(ctx, account, frozen ? 'frozen' : 'unfrozen');
      };
    },

    /** The archive as a download (a POST: it carries the reason and the CSRF token, and is audited with both). */
    async exportArchive(ctx: Context) {
      requireAction(ctx, 'members:export');
      const parsed = reasonOnly.safeParse(bodyOf(ctx));
      if (!parsed.success) return memberPage(ctx, { error: 'console.error.export_reason', status: 400 });
      const account = await accountOf(ctx);
      const archive = await deps.exports.archive(account);
      await deps.audit.record({
        type: 'member.exported', accountId: account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: 'console',
        details: { actor: `staff:${staffOf(ctx).accountId}`, staff_reason: parsed.data.reason },
      });
      // A member's whole data: never kept by a browser or proxy cache.
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Disposition', `attachment; filename="member-${account.id}.json"`);
      ctx.type = 'application/json';
      ctx.body = JSON.stringify(archive, null, 2);
    },

    async eraseConfirm(ctx: Context) {
      requireAction(ctx, 'members:erase');
      await erasePage(ctx, await accountOf(ctx));
    },

    /** Schedules the erasure (the member's 14-day grace period, as when they ask) once the number or email is typed. */
    async erase(ctx: Context) {
      requireAction(ctx, 'members:erase');
      const account = await accountOf(ctx);
      const body = bodyOf(ctx);
      const form = { confirm: typeof body.confirm === 'string' ? body.confirm.slice(0, 320) : '', reason: typeof body.reason === 'string' ? body.reason.slice(0, 200) : '' };
      const parsed = eraseForm.safeParse(body);
      if (!parsed.success) {
        const reasonBad = parsed.error.issues.some((issue) => issue.path[0] === 'reason');
        return erasePage(ctx, account, { error: reasonBad ? 'console.error.erase_reason' : 'console.error.erase_confirm', status: 400, form });
      }
      const member = await data.loyalty.findMember(account.id);
      const typed = parsed.data.confirm.trim();
      const number = normaliseMemberNumber(typed);
      const matches = (account.email !== null && typed.toLowerCase() === account.email.toLowerCase()) || (member !== undefined && number !== undefined && number === member.memberNumber);
      if (!matches) return erasePage(ctx, account, { error: 'console.error.erase_confirm', status: 400, form });
      const outcome = await deps.erasure.request(account.id, { grace: 'default', by: 'admin' });
      if (outcome.status === 'unknown_member') throw new DomainError('not_found', 'no such member');
      await deps.audit.record({
        type: 'admin.action', accountId: account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: 'console:erasure_requested',
        details: { actor: `staff:${staffOf(ctx).accountId}`, staff_reason: parsed.data.reason },
      });
      back(ctx, account, 'erasure_scheduled');
    },
  };
}
