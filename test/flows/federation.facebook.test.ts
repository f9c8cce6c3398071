// Facebook connections: OAuth 2.0 (state + PKCE) and Graph `me` with appsecret_proof; the Graph id is the subject, the email believed only when trusted.
import { randomUUID } from 'node:crypto';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { startFacebookStandIn, type FacebookStandIn } from '../support/facebook-graph.ts';
import { openLoginPage, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

describe.each(STORES)('signing in with a facebook connection (%s)', (store) => {
  const fx = useMemberServer(store);
  let token = '';
  const admin = adminCaller(() => fx.server, () => token);
  let graph: FacebookStandIn;

  beforeAll(async () => {
    token = await fx.server.adminToken();
    graph = await startFacebookStandIn();
  });
  afterAll(async () => graph?.close());

  async function connect(settings: Record<string, unknown> = {}): Promise<string> {
    const created = await admin('POST', '/admin/connections', { kind: 'facebook', client_id: graph.appId, client_secret: graph.appSecret, base_url: graph.url, ...settings });
    if (created.status !== 201) throw new Error(`facebook connection: ${created.status} ${JSON.stringify(created.body)}`);
    return (created.body as unknown as { id: string }).id;
  }

  /** "Continue with Facebook", the dialog (the stand-in signs in graph.nextUser), our callback followed; consent if asked. */
  async function roundTrip(connectionId: string): Promise<{ page: Page; request: Awaited<ReturnType<typeof authorizationRequest>> }> {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const login = await openLoginPage(ua, request.url);
    expect(login.body).toContain('Continue with Facebook');
    const toDialog = await ua.submit(login, `/connections/${connectionId}`);
    expect(toDialog.url.startsWith(graph.url)).toBe(true);
    const dialog = await fetch(toDialog.url, { redirect: 'manual' });
    let page = await ua.follow(dialog.headers.get('location')!);
    if (page.status === 200 && page.body.includes('/consent"')) page = await ua.submit(page, '/consent', { decision: 'allow' });
    return { page, request };
  }

  test('a new member signs up with a trusted connection: the Graph id is the subject, appsecret_proof is sent, first and last name fill the profile', async () => {
    const trusted = await connect({ trusted_email: true });
    const id = String(Date.now()) + String(Math.floor(Math.random() * 1000));
    const email = `fb.${randomUUID()}@example.com`;
    graph.nextUser = { id, name: 'Ana Souza', email, first_name: 'Ana', last_name: 'Souza' };
    const { page, request } = await roundTrip(trusted);
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect((await exchange(fx.config, page.url, request)).claims()!.amr).toEqual(['fed']);
    const dialog = graph.dialogs.at(-1)!;
    expect(dialog.get('state')).toBeTruthy();
    expect(dialog.get('code_challenge_method')).toBe('S256');
    expect(graph.meCalls.at(-1)).toEqual({ fields: 'id,name,email,first_name,last_name', proofValid: true });
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(account.emailVerified).toBe(true);
    expect(await fx.server.container.storage.federatedIdentities.find(trusted, id)).toMatchObject({ accountId: account.id });
    const profile = await fx.server.container.storage.profiles.find(account.id);
    expect([profile.fields.given_name?.value, profile.fields.family_name?.value]).toEqual(['Ana', 'Souza']);
  });

  test('the email of an untrusted facebook connection is not believed: our code verifies it before anything is linked', async () => {
    const untrusted = await connect({ name: 'Facebook (untrusted)' });
    const id = `9${Date.now()}`;
    const email = `fb.${randomUUID()}@example.com`;
    graph.nextUser = { id, email, first_name: 'Bia' };
    const { page } = await roundTrip(untrusted);
    expect(page.url).toMatch(/\/verify$/);
    expect((await fx.server.container.storage.accounts.findByEmail(email))!.emailVerified).toBe(false);
    expect(await fx.server.container.storage.federatedIdentities.find(untrusted, id)).toBeUndefined();
  });

  test('a cancel in the dialog brings the member back with a plain message and creates no one', async () => {
    const connection = await connect({ name: 'Facebook (cancel)', trusted_email: true });
    graph.nextUser = undefined;
    const { page } = await roundTrip(connection);
    expect(page.body).toContain('You cancelled signing in with the other service');
  });

  test('a wrong app secret is refused at the token request: no one is signed in or created', async () => {
    const wrong = await connect({ name: 'Facebook (wrong secret)', trusted_email: true, client_secret: 'not-the-app-secret' });
    const email = `fb.${randomUUID()}@example.com`;
    graph.nextUser = { id: `8${Date.now()}`, email };
    const { page } = await roundTrip(wrong);
    expect(page.body).toContain('couldn&#39;t sign you in with the other service');
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });
});
