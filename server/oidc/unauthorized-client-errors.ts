// RFC 6749 error codes for a grant or response type the client is not registered for (unauthorized_client).
import { errors } from 'oidc-provider';

/**
 * oidc-provider answers these with `invalid_request`; RFC 6749 (§4.1.2.1, §5.2) and RFC 8628 §3.2 say
 * `unauthorized_client`: the request is well formed, this client just may not use it. Relying parties
 * (Authlib, pyoidc) branch on the code, so it matters. The descriptions are oidc-provider's own; a test
 * (test/protocol/tokens/rfc-error-codes.test.ts) fails if an upgrade rewords them.
 */
const NOT_ALLOWED_FOR_CLIENT = [
  /^requested grant type is not allowed for this client$/,
  /^requested response_type is not allowed for this client$/,
  /^\S+ is not allowed for this client$/,
];

/**
 * oidc-provider builds every error in one place (the InvalidRequest constructor assigns error_description),
 * and renders it in several (JSON, redirect query or fragment, form_post page, events). Renaming the code
 * where the error is made keeps all of them consistent. Every InvalidRequest goes through this setter.
 */
export function useUnauthorizedClientErrors(): void {
  const prototype = errors.InvalidRequest.prototype as unknown as Record<string, unknown>;
  if (Object.getOwnPropertyDescriptor(prototype, 'error_description')) return;
  Object.defineProperty(prototype, 'error_description', {
    configurable: true,
    set(this: { message: string; error: string }, description: unknown) {
      Object.defineProperty(this, 'error_description', { value: description, writable: true, enumerable: true, configurable: true });
      if (typeof description === 'string' && NOT_ALLOWED_FOR_CLIENT.some((pattern) => pattern.test(description))) {
        this.message = 'unauthorized_client';
        this.error = 'unauthorized_client';
      }
    },
  });
}
