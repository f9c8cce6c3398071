// What every step of the mfa prompt shares: the signed-in account (from oidc-provider's session, never
// the form), this interaction's flow state, the factor classes the session already proved, and the final
// login result, whose acr comes from the distinct classes proven (config/assurance.ts).
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { ACR, acrFromAmr, acrRank, type AmrContext, currentAmr, type FactorClass, factorClasses, withMfaMarker } from '../../config/assurance.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import { passwordProvesMailbox } from '../../server/domain/accounts/mailbox-password.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import type { FlowState, MfaMethod } from '../shared/flow-state.ts';
import { seeOther } from '../shared/page.ts';
import { availableMethods, METHOD_AMR } from './methods.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';

export interface StepUp {
  uid: string;
  account: Account;
  /** amr of the session before this step-up, in today's values (see currentAmr). */
  amr: string[];
  /** How the account reads that amr: a password set by the emailed reset code proves the mailbox. */
  context: AmrContext;
  /** The factor classes the session already proved: a step-up must add a different one. */
  proven: Set<FactorClass>;
  flow: FlowState;
}

export async function loadStepUp(ctx: Context, deps: InteractionDeps): Promise<StepUp> {
  const details = ctx.state.interaction as InteractionDetails;
  const accountId = details.session?.accountId;
  const account = accountId ? await deps.accounts.findById(accountId) : undefined;
  // The prompt only exists for a session with an account; one deleted meanwhile cannot step up.
  if (!account) throw new DomainError('forbidden', 'no signed-in account for this step-up');
  const amr = currentAmr(details.session?.amr);
  // Read from the account on every request (page, send, submit): every session ended with the reset, so a
  // `pwd` in this session is the password the reset set while the flag stands.
  const context: AmrContext = { passwordProvesMailbox: passwordProvesMailbox(account) };
  return { uid: details.uid, account, amr, context, proven: factorClasses(amr, context), flow: deps.flow.read(ctx, details.uid) };
}

/** The methods this step-up may use, decided here from the account and the session (never from the form). */
export function methodsFor(deps: InteractionDeps, step: StepUp) {
  return availableMethods(deps, step.account, step.proven);
}

/**
 * Whether this step-up offers `method`: not one the member lacks, nor one of a class the session already
 * proved, nor email or SMS when the member has something stronger. Every send and check asks this again
 * on the server; what the page offered is never trusted.
 */
export async function methodAllowed(deps: InteractionDeps, step: StepUp, method: MfaMethod): Promise<boolean> {
  return (await methodsFor(deps, step)).includes(method);
}

/** Writes the flow state with `changes`; the one-shot notice of the previous page is dropped. */
export function updateFlow(ctx: Context, deps: InteractionDeps, step: StepUp, changes: FlowState): void {
  const { info: _shown, ...kept } = step.flow;
  deps.flow.write(ctx, step.uid, { ...kept, ...changes });
}

/** What a proven factor adds to the session's amr (RFC 8176 values, see AMR in config/assurance.ts). */
export interface StepUpOutcome {
  amr: string[];
}

/**
 * Ends the prompt with a new login result and returns where the browser goes next: oidc-provider
 * records the stronger acr, the combined amr and a new auth_time, and gives the session a new id
 * (session fixation defence on step-up). `proven` must come from a successful check in this request
 * or from the signed flow state.
 */
export async function stepUpLocation(ctx: Context, deps: InteractionDeps, step: StepUp, proven: MfaMethod, outcome?: StepUpOutcome): Promise<string> {
  const added = outcome?.amr ?? (proven === 'passkey' ? [] : [METHOD_AMR[proven]]);
  const amr = withMfaMarker([...step.amr, ...added], step.context);
  const acr = acrFromAmr(amr, step.context);
  // The methods offered already exclude a class the session proved; this is the last word on it.
  if (acrRank(acr) < acrRank(ACR.twoFactors)) throw new DomainError('forbidden', `step-up by ${proven} proves no new factor class`);
  // A phone or a device proved: a password the emailed reset set is the member's own again.
  if (proven !== 'email') await deps.accounts.provedBeyondMailbox(step.account);
  (ctx.state.log as Logger).info({ accountId: step.account.id, method: proven, acr }, 'step-up completed');
  await deps.signIns.signedInWith(step.account.id, ctx.state.deviceHash as string | undefined, `step_up_${proven}`);
  return deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: step.account.id, acr, amr, remember: !inKioskMode(ctx), ts: Math.floor(Date.now() / 1000) },
  }, { mergeWithLastSubmission: false });
}

/** The form-post variant: 303 to wherever oidc-provider resumes. */
export async function finishStepUp(ctx: Context, deps: InteractionDeps, step: StepUp, proven: MfaMethod): Promise<void> {
  seeOther(ctx, await stepUpLocation(ctx, deps, step, proven));
}

export function backToPrompt(ctx: Context, step: StepUp): void {
  seeOther(ctx, `/interaction/${step.uid}`);
}
