// The operator console's own client (issue 20): staff sign in through the ordinary authorization endpoint,
// two factors required (require_mfa), and get access tokens the admin API accepts with their staff roles.
import type { ClientMetadata } from 'oidc-provider';

export const STAFF_CONSOLE_CLIENT_ID = 'loyalty-staff-console';
export const STAFF_CALLBACK_PATH = '/console/callback';

export function staffConsoleClient(issuer: string): ClientMetadata {
  return {
    client_id: STAFF_CONSOLE_CLIENT_ID,
    client_name: 'Operator console',
    redirect_uris: [`${issuer}${STAFF_CALLBACK_PATH}`],
    // `none` for the console's own sign-in (it reads the session the interaction leaves, like the account pages);
    // `code` for scripts that want a staff access token for the admin API.
    response_types: ['code', 'none'],
    grant_types: ['authorization_code'],
    // A public client: PKCE is required, and the token is worth nothing without the staff roles and fresh factors behind it.
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    first_party: true,
    require_mfa: true,
  };
}
