// "Merge another account" on the account pages (issue 21 item 1): the member names their other account, proves it
// (its password, or a code to its verified contact), sees what will move (the merge service's preview), confirms
// with a recent strong sign-in of THIS account, and the other account is merged into this one.
import type { Context } from 'koa';
import { z } from 'zod';
import { verifyAgainstDummy } from '../../server/domain/accounts/password-hasher.ts';
import type { MergePreview, MergeRefusalReason } from '../../server/domain/merge/member-merge.ts';
import type { NamedAccount } from '../../server/domain/member-merge/ownership-proof.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, field, parseForm, passwordField } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { credentialFrom, jsonError, jsonOk } from '../shared/json.ts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { verificationForm } from '../verification/input.ts';
import { hasRecentStrongSignIn, memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

const startForm = z.object({ account: field(320), password: passwordField.optional(), method: z.enum(['password', 'code']) });

/** The typed name as a counting key: the same account typed differently counts once (case, spaces, separators). */
export function mergeTargetKey(ctx: Context): string | undefined {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.account;
  if (typeof value !== 'string') return undefined;
  const key = value.includes('@') ? value.trim().toLowerCase() : value.replace(/[^0-9]/g, '');
  return key ? key.slice(0, 320) : undefined;
}

/** What each refusal of the merge service tells the member (never more than they proved they may know). */
const REFUSALS: Record<MergeRefusalReason, string> = {
  same_member: 'merge.error.self',
  already_merged: 'merge.error.already_merged',
  unknown_member: 'merge.error.gone',
  pending_review: 'merge.error.pending_review',
  request_key_reused: 'merge.error.expired',
  proof_required: 'merge.error.expired',
  invalid_proof: 'merge.error.expired',
  reason_required: 'merge.error.expired',
};

export function mergePages(deps: InteractionDeps) {
  const proofs = deps.mergeProofs;

  const startPage = (ctx: Context, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/merge', {
      csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/merge', value, error,
      passkeyOptionsUrl: '/account/merge/passkey/options', passkeyVerifyUrl: '/account/merge/passkey',
    }, status);

  const codePage = (ctx: Context, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/merge-code', { csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/merge/code', error }, status);

  return {
    /** GET /account/merge: the form, or the review when a proof is still live (after signing in again to confirm). */
    async show(ctx: Context) {
      if (await proofs.current(memberOf(ctx).account)) return seeOther(ctx, '/account/merge/review');
      const notice = ctx.query.notice === 'expired' ? 'merge.error.expired' : null;
      await startPage(ctx, '', notice);
    },

    /** POST /account/merge: a password tried, or a code asked for; runs after the per-member and per-name limits. */
    async start(ctx: Context) {
      const form = parseForm(startForm, ctx.request.body);
      if (!form) return startPage(ctx, '', 'merge.error.invalid', 400);
      const member = memberOf(ctx);
      const named = await proofs.resolve(form.account);
      if (form.method === 'code') {
        const requested = await proofs.requestCode(member.account, named);
        if (requested.status === 'invalid') return startPage(ctx, form.account, 'merge.error.invalid', 400);
        if (requested.status === 'self') return startPage(ctx, form.account, 'merge.error.self', 400);
        return seeOther(ctx, `/account/merge/code${requested.retryAfterSeconds > 0 ? '?notice=too_soon' : ''}`);
      }
      const password = form.password ?? '';
      if (named.kind === 'invalid' || password.length === 0) return startPage(ctx, form.account, named.kind === 'invalid' ? 'merge.error.invalid' : 'merge.error.password_missing', 400);
      // Like the sign-in page: the lockout of the named account (and of this address) applies, and a failure counts.
      const attempt = { email: attemptEmail(named), ip: ctx.ip };
      const gate = await deps.signIns.gate(attempt, { exempt: false, solved: false });
      if (gate.kind !== 'open') {
        await verifyAgainstDummy(password);
        await deps.signIns.refused(attempt, gate);
        return startPage(ctx, form.account, 'merge.error.not_proved', 400);
      }
      const proved = await proofs.provePassword(member.account, named, password);
      if (proved.ok) return seeOther(ctx, '/account/merge/review');
      if (proved.reason === 'self') return startPage(ctx, form.account, 'merge.error.self', 400);
      if (proved.reason === 'not_proved') await deps.signIns.failed(attempt, { reason: proved.failure, accountId: proved.accountId }, password);
      await startPage(ctx, form.account, proved.reason === 'invalid' ? 'merge.error.invalid' : 'merge.error.not_proved', 400);
    },

    /** GET /account/merge/code: the same page whether or not a code went anywhere. */
    async showCode(ctx: Context) {
      if (!(await proofs.codePending(memberOf(ctx).account))) return seeOther(ctx, '/account/merge');
      await codePage(ctx, ctx.query.notice === 'too_soon' ? 'code.too_soon' : null);
    },

    async confirmCode(ctx: Context) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, 'code.format', 400);
      const proved = await proofs.proveCode(memberOf(ctx).account, form.code);
      if (!proved.ok) return codePage(ctx, proved.reason, 400);
      seeOther(ctx, '/account/merge/review');
    },

    /** POST /account/merge/passkey/options (JSON): a passkey request for the other account. */
    async passkeyOptions(ctx: Context) {
      jsonOk(ctx, await proofs.passkeyOptions(memberOf(ctx).account));
    },

    /** POST /account/merge/passkey (JSON): the passkey's answer; on to the review, or one plain sentence why not. */
    async passkey(ctx: Context) {
      const response = credentialFrom<AuthenticationResponseJSON>(ctx.request.body);
      if (!response) return jsonError(ctx, 'passkey.invalid');
      const proved = await proofs.provePasskey(memberOf(ctx).account, response);
      if (!proved.ok) return jsonError(ctx, proved.reason === 'self' ? 'merge.error.self' : proved.reason);
      jsonOk(ctx, { location: '/account/merge/review' });
    },

    /** GET /account/merge/review: what will move, and the confirmation (only after a recent strong sign-in). */
    async review(ctx: Context) {
      const member = memberOf(ctx);
      const proof = await proofs.current(member.account);
      if (!proof) return seeOther(ctx, '/account/merge');
      const preview = await deps.merges.preview(member.account.id, proof.otherId);
      if (preview.status === 'refused') {
        await proofs.discard(member.account);
        return startPage(ctx, '', REFUSALS[preview.reason] ?? 'merge.error.expired', 409);
      }
      await renderPage(ctx, deps, 'account/merge-review', {
        csrfToken: csrfFor(deps, member),
        action: '/account/merge/confirm',
        cancelAction: '/account/merge/cancel',
        canConfirm: hasRecentStrongSignIn(member),
        reauthUrl: '/account/sign-in?reauth=1',
        ...reviewLocals(preview.preview),
      });
    },

    /** POST /account/merge/confirm: runs after the recent-strong-sign-in guard; the proof merges once. */
    async confirm(ctx: Context) {
      const member = memberOf(ctx);
      const proof = await proofs.current(member.account);
      if (!proof) return seeOther(ctx, '/account/merge?notice=expired');
      const result = await deps.merges.merge({
        survivorId: member.account.id,
        absorbedId: proof.otherId,
        proof: { method: proof.method },
        initiatedBy: { kind: 'member', accountId: member.account.id },
        // One proof, one merge: a double submit (or a retry after a crash) answers the same merge.
        requestKey: `member:${member.account.id}:${proof.otherId}:${proof.provedAt.getTime()}`,
      });
      await proofs.discard(member.account);
      if (result.status === 'refused') return startPage(ctx, '', REFUSALS[result.reason] ?? 'merge.error.expired', 409);
      const balance = (await deps.loyalty.ensureMember(member.account.id)).balance;
      await renderPage(ctx, deps, 'account/merge-done', { pointsMoved: result.record.pointsMoved, balance });
    },

    /** POST /account/merge/cancel: forgets the proof. */
    async cancel(ctx: Context) {
      await proofs.discard(memberOf(ctx).account);
      seeOther(ctx, '/account/security');
    },
  };
}

/** The lockout counts by email: the named account's, or what was typed when it names nobody (counted alike). */
function attemptEmail(named: Exclude<NamedAccount, { kind: 'invalid' }>): string {
  return named.account?.email ?? named.key;
}

/** The preview as the review page shows it: counts and the values that win, nothing the member did not prove. */
function reviewLocals(preview: MergePreview) {
  const { survivor, absorbed, after } = preview;
  return {
    otherEmail: absorbed.email,
    pointsMoving: absorbed.balance,
    balanceAfter: after.balance,
    lifetimeAfter: after.lifetimePoints,
    tierAfter: after.tier,
    emailAfter: after.email,
    phoneAfter: after.phone,
    moving: {
      passkeys: absorbed.passkeys,
      apps: absorbed.authenticatorApps,
      linked: absorbed.linkedAccounts,
      devices: absorbed.devices,
      partners: absorbed.partners,
    },
    profileFilled: preview.profileFilled.length,
    conflicts: preview.conflicts.length,
    survivorEmail: survivor.email,
  };
}
