// Step-up with one of the member's own passkeys (user verification required): the only way to reach
// urn:loyalty:loa:phr. The ceremony runs in public/passkey.js; these endpoints speak JSON.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import type { InteractionDeps } from '../shared/deps.ts';
import { credentialFrom, jsonError, jsonOk } from '../shared/json.ts';
import { clientName, renderPage } from '../shared/page.ts';
import { passkeyAmr } from '../passkey/handlers.ts';
import { alternatives } from './methods.ts';
import { methodsFor, stepUpLocation, type StepUp } from './step-up-context.ts';

export function passkeyStep(deps: InteractionDeps) {
  const flowId = (step: StepUp) => `stepup:${step.uid}`;

  return {
    /** `onlyPasskey`: the request asks for phr, so the code alternatives (two factors) are not offered. */
    show: async (ctx: Context, step: StepUp, onlyPasskey: boolean) =>
      renderPage(ctx, deps, 'mfa/passkey', {
        choices: onlyPasskey ? [] : await alternatives(deps, step.account, step.proven, 'passkey'),
        optionsUrl: `/interaction/${step.uid}/mfa/passkey/options`,
        verifyUrl: `/interaction/${step.uid}/mfa/passkey`,
        methodAction: `/interaction/${step.uid}/mfa/method`,
        abortAction: `/interaction/${step.uid}/abort`,
        clientName: clientName(ctx),
      }),

    async options(ctx: Context, step: StepUp) {
      if (!(await methodsFor(deps, step)).includes('passkey')) return jsonError(ctx, 'passkey.invalid');
      jsonOk(ctx, await deps.passkeys.authenticationOptions(flowId(step), step.account.id));
    },

    async verify(ctx: Context, step: StepUp) {
      const response = credentialFrom<AuthenticationResponseJSON>(ctx.request.body);
      if (!response) return jsonError(ctx, 'passkey.invalid');
      const result = await deps.passkeys.verifyAuthentication(flowId(step), response);
      if (!result.ok) return jsonError(ctx, result.reason);
      // Only the signed-in member's own passkey proves anything about this session.
      if (result.account.id !== step.account.id) return jsonError(ctx, 'passkey.invalid');
      const location = await stepUpLocation(ctx, deps, step, 'passkey', { amr: passkeyAmr(result.passkey) });
      jsonOk(ctx, { location });
    },
  };
}
