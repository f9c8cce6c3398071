// The purposes on the sign-up form (issue 17): shown unticked, carried in the flow cookie as ticked, and recorded
// as grants (method sign_up) once the email code proves the address. An unticked box records nothing, so the
// member has given no answer and is asked where an answer is needed (a client's required_purposes, the account
// page) rather than being taken to have refused something they may not have read.
import type { Context } from 'koa';
import { TERMS_PURPOSE, textIn } from '../../config/consent-purposes.ts';
import type { FlowState } from '../shared/flow-state.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage } from '../shared/page.ts';
import { clientIdOf, consentChannel } from './channel.ts';

/** The purpose ids ticked in the posted form (a single checkbox posts a string, several an array). */
export function ticked(ctx: Context): string[] {
  if (ctx.method !== 'POST') return [];
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.purposes;
  const values = Array.isArray(value) ? value : [value];
  return values.filter((id): id is string => typeof id === 'string').slice(0, 50);
}

export async function signUpPurposeChoices(ctx: Context, deps: InteractionDeps, checked: readonly string[]) {
  const lang = await pageLanguage(ctx, deps);
  return {
    purposes: deps.purposeConsents.purposes.map((purpose) => ({
      id: purpose.id, title: textIn(purpose.title, lang), text: textIn(purpose.text, lang), checked: checked.includes(purpose.id),
    })),
    terms: deps.purposeConsents.terms.version !== undefined,
    termsUrl: deps.purposeConsents.terms.url ?? null,
  };
}

/** What the sign-up form gave: the ticked purposes at the versions shown, and the terms version it showed. */
export function signUpConsentsOf(deps: InteractionDeps, checked: readonly string[]): FlowState['signUpConsents'] {
  const purposes: Record<string, number> = {};
  for (const id of checked) {
    const purpose = deps.purposeConsents.purpose(id);
    if (purpose) purposes[purpose.id] = purpose.version;
  }
  return { purposes, terms: deps.purposeConsents.terms.version ?? null };
}

/**
 * After the email code: the ticked purposes become grants, and creating the account with the terms notice shown
 * is their acceptance. A version that changed since the form was shown is left for the member to answer again.
 */
export async function recordSignUpConsents(ctx: Context, deps: InteractionDeps, accountId: string, given: FlowState['signUpConsents']): Promise<void> {
  if (!given) return;
  const decisions: Array<{ purpose: string; version: number; granted: boolean }> = Object.entries(given.purposes)
    .filter(([id, version]) => deps.purposeConsents.purpose(id)?.version === version)
    .map(([purpose, version]) => ({ purpose, version, granted: true }));
  const terms = deps.purposeConsents.terms.version;
  if (terms !== undefined && given.terms === terms && (await deps.purposeConsents.termsDue(accountId))) decisions.push({ purpose: TERMS_PURPOSE, version: terms, granted: true });
  if (decisions.length === 0) return;
  await deps.purposeConsents.record(accountId, decisions, { channel: consentChannel(ctx), clientId: clientIdOf(ctx), method: 'sign_up' });
}
