// Purpose consents as members, clients and partners see them (issue 17 items 1 and 3): unticked boxes at sign-up
// (a ticked one becomes a grant, an unticked one records nothing), a client's required purposes asked before it
// gets the answer (a no is an answer), "Privacy choices" with one click either way and a signed receipt per change
// (verified against our JWKS, downloadable by its member only, emailed on request, listed by the admin API), the
// consents claim and partner API, and an unknown purpose or a stale version refused with nothing changed.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { openSecurityPage, signedInMember } from '../support/account.ts';
import { followLink, openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

type Consents = Record<string, { granted: boolean; version: number; time: string }>;

describe.each(STORES)('purpose consents and receipts (%s)', (store) => {
  const fx = useMemberServer(store);

  async function admin(path: string): Promise<Response> {
    return fetch(`${fx.server.url}/admin${path}`, { headers: { authorization: `Bearer ${await fx.server.adminToken()}` } });
  }

  const jwks = () => createRemoteJWKSet(new URL(`${fx.server.url}/jwks`));

  async function consentsClient(overrides: Record<string, unknown> = {}) {
    return discover(fx.server, await registerClient(fx.server, { first_party: true, scope: 'openid email consents', ...overrides }));
  }

  test('sign-up shows every purpose unticked; a ticked box becomes a grant in the consents claim, an unticked one records nothing', async () => {
    const client = await consentsClient();
    const request = await authorizationRequest(client, { scope: 'openid email consents' });
    const ua = new UserAgent(fx.server.url);
    const register = await followLink(ua, await openLoginPage(ua, request.url), '/register');
    const boxes = [...register.body.matchAll(/<input type="checkbox"[^>]*name="purposes"[^>]*>/g)].map((match) => match[0]);
    expect(boxes).toHaveLength(5);
    expect(boxes.filter((box) => / checked/.test(box))).toEqual([]);
    expect(register.body).toContain('Offers to your inbox');

    const email = uniqueEmail('pc-signup');
    const before = fx.sink.countFor(email);
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD, purposes: 'marketing_email' });
    expect(verify.url).toMatch(/\/verify$/);
    // Nothing is recorded before the address is proven.
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(await fx.server.container.storage.purposeConsents.listRecords(account.id)).toEqual([]);
    const done = await ua.submit(verify, '/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(client, done.url, request)).claims()!;
    expect(Object.keys(claims.consents as Consents)).toEqual(['marketing_email']);
    expect((claims.consents as Consents).marketing_email).toMatchObject({ granted: true, version: 1 });
    const [record] = await fx.server.container.storage.purposeConsents.listRecords(account.id);
    expect(record).toMatchObject({ purpose: 'marketing_email', method: 'sign_up', channel: 'web', clientId: client.clientMetadata().client_id });
  });

  test('a client\'s required purposes are asked before it gets the answer; a refusal is an answer, and it is not asked again', async () => {
    const client = await consentsClient({ required_purposes: ['partner_sharing', 'profiling'] });
    const email = uniqueEmail('pc-prompt');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(client, { scope: 'openid email consents' });
    const asked = await signIn(ua, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email), email);
    expect(asked.url).toMatch(/\/interaction\/[^/]+$/);
    expect(asked.body).toContain('Sharing with partners');
    expect(asked.body).not.toMatch(/type="radio"[^>]*checked/);

    const unanswered = await ua.submit(asked, '/purposes', { 'answer-partner_sharing': 'no' });
    expect(unanswered.status).toBe(400);
    expect(unanswered.body).toContain('Answer each question to continue.');
    const stale = await ua.submit(asked, '/purposes', { 'answer-partner_sharing': 'no', 'answer-profiling': 'yes', 'version-profiling': '7' });
    expect(stale.status).toBe(400);
    expect(stale.body).toContain('A text changed while you were reading it.');
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(await fx.server.container.storage.purposeConsents.listRecords(account.id)).toEqual([]);

    const done = await ua.submit(asked, '/purposes', { 'answer-partner_sharing': 'no', 'answer-profiling': 'yes' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const consents = (await exchange(client, done.url, request)).claims()!.consents as Consents;
    expect(consents).toEqual({
      partner_sharing: expect.objectContaining({ granted: false, version: 1 }),
      profiling: expect.objectContaining({ granted: true, version: 1 }),
    });
    // Answered: the next request of this client goes straight through (single sign-on).
    const again = await authorizationRequest(client, { scope: 'openid email consents' });
    expect((await ua.follow(again.url)).url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('"Privacy choices": allow and withdraw in one click each, a signed receipt per change, only for its member, emailed on request and listed by the admin API', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'pc-account');
    expect((await openSecurityPage(ua)).body).toMatch(/<a href="\/account\/consents">Privacy choices<\/a>/);
    let page = await ua.follow('/account/consents');
    expect(page.status).toBe(200);
    expect(page.body.match(/Not answered yet/g)).toHaveLength(5);

    const allow = (purpose: string, granted: 'yes' | 'no', from: Page) => ua.submit(from, '/account/consents', { purpose, version: '1', granted });
    page = await allow('marketing_sms', 'yes', page);
    expect(page.url).toContain('/account/consents?notice=saved');
    expect(page.body).toMatch(/data-purpose="marketing_sms" data-state="granted"/);
    expect(page.body).toContain('Allowed (version 1,');
    page = await allow('marketing_sms', 'no', page);
    expect(page.body).toMatch(/data-purpose="marketing_sms" data-state="refused"/);

    // An unknown purpose or another version: 400, and nothing is recorded.
    const records = (await fx.server.container.storage.purposeConsents.listRecords(accountId)).length;
    const unknown = await ua.submit(page, '/account/consents', { purpose: 'telepathy', version: '1', granted: 'yes' });
    expect(unknown.status).toBe(400);
    const stale = await ua.submit(page, '/account/consents', { purpose: 'marketing_sms', version: '2', granted: 'yes' });
    expect(stale.status).toBe(400);
    expect(await fx.server.container.storage.purposeConsents.listRecords(accountId)).toHaveLength(records);

    // The receipts: one per change, newest first, signed with our keys.
    const ids = [...page.body.matchAll(/data-receipt="([^"]+)"/g)].map((match) => match[1]!);
    expect(ids).toHaveLength(2);
    const download = await ua.follow(`/account/consents/receipts/${ids[0]}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    const document = JSON.parse(download.body) as { jws: string; consentReceiptID: string };
    const { payload, protectedHeader } = await jwtVerify(document.jws, jwks(), { issuer: fx.server.url });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      version: 'KI-CR-v1.1.0', consentReceiptID: ids[0], piiPrincipalId: accountId, collectionMethod: 'account page (web)',
      services: [expect.objectContaining({ purposes: [expect.objectContaining({ purposeId: 'marketing_sms', consentGranted: false, consentType: 'EXPLICIT' })] })],
    });
    expect(payload.piiControllers).toEqual([expect.objectContaining({ url: fx.server.url })]);
    const other = await signedInMember(fx, 'pc-other');
    expect((await other.ua.request(`/account/consents/receipts/${ids[0]}`)).status).toBe(404);

    const mails = fx.sink.countFor(email);
    const emailed = await ua.submit(page, `/account/consents/receipts/${ids[1]}/email`);
    expect(emailed.url).toContain('notice=emailed');
    await fx.server.container.deliveries.drain();
    const mail = await fx.sink.waitForMessage(email, { after: mails });
    expect(mail.raw).toMatch(/^Subject: Your consent receipt/m);
    expect(mail.text).toContain('Offers by text message: allowed');
    const jws = /\n(ey[\w-]+\.[\w-]+\.[\w-]+)/.exec(mail.text)?.[1];
    expect((await jwtVerify(jws!, jwks())).payload.consentReceiptID).toBe(ids[1]);

    const listed = await admin(`/members/${encodeURIComponent(accountId)}/consent-receipts`);
    expect(listed.status).toBe(200);
    const { receipts } = (await listed.json()) as { receipts: Array<{ id: string; decisions: unknown[]; jws: string }> };
    expect(receipts.map((receipt) => receipt.id)).toEqual(ids);
    expect(receipts[1]!.decisions).toEqual([{ purpose: 'marketing_sms', version: 1, granted: true }]);
    expect((await admin('/members/no-such-member/consent-receipts')).status).toBe(404);
    const catalogue = (await (await admin('/consent-purposes')).json()) as { purposes: Array<{ id: string; required: boolean }> };
    expect(catalogue.purposes.map((p) => p.id)).toEqual(['marketing_email', 'marketing_sms', 'profiling', 'partner_sharing', 'analytics']);

    // Each change is a consent.changed event in the outbox, written with it.
    const events = await fx.server.container.storage.events.listByTime({ from: new Date(Date.now() - 600_000), to: new Date(Date.now() + 1000), limit: 1000 });
    const mine = events.filter((event) => event.type === 'consent.changed' && event.memberId === accountId);
    expect(mine.map((event) => [event.data.purpose, event.data.granted])).toEqual([['marketing_sms', true], ['marketing_sms', false]]);
  });

  test('partner API: a partner granted the consents scope reads them, and records one given at its counter; bad purpose or version refused', async () => {
    const adminPost = async (path: string, body: unknown) => {
      const response = await fetch(`${fx.server.url}/admin${path}`, { method: 'POST', headers: { authorization: `Bearer ${await fx.server.adminToken()}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string; client_id: string; client_secret: string };
    };
    const partnerId = (await adminPost('/partners', { name: 'Counter Shop' })).id;
    const resource = `${fx.server.url}/partner-api`;
    const webClient = await adminPost('/clients', { client_name: 'Counter Shop web', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], scope: 'openid email consents', partner_id: partnerId });
    const apiClient = await adminPost('/clients', { client_name: 'Counter Shop till', grant_types: ['client_credentials'], scope: 'members:read consents:write', allowed_resources: [resource], partner_id: partnerId });
    const web = await discover(fx.server, { clientId: webClient.client_id, clientSecret: webClient.client_secret, metadata: webClient as never });
    const token = async (scope: string) => {
      const response = await fetch(`${fx.server.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${apiClient.client_id}:${apiClient.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const memberAt = async (scope: string) => {
      const email = uniqueEmail('pc-partner');
      const ua = new UserAgent(fx.server.url);
      const request = await authorizationRequest(web, { scope });
      const done = await signIn(ua, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email), email);
      expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
      return { sub: String((await exchange(web, done.url, request)).claims()!.sub), accountId: (await fx.server.container.storage.accounts.findByEmail(email))!.id };
    };
    const call = async (method: string, path: string, bearer: string, body?: unknown) => {
      const response = await fetch(`${fx.server.url}/partner-api/v1${path}`, {
        method, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const member = await memberAt('openid email consents');
    const full = await token('members:read consents:write');
    expect((await call('GET', `/members/${member.sub}`, full)).body).toMatchObject({ sub: member.sub, consents: {} });
    const given = await call('POST', `/members/${member.sub}/consents`, full, { purpose: 'marketing_sms', version: 1, granted: true });
    expect(given.status).toBe(201);
    expect(given.body.consents).toEqual({ marketing_sms: expect.objectContaining({ granted: true, version: 1 }) });
    const [record] = await fx.server.container.storage.purposeConsents.listRecords(member.accountId);
    expect(record).toMatchObject({ channel: 'partner', method: 'partner_api', clientId: apiClient.client_id });
    expect((await call('GET', `/members/${member.sub}`, full)).body.consents).toEqual({ marketing_sms: expect.objectContaining({ granted: true }) });

    const unknown = await call('POST', `/members/${member.sub}/consents`, full, { purpose: 'telepathy', version: 1, granted: true });
    expect([unknown.status, unknown.body.error_description]).toEqual([400, 'unknown purpose: telepathy']);
    const stale = await call('POST', `/members/${member.sub}/consents`, full, { purpose: 'marketing_sms', version: 3, granted: false });
    expect([stale.status, stale.body.error_description]).toEqual([400, 'purpose marketing_sms is at version 1, not 3']);
    expect(await fx.server.container.storage.purposeConsents.listRecords(member.accountId)).toHaveLength(1);
    expect((await call('POST', `/members/${member.sub}/consents`, await token('members:read'), { purpose: 'marketing_sms', version: 1, granted: false })).status).toBe(403);

    // A member who did not grant the consents scope: the partner reads no consents.
    const without = await memberAt('openid email');
    expect((await call('GET', `/members/${without.sub}`, full)).body).not.toHaveProperty('consents');
  });

  test('consents the old program recorded on an imported member become grants (channel import) when first read, once', async () => {
    const { ua, accountId } = await signedInMember(fx, 'pc-import');
    await fx.server.container.storage.memberImports.saveMemberData(accountId, {
      tier: null, consents: { marketing_email: '2020-01-02', telepathy: '2021-03-04' }, joinedAt: null, unverifiedPhone: null,
    });
    const page = await ua.follow('/account/consents');
    expect(page.body).toMatch(/data-purpose="marketing_email" data-state="granted"/);
    await ua.follow('/account/consents');
    const records = await fx.server.container.storage.purposeConsents.listRecords(accountId);
    expect(records).toEqual([expect.objectContaining({ purpose: 'marketing_email', granted: true, channel: 'import', method: 'import', at: new Date('2020-01-02') })]);
    expect(await fx.server.container.storage.purposeConsents.listReceipts(accountId)).toHaveLength(1);
  });
});
