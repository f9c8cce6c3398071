// The operator console's pages (issue 20): member search, the member page, and actions with a reason. Each
// action checks the staff member's roles here, on the server, whatever the page offered.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { DomainError } from '../../server/domain/errors.ts';
import type { AccountsRepository } from '../../server/domain/accounts/accounts.repository.ts';
import type { FactorsRepository } from '../../server/domain/factors/factors.repository.ts';
import type { LoyaltyRepository } from '../../server/domain/loyalty/loyalty.repository.ts';
import type { PasskeysRepository } from '../../server/domain/passkeys/passkeys.repository.ts';
import type { ProfilesRepository } from '../../server/domain/profile/profiles.repository.ts';
import type { MemberSearch } from '../../server/domain/staff/member-search.ts';
import type { PointsAdjustments } from '../../server/domain/staff/points-adjustments.ts';
import type { StaffRepository } from '../../server/domain/staff/staff.repository.ts';
import { textField } from '../../server/domain/text.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { renderStaffPage, requireStaffAction, staffMay } from './staff-page.ts';
import type { ConsoleMergeDeps } from './merge-pages.ts';
import type { PartnerPagesDeps } from './partner-pages.ts';
import type { DashboardDeps } from './dashboard-pages.ts';
import type { SecurityPagesDeps } from './security-pages.ts';
import { staffOf } from './staff-session.ts';
import { auditLabel, type ConsoleSupportDeps, memberSections, memberSupportPages, SUPPORT_NOTICES, type SupportFormError } from './member-pages.ts';

export interface ConsoleDeps {
  accounts: Pick<AccountsRepository, 'findById' | 'findByEmail'>;
  staff: Pick<StaffRepository, 'find' | 'listPendingAdjustments'>;
  loyalty: Pick<LoyaltyRepository, 'findMember' | 'listEntries'>;
  profiles: Pick<ProfilesRepository, 'find'>;
  factors: Pick<FactorsRepository, 'listByAccount'>;
  passkeys: Pick<PasskeysRepository, 'listByAccount'>;
  search: MemberSearch;
  adjustments: PointsAdjustments;
  /** Partners and their clients (partner-pages.ts). */
  partnerPages: PartnerPagesDeps;
  /** Issue 20 items 4 and 5: the dashboard's rollups and what attack protection is doing (dashboard-pages.ts, security-pages.ts). */
  analytics: DashboardDeps['analytics'];
  security: SecurityPagesDeps['security'];
  /** Issue 20: the rest of the member page and support's actions (member-pages.ts). */
  support: ConsoleSupportDeps;
  /** Issue 21: merging a duplicate into a member (merge-pages.ts). */
  merge: ConsoleMergeDeps;
}

const LEDGER_PAGE = 20;
const SEARCH_PAGE = 20;

/** A console action on a member that needs only a reason (ending sessions, resending the verification email). */
const reasonForm = z.object({ csrf: z.string(), reason: textField(200, 3) });

