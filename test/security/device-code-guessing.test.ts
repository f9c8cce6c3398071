// Threat: guessing device user codes on the hosted /device page (a live code signs the guesser's TV or kiosk
// in as whoever confirms it next). Guesses are limited per client address and per browser session, answered
// 429 with Retry-After; and a post without the page's session is a 400 page, never a 500.
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { UserAgent } from '../support/member.ts';
import { findForm, type Page } from '../support/user-agent.ts';

/** One guess on the device form of `page` (the browser keeps its session cookie). */
async function guess(ua: UserAgent, page: Page, code: string): Promise<Page> {
  const form = findForm(page.body, '/device');
  return ua.request(new URL(form.action, page.url).href, { form: { ...form.hidden, user_code: code } });
}

function randomCode(i: number): string {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const pick = (n: number) => letters[n % letters.length]!;
  return `${pick(i)}${pick(i * 7 + 3)}${pick(i * 13 + 5)}${pick(i * 3 + 1)}-${pick(i * 11)}${pick(i * 5 + 2)}${pick(i * 17 + 9)}${pick(i + 4)}`;
}

describe.each(STORES)('device user code guessing (%s)', (store) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store, env: { TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('one browser session gets 10 tries in 15 minutes, then 429 with Retry-After', async () => {
    const ua = new UserAgent(server.url, { 'x-forwarded-for': '198.51.100.10' });
    let page = await ua.follow('/device');
    expect(page.status).toBe(200);
    for (let i = 0; i < 10; i += 1) {
      // Each answer is the form again, with the session's next form token.
      page = await guess(ua, page, randomCode(i));
      // Refused on the form itself ("not valid"), as before the limit.
      expect(page.status).toBe(200);
      expect(page.body).toContain('role="alert"');
    }
    const refused = await guess(ua, page, randomCode(10));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many device codes were tried');
  });

  test('a fresh session per guess does not help: one address gets 30 tries in 15 minutes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i += 1) {
      const ua = new UserAgent(server.url, { 'x-forwarded-for': '198.51.100.11' });
      statuses.push((await guess(ua, await ua.follow('/device'), randomCode(100 + i))).status);
    }
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    // Another address is not affected.
    const other = new UserAgent(server.url, { 'x-forwarded-for': '198.51.100.12' });
    expect((await guess(other, await other.follow('/device'), randomCode(200))).status).toBe(200);
  });

  test('a post without the page\'s session cookie is a 400 page, not a server error', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${server.url}/device`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '198.51.100.13' },
        body: new URLSearchParams({ xsrf: 'x', user_code: 'BCDF-GHJK' }).toString(),
      });
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain('This page has expired');
      expect(body).not.toMatch(/stack|Error:/);
    }
  });

  test('a post whose session cookie names no stored session (signed out, ended, expired, forged) is a 400 page too', async () => {
    // A browser that kept the cookie of a session ended meanwhile: oidc-provider cannot persist the stand-in
    // session it makes for it and answered 500.
    const ua = new UserAgent(server.url, { 'x-forwarded-for': '198.51.100.14' });
    const page = await ua.follow('/device');
    const form = findForm(page.body, '/device');
    for (const cookie of ['_session=ended-session-id', '_session=ended-session-id; _session.sig=forged']) {
      const response = await fetch(new URL(form.action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '198.51.100.14', cookie },
        body: new URLSearchParams({ ...form.hidden, user_code: 'BCDF-GHJK' }).toString(),
      });
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain('This page has expired');
      expect(body).not.toMatch(/stack|Error:/);
    }
  });

  test('the device resume URL (/device/:uid) without a live session is a 400 page, not a server error', async () => {
    for (const cookie of [undefined, '_session=ended-session-id']) {
      const response = await fetch(`${server.url}/device/some-interaction`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain('This page has expired');
      expect(body).not.toMatch(/stack|Error:/);
    }
  });
});
