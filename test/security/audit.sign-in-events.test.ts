// The audit trail of sign-ins: successes and failures with their reason, address, country and browser,
// queryable by account (members' own history) and by the operator through the admin API.
import { GEO_IPS } from '../support/geo-ips.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, member, PASSWORD } from '../support/attack.ts';

describe.each(STORES)('sign-in audit events (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true' });

  test('a failure and a success are recorded with reason, address, country and user agent; never the password', async () => {
    const { email, ua } = await member(fx, 'audited', GEO_IPS.DE);
    await attempt(fx, browserFrom(fx, GEO_IPS.FR), email, 'wrong password here');
    await attempt(fx, ua, email, PASSWORD);
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    const history = await fx.server.container.audit.signInHistory(account.id, 10);
    const failure = history.find((e) => e.type === 'sign_in.failure');
    const success = history.find((e) => e.type === 'sign_in.success');
    expect(failure).toMatchObject({ reason: 'wrong_password', ip: GEO_IPS.FR, country: 'FR' });
    expect(success).toMatchObject({ reason: 'password', ip: GEO_IPS.DE, country: 'DE' });
    expect(JSON.stringify(history)).not.toContain('wrong password here');

    const token = await fx.server.adminToken();
    const response = await fetch(`${fx.server.url}/admin/audit-events?account_id=${account.id}&type=sign_in.failure`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { events: Array<{ type: string; reason: string }> };
    expect(body.events).toEqual([expect.objectContaining({ type: 'sign_in.failure', reason: 'wrong_password' })]);
  });

  test('a failure for an unknown email is recorded without an account', async () => {
    await attempt(fx, browserFrom(fx, GEO_IPS.JP), 'unknown.person@example.com', 'whatever password');
    const recent = await fx.server.container.audit.list({ types: ['sign_in.failure'], limit: 20 });
    expect(recent.events.find((e) => e.ip === GEO_IPS.JP)).toMatchObject({ accountId: null, reason: 'unknown_account', country: 'JP' });
  });
});
