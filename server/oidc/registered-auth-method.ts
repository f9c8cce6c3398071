// A client authenticates only with the token_endpoint_auth_method it registered (basic vs post).
import Provider, { errors } from 'oidc-provider';

type SecretMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * oidc-provider treats client_secret_basic and client_secret_post as one method: a client registered for
 * the Authorization header may send its secret in the body (where proxies and logs keep it), and the
 * reverse. Registration is a promise about how the secret travels, so hold the client to it at every
 * endpoint that authenticates clients (token, introspection, revocation, PAR, device authorization).
 * The answer is the same `invalid_client` (401) as a wrong secret.
 *
 * oidc-provider compares the secret in exactly one place, after it has decided the presented mechanism is
 * one of the two; the request is known there (oidc-provider's AsyncLocalStorage context, Provider.ctx),
 * and it rejects a request carrying both an Authorization header and client_secret before that.
 */
export function enforceRegisteredAuthMethod(provider: Provider): void {
  type Compare = (this: { clientAuthMethod: string }, secret: string) => Promise<boolean> | boolean;
  const prototype = provider.Client.prototype as unknown as { compareClientSecret?: Compare };
  const compare = prototype.compareClientSecret;
  if (typeof compare !== 'function') throw new Error('oidc-provider Client.prototype.compareClientSecret is gone: update server/oidc/registered-auth-method.ts');
  prototype.compareClientSecret = function compareClientSecret(secret) {
    const ctx = Provider.ctx;
    if (ctx) {
      const presented: SecretMethod = ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post';
      if (presented !== this.clientAuthMethod) {
        throw new errors.InvalidClientAuth(`the client registered ${this.clientAuthMethod} but authenticated with ${presented}`);
      }
    }
    return compare.call(this, secret);
  };
}
