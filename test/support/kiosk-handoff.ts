// A kiosk app using the hand-off (issue 21): its device authorization, raw token polls, its hand-off page, and
// the member approving on their own phone.
import type { UserAgent } from './member.ts';
import { signIn } from './member.ts';
import type { oidc } from './oidc-client.ts';
import { discover, registerClient } from './oidc-client.ts';
import type { MemberServer } from './suite.ts';
import type { Page } from './user-agent.ts';

/** The phone's browser after scanning: oidc-provider's self-posting form submitted, as a browser would. */
export async function scan(phone: UserAgent, verificationUriComplete: string): Promise<Page> {
  const scanned = await phone.follow(verificationUriComplete);
  return scanned.body.includes('document.forms[0].submit()') ? phone.submit(scanned, '/device') : scanned;
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A public kiosk client (enrolment_channel kiosk) allowed refresh tokens, as a careless registration would be. */
export async function kioskApp(fx: MemberServer): Promise<oidc.Configuration> {
  const client = await registerClient(fx.server, {
    token_endpoint_auth_method: 'none', application_type: 'native', enrolment_channel: 'kiosk', client_name: 'Store Kiosk',
    grant_types: [DEVICE_GRANT, 'refresh_token'], response_types: [], redirect_uris: [], scope: 'openid email offline_access',
  });
  return discover(fx.server, client);
}

export interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

/** One poll of the token endpoint, as the kiosk makes every few seconds. */
export async function pollOnce(config: oidc.Configuration, deviceCode: string): Promise<TokenReply> {
  const response = await fetch(config.serverMetadata().token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: config.clientMetadata().client_id }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The kiosk app opens its hand-off page with the pending device code (a form post). */
export function handOffPage(fx: MemberServer, ua: UserAgent, fields: { client_id: string; device_code: string; lang?: string }): Promise<Page> {
  return ua.follow(`${fx.server.url}/kiosk/handoff`, { form: fields });
}

/** The member scans the QR code (verification_uri_complete), confirms the code and signs in with the password. */
export async function approveOnPhone(phone: UserAgent, verificationUriComplete: string, email: string): Promise<Page> {
  const confirm = await scan(phone, verificationUriComplete);
  if (!confirm.body.includes('name="confirm"')) throw new Error(`no confirm page: ${confirm.status} ${confirm.url}\n${confirm.body.slice(0, 500)}`);
  const login = await phone.submit(confirm, '/device', { confirm: 'yes' });
  return signIn(phone, login, email);
}

/** The part of a JWT a test reads. */
export function jwtClaims(token: unknown): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
