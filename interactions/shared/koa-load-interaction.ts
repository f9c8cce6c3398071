// load-interaction: resolves the oidc-provider interaction from its cookie and checks it is the one in the URL.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { DomainError } from '../../server/domain/errors.ts';
import { currentRequest } from '../../server/middleware/request-scope.ts';

export function loadInteraction(provider: Provider): Middleware {
  return async (ctx, next) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    // The cookie names the interaction this browser started; a URL for another one is refused.
    if (interaction.uid !== ctx.params.uid) throw new DomainError('forbidden', 'interaction mismatch');
    ctx.state.interaction = interaction;
    // Sign-in audit rows and their events name the client the member is signing in to.
    const scope = currentRequest();
    if (scope && typeof interaction.params.client_id === 'string') scope.clientId = interaction.params.client_id;
    await next();
  };
}

/** require-prompt: the step only makes sense while oidc-provider asks for this prompt. */
export function requirePrompt(...names: string[]): Middleware {
  return async (ctx, next) => {
    const name = (ctx.state.interaction as { prompt: { name: string } }).prompt.name;
    if (!names.includes(name)) throw new DomainError('invalid_input', `prompt ${name} is not handled here`);
    await next();
  };
}