const adjustForm = z.object({
  csrf: z.string(),
  points: z.string().trim().regex(/^[+-]?\d{1,7}$/),
  reason: textField(200, 3),
  version: z.string().regex(/^\d{1,12}$/),
  key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

type FormError = 'console.error.action_reason' | 'console.error.points' | 'console.error.reason' | 'console.error.stale' | 'console.error.below_zero' | 'console.error.own_approval' | 'console.error.decided' | SupportFormError;

const may = staffMay;
const requireAction = requireStaffAction;

function caller(ctx: Context) {
  const staff = staffOf(ctx);
  return { actor: `staff:${staff.accountId}`, staff: { accountId: staff.accountId, roles: staff.roles } };
}

export function consolePages(deps: InteractionDeps, data: ConsoleDeps) {
  const pageOf = renderStaffPage(deps);

  async function memberPage(ctx: Context, options: { error?: FormError; status?: number; form?: { points: string; reason: string } } = {}) {
    requireAction(ctx, 'members:read');
    const id = String(ctx.params.id ?? '');
    const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    const member = await data.loyalty.findMember(account.id);
    const { fields } = await data.profiles.find(account.id);
    const before = typeof ctx.query.before === 'string' && /^\d{1,12}$/.test(ctx.query.before) ? Number(ctx.query.before) : undefined;
    const entries = member ? await data.loyalty.listEntries(account.id, { limit: LEDGER_PAGE + 1, ...(before !== undefined ? { beforeSequence: before } : {}) }) : [];
    const shown = entries.slice(0, LEDGER_PAGE);
    const apps = (await data.factors.listByAccount(account.id)).filter((factor) => factor.confirmedAt !== null);
    const passkeys = await data.passkeys.listByAccount(account.id);
    const notice = typeof ctx.query.notice === 'string' && ['applied', 'pending', 'approved', 'rejected', 'sessions_ended', 'verification_sent', 'merged', ...SUPPORT_NOTICES].includes(ctx.query.notice) ? `console.notice.${ctx.query.notice}` : undefined;
    const sessions = await deps.memberSessions.sessions(account.id, '');
    const trail = await deps.audit.list({ accountId: account.id, limit: 20 });
    await pageOf(ctx, 'console/member', {
      ...(await memberSections(deps, data.support, ctx, account, apps.length > 0)),
      account: { id: account.id, email: account.email, emailVerified: account.emailVerified, phone: account.phone, createdAt: account.createdAt },
      name: [fields.given_name?.value, fields.family_name?.value].filter(Boolean).join(' '),
      loyalty: member ? { number: member.memberNumber, balance: member.balance, lifetime: member.lifetimePoints } : null,
      factors: [
        ...apps.map((factor) => ({ kind: 'app', name: factor.label, addedAt: factor.createdAt, lastUsedAt: factor.lastUsedAt })),
        ...passkeys.map((passkey) => ({ kind: 'passkey', name: passkey.name, addedAt: passkey.createdAt, lastUsedAt: null })),
      ],
      ledger: shown.map((entry) => ({ at: entry.createdAt, points: entry.points, kind: entry.kind, reason: entry.reason, balanceAfter: entry.balanceAfter })),
      olderLedger: entries.length > LEDGER_PAGE ? `/console/members/${encodeURIComponent(account.id)}?before=${shown.at(-1)!.sequence}` : null,
      pending: (await data.staff.listPendingAdjustments(account.id)).map((adjustment) => ({
        id: adjustment.id, points: adjustment.points, reason: adjustment.reason, createdAt: adjustment.createdAt,
        own: adjustment.requestedBy === `staff:${staffOf(ctx).accountId}`,
      })),
      version: await data.adjustments.version(account.id),
      // A fresh key per form shown: a double submit of one form applies once; a reload gets a new form.
      formKey: randomBytes(18).toString('base64url'),
      sessions: sessions.map((session) => ({ signedInAt: new Date(session.signedInAt), country: session.country })),
      trail: trail.events.map((event) => ({ at: event.at, type: event.type, label: auditLabel(event.type), reason: event.reason })),
      canEndSessions: may(ctx, 'members:end_sessions') && sessions.length > 0,
      canResend: may(ctx, 'members:resend_verification') && !account.emailVerified,
      canAdjust: may(ctx, 'members:adjust_points') && member !== undefined,
      canApprove: may(ctx, 'members:approve_adjustment'),
      error: options.error ?? null,
      form: options.form ?? { points: '', reason: '' },
      notice,
    }, options.status ?? 200);
  }

  return {
    support: memberSupportPages(deps, data.support, memberPage, pageOf),

    async search(ctx: Context) {
      // A partner manager has no members to find: their console starts at the partners.
      if (!may(ctx, 'members:read') && may(ctx, 'partners:read')) return seeOther(ctx, '/console/partners');
      requireAction(ctx, 'members:read');
      const q = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 200) : '';
      const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : undefined;
      let results: { id: string; email: string; name: string; number: string | null; balance: number }[] | null = null;
      let next: string | null = null;
      if (q.trim() !== '') {
        const found = await data.search.search(q, { limit: SEARCH_PAGE, ...(cursor ? { cursor } : {}) });
        results = [];
        for (const id of found.accountIds) {
          const account = await deps.accounts.findById(id);
          if (!account) continue;
          const member = await data.loyalty.findMember(id);
          const { fields } = await data.profiles.find(id);
          results.push({ id, email: account.email ?? account.phone ?? '', name: [fields.given_name?.value, fields.family_name?.value].filter(Boolean).join(' '), number: member?.memberNumber ?? null, balance: member?.balance ?? 0 });
        }
        next = found.next ? `/console?q=${encodeURIComponent(q)}&cursor=${encodeURIComponent(found.next)}` : null;
      }
      await pageOf(ctx, 'console/search', {
        q, results, next, roles: staffOf(ctx).roles, canReadAudit: may(ctx, 'audit:read'), canReadPartners: may(ctx, 'partners:read'), canReadAnalytics: may(ctx, 'analytics:read'),
      });
    },

    member: (ctx: Context) => memberPage(ctx),

    async adjust(ctx: Context) {
      requireAction(ctx, 'members:adjust_points');
      const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
      const parsed = adjustForm.safeParse(body);
      const form = { points: typeof body.points === 'string' ? body.points.slice(0, 20) : '', reason: typeof body.reason === 'string' ? body.reason.slice(0, 200) : '' };
      if (!parsed.success || Number(parsed.data.points) === 0) {
        const reasonBad = parsed.success ? false : parsed.error.issues.some((issue) => issue.path[0] === 'reason');
        return memberPage(ctx, { error: reasonBad ? 'console.error.reason' : 'console.error.points', status: 400, form });
      }
      const id = String(ctx.params.id ?? '');
      try {
        const outcome = await data.adjustments.request(caller(ctx), {
          accountId: id, points: Number(parsed.data.points), reason: parsed.data.reason, idempotencyKey: `console:${parsed.data.key}`,
          expectedVersion: Number(parsed.data.version), ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null,
        });
        seeOther(ctx, `/console/members/${encodeURIComponent(id)}?notice=${outcome.status}`);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (error.code === 'conflict') return memberPage(ctx, { error: 'console.error.stale', status: 409, form });
        if (error.code === 'insufficient_points') return memberPage(ctx, { error: 'console.error.below_zero', status: 409, form });
        throw error;
      }
    },

    /** End every session of the member, or resend the verification email: with a reason, audited with the person. */
    memberAction(action: 'end_sessions' | 'resend_verification') {
      return async (ctx: Context) => {
        requireAction(ctx, action === 'end_sessions' ? 'members:end_sessions' : 'members:resend_verification');
        const parsed = reasonForm.safeParse((ctx.request as { body?: unknown }).body ?? {});
        if (!parsed.success) return memberPage(ctx, { error: 'console.error.action_reason', status: 400 });
        const id = String(ctx.params.id ?? '');
        const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
        if (!account) throw new DomainError('not_found', 'no such member');
        if (action === 'end_sessions') await deps.memberSessions.endAll(account.id);
        else if (!account.emailVerified) await deps.accounts.resendVerificationCode(account.id);
        await deps.audit.record({
          type: 'admin.action', accountId: account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: `console:${action}`,
          details: { actor: `staff:${staffOf(ctx).accountId}`, staff_reason: parsed.data.reason },
        });
        seeOther(ctx, `/console/members/${encodeURIComponent(account.id)}?notice=${action === 'end_sessions' ? 'sessions_ended' : 'verification_sent'}`);
      };
    },

    decide(decision: 'approve' | 'reject') {
      return async (ctx: Context) => {
        requireAction(ctx, 'members:approve_adjustment');
        const id = String(ctx.params.id ?? '');
        const adjustmentId = String(ctx.params.adjustmentId ?? '');
        const context = { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null };
        try {
          if (decision === 'approve') await data.adjustments.approve(caller(ctx), id, adjustmentId, context);
          else await data.adjustments.reject(caller(ctx), id, adjustmentId, context);
          seeOther(ctx, `/console/members/${encodeURIComponent(id)}?notice=${decision === 'approve' ? 'approved' : 'rejected'}`);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (error.code === 'forbidden') return memberPage(ctx, { error: 'console.error.own_approval', status: 403 });
          if (error.code === 'conflict') return memberPage(ctx, { error: 'console.error.decided', status: 409 });
          if (error.code === 'insufficient_points') return memberPage(ctx, { error: 'console.error.below_zero', status: 409 });
          throw error;
        }
      };
    },
  };
}
