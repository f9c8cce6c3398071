// The operator's hooks on the hosted pages, against a hook endpoint started here: pre-registration allows,
// denies with its own localised message or adds profile fields; post-login denies, asks for a step-up or adds
// namespaced claims to the client's ID and access tokens; a hook that hangs, answers invalid JSON or adds
// claims it may not is handled by its failure policy (open: go on; closed: refused with a generic message).
// Every call is signed (verified here as a Standard Webhooks receiver would), audited and counted.
import { adminCaller, type AdminCall } from '../protocol/admin/admin-api.ts';
import { startHookServer, type HookServer, verifySignature } from '../support/hook-server.ts';
import { followLink, isStepUpPage, openLoginPage, PASSWORD, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange, oidc, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const NAMESPACE = 'https://loyalty.example/';

describe.each(STORES)('operator hooks on sign-up and sign-in (%s)', (store) => {
  const fx = useMemberServer(store);
  let hooks: HookServer;
  let admin: AdminCall;
  let token = '';
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    hooks = await startHookServer();
    token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
  });
  afterAll(async () => hooks?.close());

  /** Creates the point's hook (pointing at the local endpoint) or changes it. */
  async function useHook(point: string, settings: Record<string, unknown> = {}): Promise<void> {
    if (ids[point]) {
      const changed = await admin('PATCH', `/admin/hooks/${ids[point]}`, { enabled: true, ...settings });
      expect(changed.status).toBe(200);
      return;
    }
    const created = await admin('POST', '/admin/hooks', { point, url: hooks.url(point), claim_namespace: NAMESPACE, ...settings });
    expect(created.status).toBe(201);
    const body = created.body as unknown as { id: string; secret: string };
    ids[point] = body.id;
    secrets[point] = body.secret;
  }

  async function disableHook(point: string): Promise<void> {
    if (ids[point]) expect((await admin('PATCH', `/admin/hooks/${ids[point]}`, { enabled: false })).status).toBe(200);
  }

  /** A member signed up with no hooks in the way. */
  async function newMember(prefix: string): Promise<string> {
    await disableHook('pre-registration');
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  /** A password sign-in through a fresh browser: the page it ended on and the authorization request. */
  async function signInAs(email: string) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const page = await signIn(ua, await openLoginPage(ua, request.url), email);
    return { ua, request, page };
  }

  const hookEvents = async (reason: string) => (await fx.server.container.audit.list({ types: ['hook.call'], limit: 100 })).events.filter((event) => event.reason === reason);

  test('pre-registration deny: the hook\'s message in the page language, nothing stored, no password sent to the hook; the call is signed', async () => {
    await useHook('pre-registration');
    hooks.answer('pre-registration', { json: { decision: 'deny', message: { en: 'Sign-ups from this address are closed.', es: 'Los registros con esta dirección están cerrados.' } } });
    const email = uniqueEmail('denied');
    const ua = new UserAgent(fx.server.url, { 'accept-language': 'es' });
    const registerPage = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/register');
    const before = hooks.calls.length;
    const refused = await ua.submit(registerPage, '/register', { email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Los registros con esta dirección están cerrados.');
    expect(refused.body).toContain('name="email"');
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();

    const call = hooks.calls[before]!;
    expect(call.body.type).toBe('pre-registration');
    expect(call.body.data).toMatchObject({ email, client_id: fx.client.clientId, locale: 'es' });
    expect(call.raw).not.toContain(PASSWORD);
    expect(verifySignature(secrets['pre-registration']!, call)).toBe(true);
    expect(verifySignature('whsec_' + Buffer.alloc(24).toString('base64'), call)).toBe(false);
  });

  test('pre-registration allow with profile fields: the new member has them', async () => {
    await useHook('pre-registration');
    hooks.answer('pre-registration', { json: { decision: 'allow', profile: { given_name: 'Ana' } } });
    const email = uniqueEmail('profiled');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    expect(await fx.server.container.interactions.profiles.claims(account!.id)).toMatchObject({ given_name: 'Ana' });
  });

  test('pre-registration answer adding a field the program does not have: closed refuses with the generic message, open signs up without it', async () => {
    await useHook('pre-registration', { failure_policy: 'closed' });
    hooks.answer('pre-registration', { json: { decision: 'allow', profile: { email_verified: 'true' } } });
    const ua = new UserAgent(fx.server.url);
    const registerPage = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/register');
    const refused = await ua.submit(registerPage, '/register', { email: uniqueEmail('closed'), password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('We can&#39;t complete this request right now.');

    await useHook('pre-registration', { failure_policy: 'open' });
    const email = uniqueEmail('open');
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    expect(await hookEvents('invalid_answer')).not.toHaveLength(0);
  });

  test('post-login claims: namespaced claims in the ID token and the access token of that client; the hook is told who signed in', async () => {
    const email = await newMember('claims');
    await useHook('post-login', { failure_policy: 'closed' });
    hooks.answer('post-login', { json: { decision: 'allow', claims: { [`${NAMESPACE}segment`]: 'gold', [`${NAMESPACE}offers`]: ['coffee'] } } });
    const { request, page } = await signInAs(email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fx.config, page.url, request);
    expect(tokens.claims()).toMatchObject({ [`${NAMESPACE}segment`]: 'gold', [`${NAMESPACE}offers`]: ['coffee'] });
    const introspected = await oidc.tokenIntrospection(fx.config, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, [`${NAMESPACE}segment`]: 'gold' });

    const call = await hooks.waitForCall('post-login');
    expect(call.body.data).toMatchObject({ email, client_id: fx.client.clientId, method: 'password', acr: 'urn:loyalty:loa:1', amr: ['pwd'] });
    expect(verifySignature(secrets['post-login']!, call)).toBe(true);
  });

  test('post-login deny: the sign-in is refused with the hook\'s message and the client gets nothing', async () => {
    const email = await newMember('deny');
    await useHook('post-login');
    hooks.answer('post-login', { json: { decision: 'deny', message: { fr: 'Compte suspendu.', en: 'Your membership is on hold.' } } });
    const { page } = await signInAs(email);
    expect(page.status).toBe(403);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(false);
    // English page: no exact tag, no same base language, English next.
    expect(page.body).toContain('Your membership is on hold.');
  });

  test('post-login step_up: the member proves a second factor before the client gets a code', async () => {
    const email = await newMember('stepup');
    await useHook('post-login');
    hooks.answer('post-login', { json: { decision: 'step_up' } });
    const { ua, request, page } = await signInAs(email);
    expect(isStepUpPage(page)).toBe(true);
    const done = await stepUpWithEmailCode(ua, page, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe('urn:loyalty:loa:2');
  });

  test('a hook that never answers: open lets the sign-in through at its timeout, closed refuses it; both audited as timeout', async () => {
    const email = await newMember('timeout');
    hooks.answer('post-login', { hold: true });
    await useHook('post-login', { timeout_ms: 300, failure_policy: 'open' });
    const open = await signInAs(email);
    expect(open.page.url.startsWith(REDIRECT_URI)).toBe(true);

    await useHook('post-login', { timeout_ms: 300, failure_policy: 'closed' });
    const closed = await signInAs(email);
    expect(closed.page.status).toBe(403);
    expect(closed.page.body).toContain('We can&#39;t complete this request right now.');
    const timeouts = await hookEvents('timeout');
    expect(timeouts.map((event) => event.details.policy)).toEqual(expect.arrayContaining(['fail_open', 'fail_closed']));
    expect(timeouts[0]!.details).toMatchObject({ point: 'post-login', hook_id: ids['post-login'] });
  });

  test.each([
    ['invalid JSON', { raw: '{"decision": "allow"' }, 'invalid_json'],
    ['claims outside the namespace', { json: { decision: 'allow', claims: { email: 'someone@else.example' } } }, 'invalid_answer'],
    ['a claim that only looks namespaced', { json: { decision: 'allow', claims: { 'https://loyalty.example.evil/x': 1 } } }, 'invalid_answer'],
    ['an unknown decision', { json: { decision: 'maybe' } }, 'invalid_answer'],
    ['a server error', { status: 503 }, 'http_error'],
  ] as const)('%s: closed refuses the sign-in, open lets it through without claims', async (_name, answer, reason) => {
    const email = await newMember('broken');
    hooks.answer('post-login', answer);
    await useHook('post-login', { timeout_ms: 2000, failure_policy: 'closed' });
    expect((await signInAs(email)).page.status).toBe(403);
    await useHook('post-login', { failure_policy: 'open' });
    const { request, page } = await signInAs(email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, page.url, request)).claims()!;
    expect(claims.email).toBe(email);
    expect(Object.keys(claims).filter((name) => name.startsWith('https://'))).toEqual([]);
    expect(await hookEvents(reason)).not.toHaveLength(0);
  });

  test('hook calls are counted by point and outcome on /metrics', async () => {
    const text = await (await fetch(`${fx.server.url}/metrics`)).text();
    expect(text).toMatch(/loyalty_hook_calls_total\{point="post-login",outcome="timeout"\} [1-9]/);
    expect(text).toMatch(/loyalty_hook_calls_total\{point="pre-registration",outcome="deny"\} [1-9]/);
    expect(text).toContain('loyalty_hook_duration_seconds_bucket{le="0.005",point="post-login"}');
  });
});
