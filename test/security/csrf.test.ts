// Cross-site request forgery on hosted forms: token required, cross-origin posts refused, no change on GET.
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { followLink, openLoginPage, PASSWORD, uniqueEmail, UserAgent } from '../support/member.ts';
import type { oidc } from '../support/oidc-client.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';
import { findForm } from '../support/user-agent.ts';

describe('CSRF defences on hosted pages', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite' });
    config = await discover(server, await registerClient(server, { first_party: true }));
  });
  afterAll(async () => server?.close());

  async function registerForm() {
    const ua = new UserAgent(server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(config)).url);
    const page = await followLink(ua, login, '/register');
    const form = findForm(page.body, '/register');
    return { ua, action: new URL(form.action, page.url).href, csrf: form.hidden.csrf! };
  }

  test.each([
    ['without a token', (_csrf: string) => ({ fields: {}, headers: {} }) as const],
    ['with a forged token', () => ({ fields: { csrf: 'forged' }, headers: {} }) as const],
    ['from another origin', (csrf: string) => ({ fields: { csrf }, headers: { origin: 'https://evil.example' } }) as const],
    ['from another site (Sec-Fetch-Site)', (csrf: string) => ({ fields: { csrf }, headers: { 'sec-fetch-site': 'cross-site' } }) as const],
  ])('a sign-up post %s is refused with 403 and creates nothing', async (_name, make) => {
    const { ua, action, csrf } = await registerForm();
    const email = uniqueEmail('csrf');
    const { fields, headers } = make(csrf);
    const result = await ua.request(action, { form: { ...fields, email, password: PASSWORD }, headers: { ...headers } });
    expect(result.status).toBe(403);
    expect(await server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });

  test('a token from one interaction does not work on another', async () => {
    const first = await registerForm();
    const second = await registerForm();
    const result = await second.ua.request(second.action, { form: { csrf: first.csrf, email: uniqueEmail('cross'), password: PASSWORD } });
    expect(result.status).toBe(403);
  });

  test('state-changing endpoints do not answer GET', async () => {
    const { ua, action } = await registerForm();
    for (const path of ['/login', '/consent', '/abort', '/verify/resend']) {
      const result = await ua.request(action.replace(/\/register$/, path));
      expect([404, 405]).toContain(result.status);
    }
  });
});
