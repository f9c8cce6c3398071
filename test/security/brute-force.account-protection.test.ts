// Threat: a distributed guessing campaign against one account (many addresses, so no pair trips). Past the
// hourly limit the account needs extra proof on unrecognised devices — the bot challenge and then an
// emailed unlock link — but never a hard lockout: the owner's own devices sign in as usual.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, hasChallenge, loginPage, member, PASSWORD, passwordAccepted, solve } from '../support/attack.ts';

const WRONG = 'a wrong guess of the password';
const LIMIT = 10;

describe.each(STORES)('distributed guessing against one account (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SIGN_IN_ACCOUNT_FAILURES_PER_HOUR: String(LIMIT) });

  async function campaign(email: string, prefix: string) {
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt(fx, browserFrom(fx, `${prefix}.${i + 1}`), email, WRONG)).status).toBe(400);
  }

  test('an unrecognised device gets the bot challenge, then an unlock link instead of a password check', async () => {
    const { email } = await member(fx, 'target');
    await campaign(email, '198.51.100');
    const stranger = browserFrom(fx, '192.0.2.50');
    const challenged = await attempt(fx, stranger, email, PASSWORD);
    expect(challenged.status).toBe(403);
    expect(hasChallenge(challenged)).toBe(true);
    // The owner's "sign-ins were blocked" notice goes out after the answer: count from after it.
    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(email);
    const solved = await stranger.submit(challenged, '/login', { email, password: PASSWORD, ...solve(challenged) });
    expect(solved.status).toBe(403);
    expect(solved.body).toContain('we sent it a link');
    const mail = await fx.sink.waitForMessage(email, { after: before });
    const link = /https?:\/\/\S+\/unlock\/\S+/.exec(mail.text)?.[0];
    expect(link).toBeDefined();

    // Opening the link changes nothing until the button is pressed (mail scanners follow links).
    const confirm = await stranger.request(new URL(link!).pathname);
    expect(confirm.status).toBe(200);
    expect(passwordAccepted(await attempt(fx, stranger, email, PASSWORD))).toBe(false);
    const done = await stranger.submit(confirm, '/unlock/');
    expect(done.status).toBe(200);
    expect(done.body).toContain('This device is unlocked');
    expect(passwordAccepted(await attempt(fx, stranger, email, PASSWORD))).toBe(true);

    // Used once: the same link does nothing a second time.
    const again = await browserFrom(fx, '192.0.2.51').request(new URL(link!).pathname);
    const reused = await browserFrom(fx, '192.0.2.51').submit(again, '/unlock/');
    expect(reused.status).toBe(400);
  });

  test('the owner\'s known device is never challenged', async () => {
    const { email, ua } = await member(fx, 'owner');
    await campaign(email, '198.51.101');
    const page = await attempt(fx, ua, email, PASSWORD);
    expect(passwordAccepted(page)).toBe(true);
  });

  test('an unknown email under the same campaign gets the same pages, and no email goes anywhere', async () => {
    const email = 'nobody.at.all@example.com';
    await campaign(email, '198.51.102');
    const stranger = browserFrom(fx, '192.0.2.52');
    const challenged = await attempt(fx, stranger, email, PASSWORD);
    expect(challenged.status).toBe(403);
    const solved = await stranger.submit(challenged, '/login', { email, password: PASSWORD, ...solve(challenged) });
    expect(solved.body).toContain('we sent it a link');
    expect(fx.sink.countFor(email)).toBe(0);
  });

  test('a forged, altered or garbled unlock link shows one "does not work" page', async () => {
    const ua = browserFrom(fx, '192.0.2.53');
    for (const token of ['x', 'a.b', `${'A'.repeat(40)}.${'B'.repeat(43)}`, 'x'.repeat(5000)]) {
      const page = await ua.request(`/unlock/${token}`);
      expect(page.status).toBe(404);
      expect(page.body).toContain('This link does not work');
    }
    // A POST without the page's CSRF token is refused before anything happens.
    const post = await ua.request('/unlock/abc', { form: { csrf: 'nope' } });
    expect(post.status).toBe(403);
  });

  test('a wrong bot-challenge answer is refused like a missing one', async () => {
    const { email } = await member(fx, 'badpow');
    await campaign(email, '198.51.103');
    const stranger = browserFrom(fx, '192.0.2.54');
    const challenged = await attempt(fx, stranger, email, PASSWORD);
    const wrong = await stranger.submit(challenged, '/login', { email, password: PASSWORD, bot_solution: '1' });
    expect(wrong.status).toBe(403);
    expect(hasChallenge(wrong)).toBe(true);
    expect(wrong.body).not.toContain('we sent it a link');
    // Fresh pages never leak whether the account is under attack before a password is tried.
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '192.0.2.55')))).toBe(false);
  });
});
