// The operator console's partners and clients (issue 20 item 3) over HTTP, as a partner manager uses them: create
// and rename a partner, see how many members signed in to it (a count, never who) and its campaigns with their
// uses; create, edit and rotate the secret of its clients (the secret shown once), with redirect URIs validated
// as the admin API does them; every change audited with the staff member. Refusals: roles, CSRF, stale forms.
import { randomUUID } from 'node:crypto';
import { mayDo, type StaffAction } from '../../server/domain/staff/permissions.ts';
import { STAFF_ROLES } from '../../server/domain/staff/staff-roles.ts';
import { consoleSignIn, staffAccount, staffWithApp, type StaffPerson } from '../support/staff.ts';
import type { UserAgent } from '../support/member.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const csrfOf = (page: Page) => /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
const secretOn = (page: Page) => /data-secret>([^<]+)</.exec(page.body)?.[1];
const clientIdOn = (page: Page) => /href="\/console\/clients\/([^"]+)"/.exec(page.body)?.[1];

describe.each(STORES)('operator console: partners and clients (%s)', (store) => {
  const fx = useMemberServer(store);
  let manager: StaffPerson;
  let ua: UserAgent;
  let partnerId = '';

  beforeAll(async () => {
    manager = await staffWithApp(fx, ['partner-manager'], 'partners');
    const signedIn = await consoleSignIn(fx, manager);
    ua = signedIn.ua;
    // A partner manager has no members to find: the console opens on the partners.
    expect(signedIn.page.url).toMatch(/\/console\/partners$/);
  });

  async function countPartners(): Promise<number> {
    return (await fx.server.container.storage.partners.list({ limit: 1000 })).length;
  }

  async function adminActions(reason: string) {
    const { events } = await fx.server.container.audit.list({ types: ['admin.action'], limit: 100 });
    return events.filter((event) => event.reason === reason);
  }

  test('a partner manager creates a partner with a reason, finds it in the list and renames it; both audited with the person', async () => {
    const form = await ua.follow('/console/partners/new');
    expect(form.status).toBe(200);
    const refused = await ua.submit(form, '/console/partners', { name: 'Café Sol', reason: '' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('id="reason-error"');
    const created = await ua.submit(form, '/console/partners', { name: 'Café Sol', reason: 'New partner signed, contract 7' });
    expect(created.status).toBe(200);
    expect(created.url).toContain('notice=partner_created');
    partnerId = /\/console\/partners\/([^/?]+)\?/.exec(created.url)![1]!;
    expect(created.body).toContain('<h1>Café Sol</h1>');
    expect((await ua.follow('/console/partners')).body).toContain(`data-partner="${partnerId}"`);

    const renamed = await ua.submit(created, `/console/partners/${partnerId}`, { name: 'Café Sol Rewards', reason: 'Brand renamed' });
    expect(renamed.url).toContain('notice=partner_renamed');
    expect((await fx.server.container.storage.partners.find(partnerId))?.name).toBe('Café Sol Rewards');
    const bad = await ua.submit(renamed, `/console/partners/${partnerId}`, { name: '', reason: 'Oops' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('id="name-error"');
    expect((await fx.server.container.storage.partners.find(partnerId))?.name).toBe('Café Sol Rewards');

    expect((await adminActions('console:partner_create')).find((event) => event.details.partner_id === partnerId)?.details)
      .toMatchObject({ actor: `staff:${manager.accountId}`, staff_reason: 'New partner signed, contract 7' });
    expect((await adminActions('console:partner_rename')).find((event) => event.details.partner_id === partnerId)?.details)
      .toMatchObject({ actor: `staff:${manager.accountId}`, staff_reason: 'Brand renamed' });
  });

  test('the partner page counts the members who signed in (never who) and shows campaigns with their uses', async () => {
    const { storage } = fx.server.container;
    const partner = await storage.partners.create({ name: 'Counted' });
    const members = [await staffAccount(fx.server, [], 'linked'), await staffAccount(fx.server, [], 'linked')];
    for (const [index, member] of members.entries()) {
      await storage.partners.link({ partnerId: partner.id, subject: `sub-${index}`, accountId: member.accountId, scope: 'openid' });
    }
    const now = Date.now();
    const campaign = await storage.coupons.create({
      partnerId: partner.id, code: `SPRING-${randomUUID().slice(0, 6).toUpperCase()}`, points: 50, perMemberLimit: 1, totalLimit: 100,
      startsAt: new Date(now - 3600_000), endsAt: new Date(now + 86_400_000),
    });
    const use = await storage.coupons.redeem({ campaignId: campaign.id, accountId: members[0]!.accountId, at: new Date() });
    expect(use.ok).toBe(true);

    const page = await ua.follow(`/console/partners/${partner.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-members="2"');
    expect(page.body).toContain('2 members have signed in to this partner.');
    for (const member of members) {
      expect(page.body).not.toContain(member.email);
      expect(page.body).not.toContain(member.accountId);
    }
    expect(page.body).toContain(`data-campaign="${campaign.id}" data-uses="1"`);
    expect(page.body).toContain('Used 1 time of 100');
  });

  test('a web client is created for the partner; its secret is shown once, on a page never cached, and works', async () => {
    const form = await ua.follow(`/console/partners/${partnerId}/clients/new`);
    const created = await ua.submit(form, '/clients', {
      client_name: 'Café Sol website', kind: 'web', redirect_uris: 'https://cafe-sol.example/callback\r\n\r\nhttps://cafe-sol.example/app/callback', reason: 'Website launch',
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret = secretOn(created);
    const clientId = clientIdOn(created)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const stored = await fx.server.container.storage.clients.find(clientId);
    expect(stored?.metadata).toMatchObject({
      client_name: 'Café Sol website', partner_id: partnerId, subject_type: 'pairwise', client_secret: secret,
      redirect_uris: ['https://cafe-sol.example/callback', 'https://cafe-sol.example/app/callback'],
    });
    // Never again: not on the client page, the partner page, nor in the audit log.
    const clientPage = await ua.follow(`/console/clients/${clientId}`);
    expect(clientPage.status).toBe(200);
    expect(clientPage.body).toContain('https://cafe-sol.example/app/callback');
    expect(clientPage.body).not.toContain(secret);
    const partnerPage = await ua.follow(`/console/partners/${partnerId}`);
    expect(partnerPage.body).toContain(`data-client="${clientId}"`);
    expect(partnerPage.body).not.toContain(secret);
    const [event] = (await adminActions('console:client_create')).filter((entry) => entry.details.client_id === clientId);
    expect(event?.details).toMatchObject({ actor: `staff:${manager.accountId}`, staff_reason: 'Website launch', partner_id: partnerId });
    expect(JSON.stringify(event)).not.toContain(secret);
    // The secret is the client's: the token endpoint takes it (and would refuse any other).
    const token = await fetch(`${fx.server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://cafe-sol.example/callback' }),
    });
    expect(((await token.json()) as { error?: string }).error).toBe('invalid_grant');
  });

  test('bad redirect URIs are shown line by line on the form and nothing is created', async () => {
    const before = (await fx.server.container.storage.clients.list({ limit: 1000 })).length;
    const form = await ua.follow(`/console/partners/${partnerId}/clients/new`);
    const refused = await ua.submit(form, '/clients', {
      client_name: 'Broken', kind: 'web', reason: 'Trying', redirect_uris: 'https://ok.example/cb\nhttp://plain.example/cb\nhttps://ok.example/cb#frag\ncom.example.app:/cb',
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('id="redirect_uris-error"');
    expect(refused.body).toContain('Line 2: use https');
    expect(refused.body).toContain('Line 3: a redirect URI cannot contain a # fragment.');
    expect(refused.body).toContain('Line 4: only a mobile app may use its own scheme');
    expect(refused.body).not.toContain('Line 1:');
    // The form keeps what was typed, so one line can be fixed.
    expect(refused.body).toContain('http://plain.example/cb');
    // As in the admin API, a line that is no URI at all is refused before the redirect rules run.
    const notUri = await ua.submit(form, '/clients', { client_name: 'Broken', kind: 'web', reason: 'Trying', redirect_uris: 'https://ok.example/cb\nnot a uri' });
    expect(notUri.status).toBe(400);
    expect(notUri.body).toContain('Line 2: this is not a complete URI');
    const empty = await ua.submit(form, '/clients', { client_name: 'Empty', kind: 'kiosk', reason: 'Trying', redirect_uris: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter at least one redirect URI.');
    expect((await fx.server.container.storage.clients.list({ limit: 1000 })).length).toBe(before);
  });

  test('a mobile app gets no secret and may use its own scheme', async () => {
    const form = await ua.follow(`/console/partners/${partnerId}/clients/new`);
    const created = await ua.submit(form, '/clients', { client_name: 'Café Sol app', kind: 'native', redirect_uris: 'com.cafesol.app:/callback', reason: 'App launch' });
    expect(created.status).toBe(200);
    expect(secretOn(created)).toBeUndefined();
    const stored = await fx.server.container.storage.clients.find(clientIdOn(created)!);
    expect(stored?.metadata).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none' });
    expect(stored?.metadata.client_secret).toBeUndefined();
    expect((await ua.follow(`/console/clients/${stored!.clientId}`)).body).not.toContain('/secret"');
  });

  test('editing a client keeps what the form does not show; a stale form is refused; a rotated secret is shown once and replaces the old one', async () => {
    const form = await ua.follow(`/console/partners/${partnerId}/clients/new`);
    const created = await ua.submit(form, '/clients', { client_name: 'Kiosk', kind: 'kiosk', redirect_uris: 'https://kiosk.example/cb', reason: 'Store 12' });
    const clientId = clientIdOn(created)!;
    const firstSecret = secretOn(created)!;
    const page = await ua.follow(`/console/clients/${clientId}`);
    const saved = await ua.submit(page, `/console/clients/${clientId}`, { client_name: 'Kiosk, store 12', redirect_uris: 'https://kiosk.example/cb\nhttps://kiosk.example/cb2', reason: 'Second screen' });
    expect(saved.url).toContain('notice=client_changed');
    const { storage } = fx.server.container;
    expect((await storage.clients.find(clientId))?.metadata).toMatchObject({
      client_name: 'Kiosk, store 12', redirect_uris: ['https://kiosk.example/cb', 'https://kiosk.example/cb2'], enrolment_channel: 'kiosk', client_secret: firstSecret,
    });
    // The first page's form is stale now: refused, nothing changed.
    const stale = await ua.submit(page, `/console/clients/${clientId}`, { client_name: 'Old tab', redirect_uris: 'https://kiosk.example/cb', reason: 'Old tab' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('role="alert"');
    expect((await storage.clients.find(clientId))?.metadata.client_name).toBe('Kiosk, store 12');
    const badEdit = await ua.submit(saved, `/console/clients/${clientId}`, { client_name: 'Kiosk, store 12', redirect_uris: 'http://kiosk.example/cb', reason: 'Typo' });
    expect(badEdit.status).toBe(400);
    expect(badEdit.body).toContain('Line 1: use https');

    const rotated = await ua.submit(saved, '/secret', { reason: 'Secret leaked in a ticket' });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const secondSecret = secretOn(rotated)!;
    expect(secondSecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(secondSecret).not.toBe(firstSecret);
    expect((await storage.clients.find(clientId))?.metadata.client_secret).toBe(secondSecret);
    expect((await ua.follow(`/console/clients/${clientId}`)).body).not.toContain(secondSecret);
    expect((await adminActions('console:client_secret_rotate')).find((event) => event.details.client_id === clientId)?.details)
      .toMatchObject({ actor: `staff:${manager.accountId}`, staff_reason: 'Secret leaked in a ticket' });
  });

  test('a POST without the session\'s CSRF token is refused and creates nothing', async () => {
    const before = await countPartners();
    for (const csrf of ['', 'forged']) {
      const result = await ua.follow('/console/partners', { form: { csrf, name: 'Forged', reason: 'No token here' } });
      expect(result.status).toBe(403);
    }
    const clientPage = await ua.follow(`/console/partners/${partnerId}`);
    const clientId = clientIdOn(clientPage)!;
    const secretBefore = (await fx.server.container.storage.clients.find(clientId))?.metadata.client_secret;
    expect((await ua.follow(`/console/clients/${clientId}/secret`, { form: { csrf: 'forged', reason: 'No token here' } })).status).toBe(403);
    expect((await fx.server.container.storage.clients.find(clientId))?.metadata.client_secret).toBe(secretBefore);
    expect(await countPartners()).toBe(before);
  });

  test('a viewer reads partners and clients but every change is refused, even with a forged form', async () => {
    const viewer = await staffWithApp(fx, ['viewer'], 'partner-viewer');
    const { ua: viewerUa } = await consoleSignIn(fx, viewer);
    const partnerPage = await viewerUa.follow(`/console/partners/${partnerId}`);
    expect(partnerPage.status).toBe(200);
    expect(partnerPage.body).not.toContain('/clients/new"');
    expect(partnerPage.body).not.toContain(`action="/console/partners/${partnerId}"`);
    const clientId = clientIdOn(partnerPage)!;
    const clientPage = await viewerUa.follow(`/console/clients/${clientId}`);
    expect(clientPage.status).toBe(200);
    expect(clientPage.body).not.toContain('/secret"');
    const csrf = csrfOf(clientPage);
    const before = await countPartners();
    const secretBefore = (await fx.server.container.storage.clients.find(clientId))?.metadata.client_secret;
    const forged = [
      await viewerUa.follow('/console/partners', { form: { csrf, name: 'Viewer partner', reason: 'Not mine to do' } }),
      await viewerUa.follow(`/console/partners/${partnerId}`, { form: { csrf, name: 'Renamed by viewer', reason: 'Not mine to do' } }),
      await viewerUa.follow(`/console/partners/${partnerId}/clients`, { form: { csrf, client_name: 'X', kind: 'web', redirect_uris: 'https://x.example/cb', reason: 'Not mine to do' } }),
      await viewerUa.follow(`/console/clients/${clientId}`, { form: { csrf, client_name: 'X', redirect_uris: 'https://x.example/cb', reason: 'Not mine to do', version: '0' } }),
      await viewerUa.follow(`/console/clients/${clientId}/secret`, { form: { csrf, reason: 'Not mine to do' } }),
    ];
    expect(forged.map((page) => page.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await viewerUa.follow('/console/partners/new')).status).toBe(403);
    expect(await countPartners()).toBe(before);
    expect((await fx.server.container.storage.partners.find(partnerId))?.name).toBe('Café Sol Rewards');
    expect((await fx.server.container.storage.clients.find(clientId))?.metadata.client_secret).toBe(secretBefore);
  });

  test('every route × every role: allowed (answered) or 403, from the one permissions matrix', async () => {
    const partnerPage = await ua.follow(`/console/partners/${partnerId}`);
    const clientId = clientIdOn(partnerPage)!;
    const routes: { method: 'GET' | 'POST'; path: string; action: StaffAction }[] = [
      { method: 'GET', path: '/console/partners', action: 'partners:read' },
      { method: 'GET', path: '/console/partners/new', action: 'partners:write' },
      { method: 'POST', path: '/console/partners', action: 'partners:write' },
      { method: 'GET', path: `/console/partners/${partnerId}`, action: 'partners:read' },
      { method: 'POST', path: `/console/partners/${partnerId}`, action: 'partners:write' },
      { method: 'GET', path: `/console/partners/${partnerId}/clients/new`, action: 'clients:write' },
      { method: 'POST', path: `/console/partners/${partnerId}/clients`, action: 'clients:write' },
      { method: 'GET', path: `/console/clients/${clientId}`, action: 'clients:read' },
      { method: 'POST', path: `/console/clients/${clientId}`, action: 'clients:write' },
      { method: 'POST', path: `/console/clients/${clientId}/secret`, action: 'clients:write' },
    ];
    const before = await countPartners();
    for (const role of STAFF_ROLES) {
      const { ua: staffUa } = await consoleSignIn(fx, await staffWithApp(fx, [role], `matrix-${role}`));
      const start = await staffUa.follow('/console');
      const csrf = csrfOf(start);
      // The partners are offered (a link on the search, or where a partner manager's console opens) only to those who may read them.
      const offered = start.url.endsWith('/console/partners') || start.body.includes('href="/console/partners"');
      expect([role, offered]).toEqual([role, mayDo([role], 'partners:read')]);
      for (const route of routes) {
        // An allowed POST gets an empty form: refused as incomplete (400), so the matrix changes nothing.
        const page = await staffUa.follow(route.path, route.method === 'POST' ? { form: { csrf, reason: '' } } : {});
        const allowed = mayDo([role], route.action);
        expect([role, route.method, route.path, allowed ? page.status !== 403 && page.status < 500 : page.status]).toEqual([role, route.method, route.path, allowed ? true : 403]);
      }
    }
    expect(await countPartners()).toBe(before);
  });

  test('the program\'s own clients are not reachable as partner clients', async () => {
    expect((await ua.follow(`/console/clients/${fx.client.clientId}`)).status).toBe(404);
    expect((await ua.follow(`/console/partners/${randomUUID()}`)).status).toBe(404);
  });
});
