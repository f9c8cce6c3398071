// The fixed callback per connection (the redirect URI registered at the upstream), outside the interaction path.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { federationHandlers } from './handlers.ts';

export function connectionCallbackRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/connections' });
  const handlers = federationHandlers(deps);
  router.get('/:id/callback', handlers.callback);
  // Apple's form_post answer: a small form, no CSRF token possible (the state is its binding, handlers.ts).
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });
  router.post('/:id/callback', parse, handlers.formPostCallback);
  // saml connections: our SP metadata, and the ACS the IdP's form posts a (base64, possibly encrypted) Response to.
  const samlForm = bodyParser({ enableTypes: ['form'], formLimit: '512kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable SAML form body');
  } });
  router.get('/:id/saml/metadata', handlers.samlMetadata);
  router.post('/:id/saml/acs', samlForm, handlers.samlAcs);
  return router;
}
