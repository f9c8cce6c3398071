// Sign-in throughput with a 50 ms post-login hook against the same build without one, same run: two servers
// on the embedded store in this process (the hook endpoint too), measured in alternating 1 s rounds so both
// see the same machine; reports sign-ins per second for each and their ratio. A sign-in here is the hosted
// flow a member's browser makes: authorization request, login page, password POST, redirect to the client.
// Usage: npm run bench:hooks   (options: DURATION_S, CONCURRENCY, HOOK_DELAY_MS, WARMUP_S)
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer } from '../test/support/test-server.ts';
import { startSmtpSink } from '../test/support/smtp-sink.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../test/support/member.ts';
import { authorizationRequest, discover, REDIRECT_URI, registerClient } from '../test/support/oidc-client.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 20);
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const HOOK_DELAY_MS = Number(process.env.HOOK_DELAY_MS ?? 50);

/** The operator's hook: answers allow after HOOK_DELAY_MS, like a call to a nearby service. */
async function startSlowHook() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"decision":"allow"}'), HOOK_DELAY_MS));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/post-login` };
}

/** A server with a first-party client and CONCURRENCY verified members (one per worker). */
async function prepare(name, sink) {
  const server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: sink.url, LOG_LEVEL: 'silent' } });
  const client = await registerClient(server, { first_party: true });
  const config = await discover(server, client);
  const members = [];
  for (let i = 0; i < CONCURRENCY; i += 1) {
    const email = uniqueEmail(`bench-${name}`);
    const ua = new UserAgent(server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config)).url), sink, email);
    members.push(email);
  }
  return { name, server, config, members, count: 0, seconds: 0 };
}

/** One member's sign-in from a fresh browser, to the redirect back to the client. */
async function oneSignIn(target, email) {
  const ua = new UserAgent(target.server.url);
  const page = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(target.config)).url), email);
  if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`${target.name}: sign-in did not reach the client (${page.status})`);
}

/** CONCURRENCY workers signing in for `seconds`; counts the completed sign-ins into target when `record`. */
async function round(target, seconds, record) {
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  await Promise.all(target.members.map(async (email) => {
    while (Date.now() < until) {
      await oneSignIn(target, email);
      done += 1;
    }
  }));
  if (record) {
    target.count += done;
    target.seconds += (performance.now() - started) / 1000;
  }
}

const sink = await startSmtpSink();
const hook = await startSlowHook();
const plain = await prepare('no-hook', sink);
const hooked = await prepare('post-login-hook', sink);
const token = await hooked.server.adminToken();
const created = await fetch(`${hooked.server.url}/admin/hooks`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ point: 'post-login', url: hook.url, timeout_ms: 2000, failure_policy: 'closed' }),
});
if (created.status !== 201) throw new Error(`hook not created: ${created.status} ${await created.text()}`);

await round(plain, WARMUP_S, false);
await round(hooked, WARMUP_S, false);
// Alternating 1 s rounds: this machine's speed drifts over a minute; both servers share the drift.
for (let i = 0; i < DURATION_S; i += 1) {
  await round(plain, 1, true);
  await round(hooked, 1, true);
}
const rate = (target) => target.count / target.seconds;
const calls = (await hooked.server.container.audit.list({ types: ['hook.call'], limit: 1 })).events.length;
console.log(JSON.stringify({
  concurrency: CONCURRENCY,
  hook_delay_ms: HOOK_DELAY_MS,
  seconds_each: Number(plain.seconds.toFixed(1)),
  sign_ins_per_s_without_hook: Number(rate(plain).toFixed(1)),
  sign_ins_per_s_with_hook: Number(rate(hooked).toFixed(1)),
  ratio_with_over_without: Number((rate(hooked) / rate(plain)).toFixed(3)),
  hook_calls_audited: calls > 0,
}));
await plain.server.close();
await hooked.server.close();
await sink.close();
hook.server.close();
await sleep(10);
