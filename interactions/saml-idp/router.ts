// Our SAML IdP endpoints for partners' service providers, under /saml/idp.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { samlIdpHandlers } from './handlers.ts';
import type { SamlIdpDeps } from './saml-idp-deps.ts';

export function samlIdpRouter(deps: InteractionDeps, saml: SamlIdpDeps): Router {
  const router = new Router({ prefix: '/saml/idp' });
  const handlers = samlIdpHandlers(deps, saml);
  // The SP's auto-posted AuthnRequest (HTTP-POST binding): a cross-site form post, no CSRF token of ours to carry.
  const form = bodyParser({ enableTypes: ['form'], formLimit: '128kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable SAML form body');
  } });
  router.get('/metadata', handlers.metadata);
  router.get('/sso', handlers.ssoRedirect);
  router.post('/sso', form, handlers.ssoPost);
  router.get('/initiate/:id', handlers.initiate);
  router.get('/return', handlers.back);
  return router;
}
