// Failure: a partner's logout endpoint is briefly down when a member signs out, and the partner session
// outlives the sign-out with nobody the wiser. Failed deliveries are retried (a bounded number of times, in
// this process), each failure is audited, and operators list them through the admin API.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { signedInMember } from '../../support/account.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../../support/logout-receiver.ts';
import { signIn } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

interface AdminAuditEvent {
  type: string;
  account_id: string | null;
  reason: string | null;
  details: { client_id?: string; attempt?: number; final?: boolean; error?: string };
}

describe.each(STORES)('back-channel logout retries (%s)', (store) => {
  // Three tries, 50 ms apart here (10 s and 50 s by default).
  const fx = useMemberServer(store, { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05,0.05' });
  const receivers: LogoutReceiver[] = [];
  afterAll(() => receivers.forEach((receiver) => receiver.server.close()));

  /** A partner whose logout endpoint behaves as `receiver` does; a member signs in there and signs out through end_session. */
  async function signOutAt(receiver: LogoutReceiver) {
    receivers.push(receiver);
    const client = await registerClient(fx.server, { first_party: true, backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    const config = await discover(fx.server, client);
    const { ua, email, accountId } = await signedInMember(fx, 'bcl-retry');
    const request = await authorizationRequest(config);
    let page = await ua.follow(request.url);
    if (!page.url.startsWith(REDIRECT_URI)) page = await signIn(ua, page, email);
    const tokens = await exchange(config, page.url, request);
    const confirm = await ua.follow(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    const done = await ua.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    expect(done.status).toBeLessThan(400);
    await fx.server.container.backchannelLogout.settled();
    return { config, clientId: client.clientId, accountId, claims: tokens.claims()! };
  }

  /** What an operator sees: GET /admin/audit-events?type=backchannel_logout.failed, for one client. */
  async function failedDeliveries(clientId: string): Promise<AdminAuditEvent[]> {
    const response = await fetch(`${fx.server.url}/admin/audit-events?type=backchannel_logout.failed&limit=100`, { headers: { authorization: `Bearer ${await fx.server.adminToken()}` } });
    expect(response.status).toBe(200);
    const { events } = (await response.json()) as { events: AdminAuditEvent[] };
    return events.filter((event) => event.details.client_id === clientId).reverse();
  }

  test('a partner that is down for the first two tries gets the logout token on the third', async () => {
    const receiver = await startLogoutReceiver({ failFirst: 2 });
    const { config, clientId, accountId, claims } = await signOutAt(receiver);

    expect(receiver.requests).toBe(3);
    expect(receiver.tokens).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(receiver.tokens[0]!, jwks, { issuer: fx.server.url, audience: clientId });
    expect(payload).toMatchObject({ sub: claims.sub, sid: claims.sid });

    const failures = await failedDeliveries(clientId);
    expect(failures.map((event) => ({ account: event.account_id, reason: event.reason, ...event.details }))).toEqual([
      { account: accountId, reason: 'http_503', client_id: clientId, attempt: 1, final: false, error: 'http_503' },
      { account: accountId, reason: 'http_503', client_id: clientId, attempt: 2, final: false, error: 'http_503' },
    ]);
  });

  test('a partner that stays down is tried three times, and the last failure is marked final', async () => {
    const receiver = await startLogoutReceiver({ failFirst: Number.MAX_SAFE_INTEGER });
    const { clientId } = await signOutAt(receiver);

    expect(receiver.requests).toBe(3);
    expect(receiver.tokens).toHaveLength(0);
    const failures = await failedDeliveries(clientId);
    expect(failures.map((event) => [event.details.attempt, event.details.final])).toEqual([[1, false], [2, false], [3, true]]);
  });
});
