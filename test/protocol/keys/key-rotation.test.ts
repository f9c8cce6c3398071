// Signing-key rotation (POST /admin/keys/rotate) seen by a relying party that caches the JWKS: the new key is
// published at once but signs only after the delay, so a cache filled after the rotation verifies tokens from
// both sides of the switch; the old key leaves the JWKS after its tokens' lifetime; every instance agrees.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { authorizationRequest, discover, exchange, oidc, registerClient, type RegisteredClient } from '../../support/oidc-client.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';

const API = 'https://api.rotation.example/';
// Generous against a busy machine: the test waits for these to pass, it never assumes how fast it runs.
const SIGN_DELAY_SECONDS = 8;
const RETIRE_AFTER_SECONDS = 4;

interface Jwks { keys: Array<{ kid: string; alg: string; d?: string }> }

describe.each(STORES)('signing-key rotation (%s)', (store) => {
  let a: TestServer;
  let b: TestServer;
  let dataDir: string;
  let client: RegisteredClient;
  let sink: SmtpSink;
  let member: { ua: UserAgent; config: oidc.Configuration; email: string };
  // The API is RS256-only so that its access tokens and the ID tokens share one key line to rotate.
  const env = { RS256_RESOURCES: API, KEY_ROTATION_SIGN_DELAY_SECONDS: String(SIGN_DELAY_SECONDS), KEY_ROTATION_RETIRE_AFTER_SECONDS: String(RETIRE_AFTER_SECONDS) };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-rotation-'));
    const mongoDb = `rotation_${Date.now()}`;
    sink = await startSmtpSink();
    a = await startTestServer({ store, dataDir, mongoDb, env: { ...env, SMTP_URL: sink.url } });
    b = await startTestServer({ store, dataDir, mongoDb, env });
    client = await registerClient(a, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'email', allowed_resources: [API] });
    const config = await discover(a, await registerClient(a, { first_party: true }));
    const ua = new UserAgent(a.url);
    const email = uniqueEmail('rotation');
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config)).url), sink, email);
    member = { ua, config, email };
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sink?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A JWT access token (RS256) from instance `server`, as a resource server would receive it. */
  async function mint(server: TestServer): Promise<string> {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'email', resource: API }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;
  const jwks = async (server: TestServer) => (await (await fetch(`${server.url}/jwks`)).json()) as Jwks;
  const rsaKids = (set: Jwks) => set.keys.filter((key) => key.alg === 'RS256').map((key) => key.kid);

  /** Polls (without assuming the machine's speed) until `check` holds. */
  async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** An ID token for the member (a sign-in the first time, single sign-on after). */
  async function idToken(): Promise<string> {
    const request = await authorizationRequest(member.config);
    let page = await member.ua.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(member.ua, page, member.email);
    return (await exchange(member.config, page.url, request)).id_token!;
  }

  test('publish at once, sign after the delay, retire after the token lifetime, on every instance', async () => {
    const before = await mint(a);
    const oldKid = kidOf(before)!;
    const idTokenBefore = await idToken();
    expect(kidOf(idTokenBefore)).toBe(oldKid);
    expect(rsaKids(await jwks(a))).toEqual([oldKid]);

    const admin = await a.adminToken();
    const rotated = await fetch(`${a.url}/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(rotated.status).toBe(201);
    const rotation = (await rotated.json()) as { kids: string[]; active_from: string; previous_keys_retire_at: string };
    const activeFrom = Date.parse(rotation.active_from);
    const retireAt = Date.parse(rotation.previous_keys_retire_at);
    expect(activeFrom - Date.now()).toBeLessThanOrEqual(SIGN_DELAY_SECONDS * 1000);
    expect(retireAt - activeFrom).toBe(RETIRE_AFTER_SECONDS * 1000);
    expect(rotation.kids).toHaveLength(3);
    const newKid = rotation.kids.find((kid) => kid.startsWith('rs256-'))!;

    // Published at once (both keys, public parts only) ...
    const published = await jwks(a);
    expect(rsaKids(published).sort()).toEqual([oldKid, newKid].sort());
    expect(published.keys.every((key) => key.d === undefined)).toBe(true);
    // ... and the other instance publishes it too once it reloads (it does so every minute by itself).
    await b.container.signingKeys.reload();
    expect(await jwks(b)).toEqual(published);

    // A relying party fills its cache now and never fetches again.
    const cached = createRemoteJWKSet(new URL(`${a.url}/jwks`), { cacheMaxAge: Infinity, cooldownDuration: Infinity });
    const verify = (jwt: string) => jwtVerify(jwt, cached, { issuer: a.url, audience: API });
    await verify(before);

    // Until the delay passes, both instances still sign with the old key.
    const stillOld = await mint(a);
    const stillOldOnB = await mint(b);
    if (Date.now() < activeFrom) {
      expect(kidOf(stillOld)).toBe(oldKid);
      expect(kidOf(stillOldOnB)).toBe(oldKid);
    }
    await verify(stillOld);

    // After it, the new key signs, and the cache filled before the switch verifies the new tokens.
    const after = await eventually(async () => {
      const jwt = await mint(a);
      return kidOf(jwt) === newKid ? jwt : undefined;
    }, 'a token signed with the new key');
    expect(Date.now()).toBeGreaterThanOrEqual(activeFrom);
    await verify(after);
    await verify(before);
    await eventually(async () => (kidOf(await mint(b)) === newKid ? true : undefined), 'the other instance signing with the new key');
    // ID tokens switch too; the provider itself still accepts one signed by the old key as id_token_hint at logout.
    expect(kidOf(await idToken())).toBe(newKid);
    if (Date.now() < retireAt) {
      const confirm = await member.ua.follow(oidc.buildEndSessionUrl(member.config, { id_token_hint: idTokenBefore }).href);
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain('name="logout"');
    }

    // The old key stays published until its retirement, then disappears from the JWKS.
    if (Date.now() < retireAt) expect(rsaKids(await jwks(a))).toContain(oldKid);
    await eventually(async () => (rsaKids(await jwks(a)).includes(oldKid) ? undefined : true), 'the old key leaving the JWKS');
    expect(Date.now()).toBeGreaterThanOrEqual(retireAt);
    expect(rsaKids(await jwks(a))).toEqual([newKid]);
    await b.container.signingKeys.reload();
    expect(rsaKids(await jwks(b))).toEqual([newKid]);
    // A fresh relying party no longer accepts what the retired key signed; the new key's tokens still verify.
    const fresh = createRemoteJWKSet(new URL(`${a.url}/jwks`));
    await expect(jwtVerify(before, fresh, { issuer: a.url, audience: API })).rejects.toThrow();
    await jwtVerify(after, fresh, { issuer: a.url, audience: API });
    // The retired private key is gone from the store too; the new one is stored encrypted.
    const stored = await a.container.storage.keys.list();
    expect(stored.map((key) => key.kid)).not.toContain(oldKid);
    expect(stored.find((key) => key.kid === newKid)?.encryptedPrivateJwk.startsWith('v1.')).toBe(true);
  });

  test('the rotation needs an admin token', async () => {
    const response = await fetch(`${a.url}/admin/keys/rotate`, { method: 'POST' });
    expect(response.status).toBe(401);
  });
});
