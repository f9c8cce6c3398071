// The operator console (issue 20) over HTTP, as staff use it: sign in with password + authenticator app, find a
// member, adjust points with a reason; a large adjustment approved by a second person; refusals for members
// without roles or without an app; CSRF, role checks, stale forms, below-zero, and the session's idle and absolute ends.
import { consoleClock } from '../../interactions/console/console-clock.ts';
import { consoleSignIn, staffAccount, staffWithApp, type StaffPerson } from '../support/staff.ts';
import { openLoginPage, stepUpWithEmailCode, UserAgent } from '../support/member.ts';
import { signedInMember } from '../support/account.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const balanceOn = (page: Page) => Number(/data-balance="(\d+)"/.exec(page.body)?.[1] ?? NaN);

describe.each(STORES)('operator console (%s)', (store) => {
  const fx = useMemberServer(store);
  let agent: StaffPerson;
  let second: StaffPerson;
  let agentUa: UserAgent;
  let memberId = '';
  let memberEmail = '';

  beforeAll(async () => {
    agent = await staffWithApp(fx, ['support'], 'agent');
    second = await staffWithApp(fx, ['support'], 'second');
    const member = await staffAccount(fx.server, [], 'member');
    memberId = member.accountId;
    memberEmail = member.email;
    const signedIn = await consoleSignIn(fx, agent);
    expect(signedIn.page.status).toBe(200);
    agentUa = signedIn.ua;
  });
  afterEach(() => {
    consoleClock.now = () => Date.now();
  });

  async function memberPage(ua: UserAgent): Promise<Page> {
    const page = await ua.follow(`/console/members/${memberId}`);
    expect(page.status).toBe(200);
    return page;
  }

  test('staff sign in with password and app, find a member by email and adjust points with a reason', async () => {
    const start = await agentUa.follow('/console');
    expect(start.url).toMatch(/\/console$/);
    // Built like the hosted pages: strict CSP, no inline script or style, never cached.
    const csp = start.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(start.headers.get('cache-control')).toBe('no-store');
    expect(start.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(start.body).not.toMatch(/\sstyle="/);
    expect(start.body).toContain('name="q"');
    const results = await agentUa.follow(`/console?q=${encodeURIComponent(memberEmail.toUpperCase())}`);
    expect(results.body).toContain(`/console/members/${memberId}`);
    const page = await memberPage(agentUa);
    const done = await agentUa.submit(page, '/points', { points: '50', reason: 'Goodwill: parcel lost' });
    expect(done.status).toBe(200);
    expect(done.url).toContain('notice=applied');
    expect(balanceOn(done)).toBe(balanceOn(page) + 50);
    expect(done.body).toContain('Goodwill: parcel lost');
    const { events } = await fx.server.container.audit.list({ accountId: memberId, limit: 10 });
    expect(events.find((event) => event.type === 'points.adjusted')?.details).toMatchObject({ actor: `staff:${agent.accountId}`, staff_reason: 'Goodwill: parcel lost', points: 50 });
  });

  test('the sign-in page names the console in the page language', async () => {
    const login = await new UserAgent(fx.server.url, { 'accept-language': 'pl' }).follow('/console/sign-in');
    expect(login.body).toContain('name="password"');
    expect(login.body).toContain('Konsola operatora');
    expect(login.body).not.toContain('Operator console');
  });

  test('a double submit of one form applies once', async () => {
    const page = await memberPage(agentUa);
    const first = await agentUa.submit(page, '/points', { points: '7', reason: 'Double click' });
    const again = await agentUa.submit(page, '/points', { points: '7', reason: 'Double click' });
    expect(balanceOn(first)).toBe(balanceOn(page) + 7);
    expect(balanceOn(again)).toBe(balanceOn(page) + 7);
  });

  test('above the limit a second person approves; the requester cannot', async () => {
    const page = await memberPage(agentUa);
    const asked = await agentUa.submit(page, '/points', { points: '5000', reason: 'Flight credit, case 42' });
    expect(asked.url).toContain('notice=pending');
    expect(balanceOn(asked)).toBe(balanceOn(page));
    expect(asked.body).not.toContain('/approve"');
    const adjustmentId = /data-adjustment="([^"]+)"/.exec(asked.body)![1]!;
    // A forged approve by the requester is refused on the server, whatever the page offered.
    const csrf = /name="csrf" value="([^"]+)"/.exec(asked.body)![1]!;
    const forged = await agentUa.follow(`/console/members/${memberId}/adjustments/${adjustmentId}/approve`, { form: { csrf } });
    expect(forged.status).toBe(403);
    expect(balanceOn(forged)).toBe(balanceOn(page));

    const { ua } = await consoleSignIn(fx, second);
    const secondPage = await memberPage(ua);
    const approved = await ua.submit(secondPage, `/adjustments/${adjustmentId}/approve`);
    expect(approved.url).toContain('notice=approved');
    expect(balanceOn(approved)).toBe(balanceOn(page) + 5000);
    const twice = await ua.submit(secondPage, `/adjustments/${adjustmentId}/approve`);
    expect(twice.status).toBe(409);
  });

  test('a stale form is refused and changes nothing', async () => {
    const page = await memberPage(agentUa);
    await fx.server.container.storage.loyalty.post({ accountId: memberId, kind: 'adjust', points: 1, partnerId: null, reason: 'meanwhile', idempotencyKey: `meanwhile-${store}`, requestHash: 'x' });
    const stale = await agentUa.submit(page, '/points', { points: '10', reason: 'Same fix' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('role="alert"');
    expect(balanceOn(stale)).toBe(balanceOn(page) + 1);
  });

  test('an adjustment below zero is refused with a clear message, nothing changed', async () => {
    const page = await memberPage(agentUa);
    const refused = await agentUa.submit(page, '/points', { points: String(-(balanceOn(page) + 1)), reason: 'Clawback' });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('id="points-error"');
    expect(balanceOn(refused)).toBe(balanceOn(page));
  });

  test('a POST without the session\'s CSRF token is refused', async () => {
    const page = await memberPage(agentUa);
    for (const csrf of ['', 'forged']) {
      const result = await agentUa.follow(`/console/members/${memberId}/points`, { form: { csrf, points: '5', reason: 'No token', version: '0', key: 'k'.repeat(24) } });
      expect(result.status).toBe(403);
    }
    expect(balanceOn(await memberPage(agentUa))).toBe(balanceOn(page));
  });

  test('a viewer reads but cannot adjust, even with a forged form', async () => {
    const viewer = await staffWithApp(fx, ['viewer'], 'viewer');
    const { ua } = await consoleSignIn(fx, viewer);
    const page = await memberPage(ua);
    expect(page.body).not.toContain('/points"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const forged = await ua.follow(`/console/members/${memberId}/points`, { form: { csrf, points: '5', reason: 'Not mine to give', version: '0', key: 'v'.repeat(24) } });
    expect(forged.status).toBe(403);
  });

  test('members without a staff role, or without an app, get a plain refusal page', async () => {
    const plain = await staffWithApp(fx, [], 'plain');
    const refused = await consoleSignIn(fx, plain);
    expect(refused.page.status).toBe(403);
    expect(refused.page.body).toContain('/console/sign-in');
    expect((await refused.ua.follow('/console')).url).not.toMatch(/\/console$/);

    const emailOnly = await signedInMember(fx, 'email-only');
    await fx.server.container.storage.staff.setRoles(emailOnly.accountId, ['owner']);
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, '/console/sign-in');
    const mfa = await ua.submit(login, '/login', { email: emailOnly.email, password: 'correct horse battery staple' });
    const done = await stepUpWithEmailCode(ua, mfa, fx.sink, emailOnly.email);
    expect(done.status).toBe(403);
    expect(done.url).toContain('/console/callback');
  });

  test('support ends a member\'s sessions and resends the verification email, each with a reason that is audited', async () => {
    const member = await signedInMember(fx, 'signed-in');
    const page = await agentUa.follow(`/console/members/${member.accountId}`);
    expect(page.body).toContain('data-session');
    expect((await agentUa.submit(page, '/sessions/end', { reason: '' })).status).toBe(400);
    const ended = await agentUa.submit(page, '/sessions/end', { reason: 'Member reported a lost phone' });
    expect(ended.url).toContain('notice=sessions_ended');
    expect(ended.body).not.toContain('data-session');
    expect((await member.ua.follow('/account/security')).url).toContain('/interaction/');
    const { events } = await fx.server.container.audit.list({ accountId: member.accountId, limit: 20 });
    expect(events.find((event) => event.reason === 'console:end_sessions')?.details).toMatchObject({ actor: `staff:${agent.accountId}`, staff_reason: 'Member reported a lost phone' });

    const { storage } = fx.server.container;
    const unverified = await storage.accounts.create({ email: `unverified.${Date.now()}@example.com`, emailVerified: false, passwordHash: null });
    const before = fx.sink.countFor(unverified.email!);
    const resend = await agentUa.submit(await agentUa.follow(`/console/members/${unverified.id}`), '/verification/resend', { reason: 'Member never got the code' });
    expect(resend.url).toContain('notice=verification_sent');
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(unverified.email!)).toBe(before + 1);
  });

  test('security reads the audit log filtered by member and type; support may not', async () => {
    const analyst = await staffWithApp(fx, ['security'], 'analyst');
    const { ua } = await consoleSignIn(fx, analyst);
    const log = await ua.follow(`/console/audit?member=${encodeURIComponent(memberEmail)}&type=points.adjusted`);
    expect(log.status).toBe(200);
    const types = [...log.body.matchAll(/data-audit-type="([^"]+)"/g)].map((match) => match[1]);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['points.adjusted']));
    expect(log.body).toContain(`staff:${agent.accountId}`);
    const unknown = await ua.follow('/console/audit?member=nobody%40example.com');
    expect(unknown.body).toContain('id="member-error"');
    expect((await agentUa.follow('/console/audit')).status).toBe(403);
  });

  test('the session ends after 30 idle minutes', async () => {
    // Someone whose app has no spent time step yet (each step is accepted once, and only after the last one used).
    const { ua, page } = await consoleSignIn(fx, await staffWithApp(fx, ['viewer'], 'idle'));
    expect([page.status, page.url]).toEqual([200, expect.stringMatching(/\/console$/)]);
    const later = Date.now() + 31 * 60 * 1000;
    consoleClock.now = () => later;
    const expired = await ua.follow('/console');
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('/console/sign-in');
    // The cookie is gone: going back in means signing in again.
    consoleClock.now = () => Date.now();
    expect((await ua.follow('/console')).url).toContain('/interaction/');
  });

  test('the session ends 12 hours after the sign-in, however active', async () => {
    const step = 20 * 60 * 1000;
    const start = Date.now();
    let offset = 0;
    let status = 200;
    while (status === 200 && offset <= 13 * 3600 * 1000) {
      offset += step;
      const at = start + offset;
      consoleClock.now = () => at;
      status = (await agentUa.follow('/console')).status;
    }
    expect(status).toBe(401);
    expect(offset).toBeGreaterThan(12 * 3600 * 1000 - step);
    expect(offset).toBeLessThanOrEqual(12 * 3600 * 1000 + step);
  });
});
