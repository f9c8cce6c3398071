// Consent for third-party clients: the member sees what the client asks for and allows or denies it.
import type { Context } from 'koa';
import { ADMIN_SCOPE } from '../../config/provider.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

export function consentHandlers(deps: InteractionDeps) {
  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const missing = details.prompt.details as ConsentDetails;
      const client = ctx.state.client as { clientId: string; clientUri?: string; policyUri?: string; tosUri?: string; logoUri?: string } | undefined;
      const account = details.session?.accountId ? await deps.accounts.findById(details.session.accountId) : undefined;
      const resourceScopes = Object.values(missing.missingResourceScopes ?? {}).flat();
      await renderPage(ctx, deps, 'consent/consent', {
        action: `/interaction/${details.uid}/consent`,
        abortAction: `/interaction/${details.uid}/abort`,
        clientName: clientName(ctx),
        // Our own URL of the partner's logo (never the partner's): null when it has none or it cannot be fetched.
        clientLogo: client ? await deps.partnerLogos.urlFor(client) : null,
        clientUri: client?.clientUri ?? null,
        policyUri: client?.policyUri ?? null,
        tosUri: client?.tosUri ?? null,
        scopes: [...new Set([...(missing.missingOIDCScope ?? []), ...resourceScopes])].filter((s) => s !== ADMIN_SCOPE),
        claims: (missing.missingOIDCClaims ?? []).filter((c) => !['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss'].includes(c)),
        accountEmail: account?.email ?? '',
      });
    },

    async submit(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const { Grant } = deps.provider;
      const accountId = details.session?.accountId;
      const clientId = String(details.params.client_id);
      if (!accountId) {
        seeOther(ctx, `/interaction/${details.uid}`);
        return;
      }
      const grant = (details.grantId ? await Grant.find(details.grantId) : undefined) ?? new Grant({ accountId, clientId });
      const missing = details.prompt.details as ConsentDetails;
      // Never grant `admin` through a member's consent: it is a client-credentials-only scope.
      const scopes = (missing.missingOIDCScope ?? []).filter((s) => s !== ADMIN_SCOPE);
      if (scopes.length) grant.addOIDCScope(scopes.join(' '));
      if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, resourceScopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, resourceScopes.filter((s) => s !== ADMIN_SCOPE).join(' '));
      }
      const grantId = await grant.save();
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      seeOther(ctx, returnTo);
    },
  };
}
