// Two server instances on one store (one SQLite file; one Mongo database), as N instances behind a load balancer
// run: the second is a real child process (`node server/main.ts`) with the same issuer and key-encryption key.
// Sign-in failures spread over both count towards one per-account limit, and a session or a code made on one is
// honoured by the other.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { attempt, browserFrom, hasChallenge, member, PASSWORD } from '../support/attack.ts';
import { openLoginPage, signIn, UserAgent } from '../support/member.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../support/oidc-client.ts';
import { bootServerProcess, stopServerProcess, type ServerProcess } from '../support/server-process.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const WRONG = 'a wrong guess of the password';
const LIMIT = 10;

describe.each(STORES)('two instances on one store (%s)', (store) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-instances-'));
  const mongoUri = mongoTestUri(`idp_instances_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  const shared: Record<string, string> = {
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...(store === 'mongo' ? { MONGODB_URI: mongoUri } : {}),
    TRUST_PROXY: 'true',
    SIGN_IN_ACCOUNT_FAILURES_PER_HOUR: String(LIMIT),
    RISK_NEW_DEVICE_STEP_UP: 'false',
    BOT_CHALLENGE_DIFFICULTY: '12',
    SIGN_IN_IP_FAILURES_PER_DAY: '100000',
    STUFFING_ACCOUNTS_PER_IP: '10000',
    SPRAY_ACCOUNTS_PER_PASSWORD: '10000',
  };
  const fx = useMemberServer(store, shared);
  let second: ServerProcess;

  beforeAll(async () => {
    // Behind a load balancer every instance has the one public issuer: the first instance's URL here.
    second = await bootServerProcess({ ...shared, ISSUER: fx.server.url, NODE_ENV: 'test' });
  }, 60_000);

  afterAll(async () => {
    await stopServerProcess(second);
    if (store === 'mongo') await dropMongoDatabase(mongoUri);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** An authorization URL of the relying party, sent to the second instance (as a load balancer might). */
  async function onSecond(params: Record<string, string> = {}) {
    const request = await authorizationRequest(fx.config, params);
    const url = new URL(request.url);
    const target = new URL(second.url);
    url.host = target.host;
    return { request, url: url.href };
  }

  test('failed sign-ins spread over both instances count towards one limit for the account', async () => {
    const { email } = await member(fx, 'shared-limit');
    for (let i = 0; i < LIMIT; i += 1) {
      const ip = `198.51.100.${i + 1}`;
      if (i % 2 === 0) {
        expect((await attempt(fx, browserFrom(fx, ip), email, WRONG)).status).toBe(400);
      } else {
        const ua = new UserAgent(second.url, { 'x-forwarded-for': ip });
        const page = await ua.submit(await openLoginPage(ua, (await onSecond()).url), '/login', { email, password: WRONG });
        expect(page.status).toBe(400);
      }
    }
    // Each instance saw only half the failures: the extra proof shows on both because the counter is the store's.
    const onFirst = await attempt(fx, browserFrom(fx, '192.0.2.60'), email, PASSWORD);
    expect(onFirst.status).toBe(403);
    expect(hasChallenge(onFirst)).toBe(true);
    const ua = new UserAgent(second.url, { 'x-forwarded-for': '192.0.2.61' });
    const onSecondPage = await ua.submit(await openLoginPage(ua, (await onSecond()).url), '/login', { email, password: PASSWORD });
    expect(onSecondPage.status).toBe(403);
    expect(hasChallenge(onSecondPage)).toBe(true);
  });

  /** A browser on `url` holding the cookies `from` holds (the load balancer sends one browser to either instance). */
  function sameBrowserOn(url: string, from: UserAgent, ip: string): UserAgent {
    const ua = new UserAgent(url, { 'x-forwarded-for': ip });
    for (const pair of from.cookieHeader().split('; ')) {
      const eq = pair.indexOf('=');
      if (eq > 0) ua.setCookie(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return ua;
  }

  test('a sign-in made on one instance resumes and is a session on the other; codes are redeemed on either', async () => {
    const { email } = await member(fx, 'shared-session');
    const ip = '192.0.2.70';
    // The password is checked on the second instance; the flow then resumes at the issuer, the first instance.
    const onB = new UserAgent(second.url, { 'x-forwarded-for': ip });
    const { request, url } = await onSecond();
    const signedIn = await signIn(onB, await openLoginPage(onB, url), email, PASSWORD);
    expect(signedIn.url.startsWith(`${fx.server.url}/auth/`)).toBe(true);
    const onA = sameBrowserOn(fx.server.url, onB, ip);
    const done = await onA.follow(signedIn.url);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()?.email).toBe(email);

    // The session the first instance holds is one on the second: no sign-in page there, straight to a code.
    const backOnB = sameBrowserOn(second.url, onA, ip);
    const again = await onSecond();
    const sso = await backOnB.follow(again.url);
    expect(sso.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, sso.url, again.request)).claims()?.email).toBe(email);
  });
});
