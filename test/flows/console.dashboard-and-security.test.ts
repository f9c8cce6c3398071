// The console's dashboard and security page (issue 20 items 4 and 5) over HTTP, as staff use them: the dashboard's
// figures equal the analytics rollups after real sign-ups and sign-ins; its charts are named SVG with a table each;
// the security page lists a block in force, a stuffing alert and the SMS budget spent after real attacks and a real
// text; the audit log's filters (address, country, days) narrow it; only security and owner roles get in.
import { GEO_IPS } from '../support/geo-ips.ts';
import { attempt, browserFrom, uniqueEmail } from '../support/attack.ts';
import { confirmedMember, signedInMember } from '../support/account.ts';
import { submitPhoneOnAccount, uniquePhone } from '../support/phone.ts';
import { consoleSignIn, staffWithApp } from '../support/staff.ts';
import { UserAgent } from '../support/member.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const ENV = { TRUST_PROXY: 'true', SIGN_IN_PAIR_FAILURES: '3', STUFFING_ACCOUNTS_PER_IP: '3' };
const DAY_MS = 24 * 60 * 60 * 1000;

interface SeriesPoint { value: number; [dimension: string]: string | number }

/** data-total of each chart section on the dashboard. */
function totals(page: Page): Record<string, number> {
  return Object.fromEntries([...page.body.matchAll(/data-chart="(\w+)" data-total="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]));
}

function attributeValues(page: Page, name: string): string[] {
  return [...page.body.matchAll(new RegExp(`${name}="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

describe.each(STORES)('console dashboard and security page (%s)', (store) => {
  const fx = useMemberServer(store, ENV);
  let viewer: UserAgent;
  let analyst: UserAgent;

  beforeAll(async () => {
    viewer = (await consoleSignIn(fx, await staffWithApp(fx, ['viewer'], 'viewer'))).ua;
    analyst = (await consoleSignIn(fx, await staffWithApp(fx, ['security'], 'analyst'))).ua;
  });

  const catchUp = () => fx.server.container.analytics!.catchUp();

  async function dashboard(ua: UserAgent, query = 'days=7'): Promise<Page> {
    await catchUp();
    const page = await ua.follow(`/console/dashboard?${query}`);
    expect(page.status).toBe(200);
    return page;
  }

  /** The sum of a metric over the dashboard's 7 UTC days, as the admin API answers it from the same rollups. */
  async function rollupSum(metric: string, match: Record<string, string> = {}): Promise<number> {
    const to = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
    const from = new Date(to.getTime() - 7 * DAY_MS);
    const response = await fetch(`${fx.server.url}/admin/analytics?metric=${metric}&from=${from.toISOString()}&to=${to.toISOString()}`, {
      headers: { authorization: `Bearer ${await fx.server.adminToken()}` },
    });
    expect(response.status).toBe(200);
    const { series } = (await response.json()) as { series: SeriesPoint[] };
    return series.filter((point) => Object.entries(match).every(([key, value]) => point[key] === value)).reduce((sum, point) => sum + point.value, 0);
  }

  test('the dashboard\'s figures are the rollups\' after a real sign-up and sign-ins', async () => {
    const before = totals(await dashboard(viewer));
    const member = await signedInMember(fx, 'dashboard');
    // A wrong password for the new member: a failed sign-in, not on the sign-ins chart (succeeded only).
    await attempt(fx, browserFrom(fx, '198.51.100.23'), member.email, 'not the password');
    const page = await dashboard(viewer);
    const after = totals(page);
    expect(after.signups).toBe(before.signups! + 1);
    expect(after.signins).toBeGreaterThan(before.signins!);
    expect(after).toEqual({
      signups: await rollupSum('signups'),
      signins: await rollupSum('signins', { outcome: 'succeeded' }),
      factors: await rollupSum('factors'),
      points: await rollupSum('points'),
      blocks: await rollupSum('security_blocks'),
    });
    // Today's row of the sign-ups table counts the member under the website channel.
    const signups = /data-chart="signups"[\s\S]*?<\/section>/.exec(page.body)![0];
    expect(signups).toContain('<th scope="col">Website</th>');
    const today = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date());
    expect(signups).toMatch(new RegExp(`<tr><th scope="row">${today}</th><td>[1-9]`));
  });

  test('adoption counts the members who hold an authenticator app, as a share of all members', async () => {
    const adoption = (page: Page) => ({
      members: Number(/data-adoption-members="(\d+)"/.exec(page.body)![1]),
      app: /<tr data-adoption="totp"><th scope="row">Authenticator app<\/th><td>([\d,]+)<\/td><td>([\d.]+%)<\/td><\/tr>/.exec(page.body),
    });
    const before = adoption(await dashboard(viewer));
    expect(before.app).not.toBeNull();
    await staffWithApp(fx, [], 'adopter');
    await signedInMember(fx, 'no-app');
    const after = adoption(await dashboard(viewer));
    expect(after.members).toBe(before.members + 2);
    const apps = Number(after.app![1]!.replace(/,/g, ''));
    expect(apps).toBe(Number(before.app![1]!.replace(/,/g, '')) + 1);
    expect(after.app![2]).toBe(new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 }).format(apps / after.members));
  });

  test('each chart is server-drawn SVG named by its title, followed by its numbers; 7, 30 or 90 days', async () => {
    const page = await dashboard(viewer, 'days=90');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|\sstyle="|<style/);
    expect(page.body).toMatch(/<svg [^>]*role="img" aria-label="Sign-ups per day, by channel"/);
    expect(page.body).toContain('<title>Sign-ups per day, by channel</title>');
    // The factor chart has data (the staff members' apps): a bar chart with its table in a disclosure.
    const factors = /data-chart="factors"[\s\S]*?<\/section>/.exec(page.body)![0];
    expect(factors).toMatch(/<details class="chart-numbers">[\s\S]*<table class="data-table"><caption>/);
    expect(factors).toContain('<th scope="row">Authenticator app</th>');
    const signups = /data-chart="signups"[\s\S]*?<\/section>/.exec(page.body)![0];
    expect(/<tbody>[\s\S]*<\/tbody>/.exec(signups)![0].match(/<tr><th scope="row">/g)).toHaveLength(90);
    expect(page.body).toMatch(/href="\/console\/dashboard\?days=90" aria-current="page"/);
    // Anything else is the 30-day default; numbers and labels follow the page language.
    expect((await dashboard(viewer, 'days=365')).body).toMatch(/href="\/console\/dashboard\?days=30" aria-current="page"/);
    const polish = await viewer.clone({ 'accept-language': 'pl' }).follow('/console/dashboard?days=7');
    expect(polish.body).toContain('Rejestracje dziennie, według kanału');
  });

  test('only security and owner roles open the security page and the audit log; every role reads the dashboard', async () => {
    expect((await viewer.follow('/console/security')).status).toBe(403);
    expect((await viewer.follow('/console/audit')).status).toBe(403);
    expect((await analyst.follow('/console/security')).status).toBe(200);
    expect((await analyst.follow('/console/audit')).status).toBe(200);
    expect((await analyst.follow('/console/dashboard')).status).toBe(200);
    // The start page links to what each may open.
    const start = await analyst.follow('/console');
    for (const path of ['/console/security', '/console/audit', '/console/dashboard']) expect(start.body).toContain(`href="${path}"`);
    expect((await viewer.follow('/console')).body).not.toContain('href="/console/security"');
    // Without a console session: the sign-in, never the figures.
    const stranger = await new UserAgent(fx.server.url).follow('/console/dashboard');
    expect(stranger.url).not.toContain('/console/dashboard');
    expect(stranger.body).not.toContain('data-chart=');
  });

  test('the audit log narrows by address, country and days, alone and with the type', async () => {
    const { audit } = fx.server.container;
    // Two real failures from two countries, and two recorded earlier in the year from one address.
    await attempt(fx, browserFrom(fx, GEO_IPS.BR), uniqueEmail('nobody-br'), 'leaked password');
    await attempt(fx, browserFrom(fx, GEO_IPS.FR), uniqueEmail('nobody-fr'), 'leaked password');
    const old = '198.51.100.77';
    await audit.record({ type: 'sign_in.failure', ip: old, country: 'PL', reason: 'unknown_account', at: new Date('2026-01-10T12:00:00Z') });
    await audit.record({ type: 'sign_in.blocked', ip: old, country: 'PL', reason: 'address', at: new Date('2026-01-20T12:00:00Z') });

    const byIp = await analyst.follow(`/console/audit?ip=${GEO_IPS.BR}`);
    expect(attributeValues(byIp, 'data-audit-type').length).toBeGreaterThan(0);
    expect(new Set(attributeValues(byIp, 'data-ip'))).toEqual(new Set([GEO_IPS.BR]));
    const byCountry = await analyst.follow('/console/audit?country=fr');
    expect(new Set(attributeValues(byCountry, 'data-country'))).toEqual(new Set(['FR']));
    expect(byCountry.body).toContain('value="FR"');

    const january = await analyst.follow(`/console/audit?ip=${old}&from=2026-01-01&to=2026-01-10`);
    expect(attributeValues(january, 'data-audit-type')).toEqual(['sign_in.failure']);
    const later = await analyst.follow(`/console/audit?ip=${old}&from=2026-01-11&to=2026-01-31`);
    expect(attributeValues(later, 'data-audit-type')).toEqual(['sign_in.blocked']);
    const both = await analyst.follow(`/console/audit?ip=${old}&from=2026-01-01&to=2026-01-31&country=PL`);
    expect(attributeValues(both, 'data-audit-type')).toEqual(['sign_in.blocked', 'sign_in.failure']);
    expect(attributeValues(await analyst.follow(`/console/audit?ip=${old}&type=sign_in.failure`), 'data-audit-type')).toEqual(['sign_in.failure']);
    expect(attributeValues(await analyst.follow(`/console/audit?ip=${old}&country=BR`), 'data-audit-type')).toEqual([]);
  });

  test.each([
    ['an address that is none', 'ip=999.1.1.1', 'ip-error'],
    ['a country of three letters', 'country=BRA', 'country-error'],
    ['a day that does not exist', 'from=2026-02-30', 'from-error'],
    ['an end before the start', 'from=2026-03-02&to=2026-03-01', 'to-error'],
  ])('the audit log refuses %s with a clear message and lists nothing', async (_name, query, errorId) => {
    const page = await analyst.follow(`/console/audit?${query}`);
    expect(page.status).toBe(400);
    expect(page.body).toContain(`id="${errorId}"`);
    expect(attributeValues(page, 'data-audit-type')).toEqual([]);
  });

  test('the security page shows a block in force, a stuffing alert, the SMS budget spent and the settings', async () => {
    const member = await confirmedMember(fx, 'targeted');
    const smsBefore = Number(attributeValues(await analyst.follow('/console/security'), 'data-sms-used')[0]);
    // Brute force: three wrong passwords for one email from one address block that pair.
    const bruteForce = '203.0.113.70';
    for (let i = 0; i < 3; i += 1) await attempt(fx, browserFrom(fx, bruteForce), member.email, `guess ${i}`);
    // Stuffing from one address: three different emails fail there.
    const stuffer = '203.0.113.80';
    for (let i = 0; i < 3; i += 1) await attempt(fx, browserFrom(fx, stuffer), uniqueEmail('leak'), 'leaked password');
    // A real text: the member adds a mobile number (the code goes out through the SMS guard).
    expect((await submitPhoneOnAccount(member.ua, uniquePhone())).url).toContain('/account/phone/verify');

    const page = await analyst.follow('/console/security');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(new RegExp(`data-block="pair" data-ip="${bruteForce.replace(/\./g, '\\.')}" data-account="${member.accountId}"`));
    // The analyst may read members: the block links to the member's page, where support acts.
    expect(page.body).toContain(`href="/console/members/${member.accountId}"`);
    expect(attributeValues(page, 'data-alert')).toContain('address');
    expect(attributeValues(page, 'data-flagged-ip')).toEqual([stuffer]);
    expect(attributeValues(page, 'data-burst')).toEqual(['inactive']);
    expect(Number(attributeValues(page, 'data-sms-used')[0])).toBe(smsBefore + 1);
    expect(attributeValues(page, 'data-sms-budget')).toEqual(['1000']);
    expect(page.body).toMatch(/data-setting="SIGN_IN_PAIR_FAILURES">\s*<dt>[^<]*<code>SIGN_IN_PAIR_FAILURES<\/code><\/dt>\s*<dd>3<\/dd>/);
  });
});
