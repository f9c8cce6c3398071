// GDPR art. 15/20 and 17 as a member and the operator see them: "Download my data" gives one archive (checked
// against docs/member-export.schema.json) holding every kind of data a member with one of everything has, behind
// a link only that member can open; "Delete my account" waits 14 days, during which signing in offers to keep it;
// an erasure leaves no row in any table or collection with the member's email, phone, names or account id, keeps
// the ledger anonymised, and logs the member out of their partners by back channel.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { addAppOnAccount, addPasskeyOnAccount, confirmItsYou, isSecurityPage, noticeOn, openSecurityPage, signedInMember } from '../support/account.ts';
import { importCard, isCardCodePage, submitCardCode, submitCardNumber } from '../support/card.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout-receiver.ts';
import { openLoginPage, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { memberWithPhone } from '../support/phone.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { besidesTheAnnouncement, scanStore } from '../support/store-scan.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const schema = JSON.parse(readFileSync(new URL('../../docs/member-export.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

type Archive = { sub: string; sections: Record<string, unknown> } & Record<string, unknown>;

describe.each(STORES)('member data rights: export and erasure (%s)', (store) => {
  // Passkeys need a domain name (localhost), not an IP.
  const fx = useMemberServer(store, { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05' }, { publicHost: 'localhost' });
  let receiver: LogoutReceiver;
  let partner: oidc.Configuration;
  let partnerId: string;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    partnerId = (await fx.server.container.storage.partners.create({ name: 'Shoe Shop' })).id;
    const client = await registerClient(fx.server, { first_party: true, partner_id: partnerId, subject_type: 'pairwise', backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    partner = await discover(fx.server, client);
  });
  afterAll(() => {
    receiver?.server.close();
  });

  async function admin(method: string, path: string): Promise<Response> {
    return fetch(`${fx.server.url}/admin${path}`, { method, headers: { authorization: `Bearer ${await fx.server.adminToken()}` } });
  }

  /** Signs this browser in at the partner (single sign-on when it has a session); the ID token's claims. */
  async function signInAtPartner(ua: UserAgent, email: string) {
    const request = await authorizationRequest(partner);
    let page = await ua.follow(request.url);
    if (!page.url.startsWith(REDIRECT_URI)) page = await signIn(ua, page, email);
    return (await exchange(partner, page.url, request)).claims()!;
  }

  /**
   * A member with one of everything: password, phone (SMS), authenticator app with recovery codes, passkey, a claimed
   * card and a coupon (two ledger entries), profile names, a partner grant and session, a device, audit events, a
   * redemption freeze.
   */
  async function memberWithEverything(prefix: string) {
    const member = await memberWithPhone(fx, prefix);
    const { ua, email, accountId, phone } = member;
    await addAppOnAccount(ua, member.page);
    const authenticator = new SoftAuthenticator({ origin: fx.server.url });
    const passkey = await addPasskeyOnAccount(ua, await openSecurityPage(ua), authenticator);
    expect(passkey.status).toBe(200);

    const cardName = `Quentin Zabrowski${randomUUID().slice(0, 6)}`;
    const card = await importCard(fx.server, { email, name: cardName, balance: 700 });
    const mails = fx.sink.countFor(email);
    const codePage = await submitCardNumber(ua, card.card_number);
    expect(isCardCodePage(codePage)).toBe(true);
    await fx.server.container.deliveries.drain();
    expect(isSecurityPage(await submitCardCode(ua, codePage, await fx.sink.waitForCode(email, { after: mails })))).toBe(true);

    const code = `DR-${randomUUID().slice(0, 8).toUpperCase()}`;
    await fx.server.container.coupons.createCampaign({ partnerId, code, points: 40, perMemberLimit: 1, totalLimit: 10, startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() + HOUR) });
    const redeemed = await ua.submit(await ua.follow('/account/coupon'), '/account/coupon', { code });
    expect(redeemed.url).toContain('notice=coupon_redeemed');

    const givenName = `Ysolde${randomUUID().slice(0, 6)}`;
    const familyName = `Wexford${randomUUID().slice(0, 6)}`;
    await fx.server.container.storage.profiles.update(accountId, { values: { given_name: givenName, family_name: familyName } }, new Date());
    // A purpose consent given on "Privacy choices": a record and its signed receipt.
    const choices = await ua.submit(await ua.follow('/account/consents'), '/account/consents', { purpose: 'marketing_email', version: '1', granted: 'yes' });
    expect(choices.url).toContain('notice=saved');
    // A linked account (an upstream identity; the linking flows have their own tests).
    const connectionId = randomUUID();
    await fx.server.container.storage.connections.create({ id: connectionId, kind: 'oidc', name: 'Upstream ID', settings: {} });
    expect(await fx.server.container.storage.federatedIdentities.link({ connectionId, subject: `upstream-${randomUUID()}`, accountId })).toBe('linked');
    // Support froze the member's redemptions (issue 20): that row names the member too.
    await fx.server.container.storage.staff.freezeRedemptions({ accountId, frozenBy: 'staff:support', reason: 'Takeover reported', frozenAt: new Date() });
    const partnerClaims = await signInAtPartner(ua, email);
    await fx.server.container.deliveries.drain();
    return { ua, email, accountId, phone, cardName, givenName, familyName, partnerSub: String(partnerClaims.sub), partnerSid: String(partnerClaims.sid) };
  }

  /** "Download my data" on the account pages; waits for the background build and returns the emailed link. */
  async function requestExport(ua: UserAgent, email: string): Promise<{ done: Page; link: string }> {
    const form = await ua.follow('/account/export');
    expect(form.body).toContain('action="/account/export"');
    const mails = fx.sink.countFor(email);
    const done = await ua.submit(form, '/account/export');
    await fx.server.container.exports.settled();
    await fx.server.container.deliveries.drain();
    const mail = await fx.sink.waitForMessage(email, { after: mails });
    const link = /(https?:\/\/\S+\/account\/export\/[\w-]+)/.exec(mail.text)?.[1];
    if (!link) throw new Error(`no export link in the email:\n${mail.text}`);
    return { done, link };
  }

  test('the account page links "Download my data" and "Delete my account"', async () => {
    const { ua } = await signedInMember(fx, 'dr-links');
    const page = await openSecurityPage(ua);
    expect(page.body).toMatch(/<a [^>]*href="\/account\/export"[^>]*>Download my data<\/a>/);
    expect(page.body).toMatch(/<a [^>]*href="\/account\/delete"[^>]*>Delete my account<\/a>/);
  });

  test('the export holds every kind of data, validates against the JSON Schema, and only its member can open the link', async () => {
    const member = await memberWithEverything('dr-export');
    const { done, link } = await requestExport(member.ua, member.email);
    expect(noticeOn(done)).toBe('We are preparing your data. We will email you a link when it is ready.');

    // Signed in, the account page links the archive too (where the emailed link leads after signing in).
    expect((await openSecurityPage(member.ua)).body).toContain(`href="${new URL(link).pathname}"`);
    const response = await member.ua.follow(link);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment/);
    const archive = JSON.parse(response.body) as Archive;
    expect([validate(archive), validate.errors]).toEqual([true, null]);
    const s = archive.sections as Record<string, Record<string, unknown> & unknown[]>;
    expect(archive.sub).toBe(member.accountId);
    expect(s.account).toMatchObject({ email: member.email, phone: member.phone, has_password: true });
    expect(s.profile!.fields).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'given_name', value: member.givenName })]));
    expect(s.verified_contacts).toEqual([{ type: 'email', value: member.email, verified: true }, { type: 'phone', value: member.phone, verified: true }]);
    expect(s.factors).toMatchObject({ authenticator_apps: [expect.objectContaining({ type: 'totp' })], recovery_codes: { total: 10, unused: 10 } });
    expect(s.passkeys).toHaveLength(1);
    expect(s.sessions!.length).toBeGreaterThanOrEqual(1);
    expect(s.devices!.length).toBeGreaterThanOrEqual(1);
    const grants = s.partner_grants as unknown as { grants: Array<{ client_id: string }>; partners: Array<{ partner_id: string; subject: string }> };
    expect(grants.grants.map((grant) => grant.client_id)).toContain(partner.clientMetadata().client_id);
    expect(grants.partners).toEqual([expect.objectContaining({ partner_id: partnerId, subject: member.partnerSub })]);
    const ledger = s.ledger as unknown as { member: { balance: number }; entries: Array<{ points: number }> };
    expect(ledger.entries.map((entry) => entry.points).sort()).toEqual([40, 700]);
    expect(ledger.member.balance).toBe(740);
    expect(s.coupons).toEqual([expect.objectContaining({ points: 40 })]);
    expect(s.card_claims).toEqual([expect.objectContaining({ name: member.cardName, balance: 700 })]);
    const history = s.access_history as unknown as { events: Array<{ type: string }> };
    expect(history.events.map((event) => event.type)).toEqual(expect.arrayContaining(['sign_in.success', 'factor.added', 'phone.changed']));
    expect(s.consents).toEqual([expect.objectContaining({ purpose: 'marketing_email', version: 1, granted: true, channel: 'web', method: 'account_page' })]);
    const receipts = s.receipts as unknown as Array<{ id: string; jws: string }>;
    expect(receipts).toEqual([expect.objectContaining({ decisions: [{ purpose: 'marketing_email', version: 1, granted: true }] })]);
    const signed = await jwtVerify(receipts[0]!.jws, createRemoteJWKSet(new URL(partner.serverMetadata().jwks_uri!)), { issuer: fx.server.url });
    expect(signed.payload).toMatchObject({ consentReceiptID: receipts[0]!.id, piiPrincipalId: member.accountId });
    expect(s.linked_accounts).toEqual([expect.objectContaining({ connection_name: 'Upstream ID', subject: expect.stringMatching(/^upstream-/) })]);

    // Never secrets: the password hash, the app's sealed seed, recovery-code hashes, the passkey's public key.
    const account = (await fx.server.container.storage.accounts.findById(member.accountId))!;
    const [factor] = await fx.server.container.storage.factors.listByAccount(member.accountId);
    const [codeHash] = await fx.server.container.storage.factors.listRecoveryCodes(member.accountId);
    const [key] = await fx.server.container.storage.passkeys.listByAccount(member.accountId);
    for (const secret of [account.passwordHash!, factor!.secret, codeHash!.codeHash, key!.publicKey]) expect(response.body).not.toContain(secret);

    // Another member, signed in, gets 404 for this link; a signed-out browser is sent to sign in.
    const other = await signedInMember(fx, 'dr-other');
    const foreign = await other.ua.request(link);
    expect(foreign.status).toBe(404);
    expect(foreign.body).not.toContain(member.email);
    const stranger = await new UserAgent(fx.server.url).request(link);
    expect(stranger.status).toBe(303);
    expect(stranger.body).not.toContain(member.email);

    // The operator's copy for a support request: the same archive, audited.
    const adminCopy = await admin('GET', `/members/${encodeURIComponent(member.accountId)}/export`);
    expect(adminCopy.status).toBe(200);
    const copy = (await adminCopy.json()) as Archive;
    expect([validate(copy), validate.errors]).toEqual([true, null]);
    expect(copy.sections.card_claims).toEqual(s.card_claims);
    const events = await fx.server.container.storage.audit.list({ accountId: member.accountId, types: ['member.exported'], limit: 10 });
    expect(events.map((event) => event.reason).sort()).toEqual(['admin', 'member']);
    expect((await admin('GET', '/members/no-such-member/export')).status).toBe(404);
    // The profile summary support reads (issue 20 reuses it): who, how they sign in, the card; never a secret.
    const summary = await admin('GET', `/members/${encodeURIComponent(member.accountId)}`);
    expect(summary.status).toBe(200);
    expect(await summary.json()).toMatchObject({
      sub: member.accountId, email: member.email, email_verified: true, phone: member.phone, has_password: true,
      authenticator_apps: 1, passkeys: 1, points_balance: 740, erasure_scheduled_for: null,
    });
    expect((await admin('GET', '/members/no-such-member')).status).toBe(404);
  });

  test('deletion needs a recent strong sign-in, waits 14 days, and signing in offers to keep the account', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'dr-grace');
    // A one-factor session cannot schedule it: back to the page that asks to confirm it is you.
    const form = await ua.follow('/account/delete');
    expect(form.body).toContain('/account/sign-in?reauth=1');
    expect(form.body).not.toContain('action="/account/delete"');
    const refused = await ua.follow('/account/delete', { form: { csrf: /name="csrf" value="([^"]+)"/.exec(form.body)![1]! } });
    expect(refused.url).toContain('notice=reauth_needed');
    expect(await fx.server.container.erasure.scheduled(accountId)).toBeUndefined();

    await confirmItsYou(ua, fx.sink, email);
    const mails = fx.sink.countFor(email);
    const scheduled = await ua.submit(await ua.follow('/account/delete'), '/account/delete');
    expect(noticeOn(scheduled)).toBe('Your account will be deleted in 14 days. We sent you an email with the date.');
    expect(scheduled.body).toContain('action="/account/delete/cancel"');
    await fx.server.container.deliveries.drain();
    expect((await fx.sink.waitForMessage(email, { after: mails })).text).toContain('scheduled for deletion');
    const summary = (await (await admin('GET', `/members/${accountId}`)).json()) as { erasure_scheduled_for: string };
    const eraseAt = Date.parse(summary.erasure_scheduled_for);
    expect(Math.abs(eraseAt - (Date.now() + 14 * DAY))).toBeLessThan(HOUR);
    // A second request (the admin's, here) is idempotent: same date.
    const again = await admin('DELETE', `/members/${accountId}`);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { erase_at: string }).erase_at).toBe(summary.erasure_scheduled_for);

    // Signing in elsewhere: the date, "Keep my account" / "Continue". Continue goes on to the client, still scheduled.
    const laptop = new UserAgent(fx.server.url);
    const prompt = await signIn(laptop, await openLoginPage(laptop, (await authorizationRequest(fx.config)).url), email);
    expect(prompt.body).toContain('Your account is scheduled for deletion on');
    const continued = await laptop.submit(prompt, '/erasure/continue');
    expect(continued.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await fx.server.container.erasure.scheduled(accountId)).toBeDefined();
    // Single sign-on does not ask again; a new sign-in does, and "Keep my account" cancels the deletion.
    expect((await laptop.follow((await authorizationRequest(fx.config)).url)).url.startsWith(REDIRECT_URI)).toBe(true);
    const phone = new UserAgent(fx.server.url);
    const again2 = await signIn(phone, await openLoginPage(phone, (await authorizationRequest(fx.config)).url), email);
    const kept = await phone.submit(again2, '/erasure/keep');
    expect(kept.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await fx.server.container.erasure.scheduled(accountId)).toBeUndefined();
    expect((await openSecurityPage(ua)).body).not.toContain('action="/account/delete/cancel"');
    const types = (await fx.server.container.storage.audit.list({ accountId, limit: 20 })).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['member.erasure_scheduled', 'member.erasure_cancelled']));
  });

  test('after the grace period the sweeper erases the member', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'dr-sweep');
    await confirmItsYou(ua, fx.sink, email);
    await ua.submit(await ua.follow('/account/delete'), '/account/delete');
    const { privacy } = fx.server.container.storage;
    // The 14 days gone by: the request's date brought to the past, as the sweeper will find it.
    await privacy.scheduleErasure({ accountId, requestedAt: new Date(Date.now() - 15 * DAY), eraseAt: new Date(Date.now() - DAY) }, { replaceLater: true });
    expect(await fx.server.container.erasure.sweepDue()).toBeGreaterThanOrEqual(1);
    expect(await fx.server.container.storage.accounts.findById(accountId)).toBeUndefined();
    expect(besidesTheAnnouncement(await scanStore(fx.server, [accountId, email]))).toEqual([]);
  });

  test('erasure now leaves no row with the member\'s email, phone, names or id, keeps the ledger anonymised, and logs partners out', async () => {
    const member = await memberWithEverything('dr-erase');
    const needles = [member.accountId, member.email, member.phone, member.cardName, member.givenName, member.familyName];
    expect((await scanStore(fx.server, needles)).length).toBeGreaterThan(0);
    const before = receiver.tokens.length;
    const { balance } = (await fx.server.container.storage.loyalty.findMember(member.accountId))!;

    expect((await admin('DELETE', `/members/${member.accountId}?grace=soon`)).status).toBe(400);
    const erased = await admin('DELETE', `/members/${member.accountId}?grace=none`);
    expect(erased.status).toBe(204);

    expect(besidesTheAnnouncement(await scanStore(fx.server, needles))).toEqual([]);
    // The partner hears of it: a logout token for the member's pairwise sub at that partner.
    await fx.server.container.backchannelLogout.settled();
    const jwks = createRemoteJWKSet(new URL(partner.serverMetadata().jwks_uri!));
    const tokens = await Promise.all(receiver.tokens.slice(before).map(async (token) => (await jwtVerify(token, jwks, { issuer: fx.server.url, audience: partner.clientMetadata().client_id })).payload));
    expect(member.partnerSub).not.toBe(member.accountId);
    expect(tokens).toEqual([expect.objectContaining({ sub: member.partnerSub, sid: member.partnerSid })]);
    // The admin-visible record names no person; accounting keeps the entries under its tombstone, balance intact.
    const [deleted] = await fx.server.container.storage.audit.list({ types: ['member.deleted'], limit: 1 });
    expect(deleted).toMatchObject({ accountId: null, reason: 'admin' });
    const tombstone = String(deleted!.details.tombstone);
    const entries = await fx.server.container.storage.loyalty.listEntries(tombstone, { limit: 10 });
    expect(entries.map((entry) => entry.points).sort()).toEqual([40, 700]);
    expect(await fx.server.container.storage.loyalty.sumEntries(tombstone)).toBe(balance);
    expect((await fx.server.container.storage.loyalty.findMember(tombstone))?.balance).toBe(balance);
    // Consent receipts are kept as the record that a choice was made, under the tombstone and without the JWS.
    expect(await fx.server.container.storage.purposeConsents.listReceipts(tombstone)).toEqual([
      expect.objectContaining({ jws: null, decisions: [{ purpose: 'marketing_email', version: 1, granted: true }] }),
    ]);
    expect(await fx.server.container.storage.purposeConsents.listRecords(tombstone)).toEqual([]);

    // The member is gone everywhere: the admin API and the browser's session.
    expect((await admin('GET', `/members/${member.accountId}`)).status).toBe(404);
    expect((await admin('DELETE', `/members/${member.accountId}?grace=none`)).status).toBe(404);
    expect((await openSecurityPage(member.ua)).url).not.toContain('/account/security');
  });
});
