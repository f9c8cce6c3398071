// The account pages' own client: they sign the member in through the ordinary authorization endpoint
// (every factor, step-up and attack rule applies) with response_type "none" — no token is ever issued,
// the SSO session the interaction leaves behind is all the pages read.
import type { ClientMetadata } from 'oidc-provider';

export const ACCOUNT_CONSOLE_CLIENT_ID = 'loyalty-account-console';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';

export function accountConsoleClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CONSOLE_CLIENT_ID,
    client_name: 'Your account',
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    response_types: ['none'],
    grant_types: [],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    first_party: true,
  };
}
