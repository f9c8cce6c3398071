// The profile prompt: asks for the fields that are due (1-3 at a time, client-required first), saves
// the answers or "Not now" for the optional ones, then lets oidc-provider re-check the policy (which asks
// again for what is still due, or goes on).
import type { Context } from 'koa';
import { profileRequest } from '../../config/interaction-policy.ts';
import { type DueField, FIELDS_PER_PAGE } from '../../server/domain/profile/profile-service.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';

/**
 * The answer to one field. The form parser reads dotted names (address.postal_code) as nested objects,
 * so the name is looked up both ways; anything but a string of at most 200 characters is no answer.
 */
function answerOf(body: unknown, name: string): string | undefined {
  const record = (body ?? {}) as Record<string, unknown>;
  const value = name in record ? record[name] : name.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), record);
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length <= 200 ? value : '\u0000';
}

export function profileHandlers(deps: InteractionDeps) {
  /** The due fields of this interaction's member and request, one page of them. */
  async function page(ctx: Context): Promise<{ uid: string; accountId: string; fields: DueField[] }> {
    const details = ctx.state.interaction as InteractionDetails;
    const accountId = details.session?.accountId;
    if (!accountId) throw new DomainError('forbidden', 'no signed-in account for the profile prompt');
    const client = ctx.state.client as { metadata(): object } | undefined;
    const request = profileRequest({ oidc: { client, params: details.params } } as never);
    const fields = (await deps.profiles.due(accountId, request)).slice(0, FIELDS_PER_PAGE);
    return { uid: details.uid, accountId, fields };
  }

  async function render(ctx: Context, state: Awaited<ReturnType<typeof page>>, values: Record<string, string>, errors: Record<string, string>, status = 200) {
    await renderPage(ctx, deps, 'profile/complete', {
      action: `/interaction/${state.uid}/profile`,
      skipAction: `/interaction/${state.uid}/profile/skip`,
      clientName: clientName(ctx),
      fields: state.fields.map(({ spec, skippable }) => ({ name: spec.name, id: `field-${spec.name.replace(/\W/g, '-')}`, type: spec.type, choices: spec.choices ?? [], autocomplete: spec.autocomplete, skippable })),
      canSkip: state.fields.every((field) => field.skippable),
      values,
      errors,
    }, status);
  }

  /** Done with this page: oidc-provider re-runs the policy, which asks again only if more is due. */
  async function resume(ctx: Context) {
    seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, { profile: { at: Math.floor(Date.now() / 1000) } }, { mergeWithLastSubmission: true }));
  }

  return {
    async show(ctx: Context) {
      const state = await page(ctx);
      if (state.fields.length === 0) return resume(ctx);
      await render(ctx, state, {}, {});
    },

    async submit(ctx: Context) {
      const state = await page(ctx);
      // A repeated field (an array) or an oversized one fails the field's check like any malformed answer.
      const input = Object.fromEntries(state.fields.map(({ spec }) => [spec.name, answerOf(ctx.request.body, spec.name)]));
      const result = await deps.profiles.answer(state.accountId, state.fields, input);
      if (!result.ok) {
        const typed = Object.fromEntries(state.fields.map(({ spec }) => [spec.name, String(input[spec.name] ?? '').slice(0, 200)]));
        return render(ctx, state, typed, result.errors, 400);
      }
      await resume(ctx);
    },

    async skip(ctx: Context) {
      const state = await page(ctx);
      // Only a page of optional fields can be skipped; a required one is asked until answered.
      if (!state.fields.every((field) => field.skippable)) return render(ctx, state, {}, {}, 400);
      await deps.profiles.skip(state.accountId, state.fields);
      await resume(ctx);
    },
  };
}
