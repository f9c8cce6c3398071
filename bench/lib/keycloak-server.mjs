// Keycloak for bench/peers.mjs: starts it in dev mode on loopback (own process group, so stopping it also stops
// the JVM kc.sh forks), sets up a realm, clients and members through its admin REST API, signs a member in
// through its login form without a browser, and times one password verify with its hashing code on its JVM.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { URLSearchParams } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from './browser.mjs';
import { exchange, freePort, tail } from './processes.mjs';
import { keycloakHashPolicy, loginFormAction } from './peer-parsing.ts';

const START_TIMEOUT_MS = 240_000; // the first start also runs Quarkus' build step (about a minute on two shared cores)

/** The PID of the JVM under kc.sh: kc.sh runs java as its child, or execs it after a rebuild (same PID). */
function jvmPid(shellPid) {
  const comm = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  if (comm(shellPid) === 'java') return shellPid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      if (Number(stat[1]) === shellPid && comm(entry) === 'java') return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/**
 * Starts `kc.sh start-dev` on 127.0.0.1 with a fresh dev database (H2 file under the distribution's data/), the
 * theme and template caches on (dev mode turns them off; a deployed server has them), and a bootstrap admin.
 * Answers { base, pid (the JVM's), admin, version, child (kc.sh), stop() }.
 */
export async function startKeycloak({ home, java, logFile }) {
  rmSync(join(home, 'data'), { recursive: true, force: true });
  const [port, managementPort] = [await freePort(), await freePort()];
  const admin = { username: 'bench-admin', password: randomBytes(18).toString('base64url') };
  const out = openSync(logFile, 'w');
  const child = spawn(join(home, 'bin', 'kc.sh'), [
    'start-dev', '--http-host=127.0.0.1', `--http-port=${port}`, `--http-management-port=${managementPort}`,
    '--spi-theme--cache-themes=true', '--spi-theme--cache-templates=true',
  ], {
    cwd: home, detached: true, stdio: ['ignore', out, out],
    env: { ...process.env, JAVA_HOME: java.home, KC_BOOTSTRAP_ADMIN_USERNAME: admin.username, KC_BOOTSTRAP_ADMIN_PASSWORD: admin.password },
  });
  closeSync(out);
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // Whatever way this process ends (deadline, error, Ctrl-C), the JVM must not outlive it.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
    killGroup('SIGKILL'); // anything of the group left behind
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`Keycloak exited before it was ready; log: ${logFile}\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak did not start within ${START_TIMEOUT_MS / 1000} s; log: ${logFile}\n${tail(logFile)}`);
    }
    if (/Listening on: http/.test(readFileSync(logFile, 'utf8'))) {
      const probe = await exchange(`${base}/realms/master`, { timeoutMs: 5000 }).catch(() => undefined);
      if (probe?.status === 200) break;
    }
    await sleep(500);
  }
  const pid = jvmPid(child.pid);
  if (pid === undefined) {
    await stop();
    throw new Error('Keycloak is up but its JVM process was not found under kc.sh');
  }
  const version = /Keycloak ([\d.]+) on JVM/.exec(readFileSync(logFile, 'utf8'))?.[1];
  return { base, pid, admin, version, child, stop };
}

/** The admin REST API of a running Keycloak, authenticated as the bootstrap admin (tokens renewed before they lapse). */
export class KeycloakAdmin {
  constructor(base, { username, password }) {
    this.base = base;
    this.username = username;
    this.password = password;
    this.expires = 0;
  }

  async token() {
    if (Date.now() < this.expires) return this.accessToken;
    const response = await fetch(`${this.base}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: this.username, password: this.password }),
    });
    const body = await response.json();
    if (!body.access_token) throw new Error(`Keycloak admin sign-in: ${response.status} ${JSON.stringify(body)}`);
    this.accessToken = body.access_token;
    // The master realm's tokens live 60 s: renew at half their life.
    this.expires = Date.now() + (body.expires_in * 1000) / 2;
    return this.accessToken;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.base}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${await this.token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Keycloak admin ${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * A realm with a confidential client that may use client credentials (`confidential`: { id, secret }) and a
   * public code + PKCE (S256) client whose redirect URI is on loopback (`app`: { id, redirectUri }).
   */
  async createRealm(realm, { confidential, app }) {
    await this.call('POST', '/realms', { realm, enabled: true });
    await this.call('POST', `/realms/${realm}/clients`, {
      clientId: confidential.id, secret: confidential.secret, publicClient: false, clientAuthenticatorType: 'client-secret',
      serviceAccountsEnabled: true, standardFlowEnabled: false, directAccessGrantsEnabled: false,
    });
    await this.call('POST', `/realms/${realm}/clients`, {
      clientId: app.id, publicClient: true, standardFlowEnabled: true, directAccessGrantsEnabled: false,
      redirectUris: [app.redirectUri], attributes: { 'pkce.code.challenge.method': 'S256' },
    });
  }

  /**
   * `members` ({ email, password }) as enabled users with a verified email, names (Keycloak's default user profile
   * asks for them at sign-in otherwise) and a password, `parallel` at a time.
   */
  async createUsers(realm, members, parallel = 4) {
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < members.length) {
        const member = members[next++];
        await this.call('POST', `/realms/${realm}/users`, {
          username: member.email, email: member.email, emailVerified: true, enabled: true, firstName: 'Bench', lastName: 'Member',
          credentials: [{ type: 'password', value: member.password, temporary: false }],
        });
      }
    }));
  }

  /** The hashing policy Keycloak applied to `email`'s password (read back from the stored credential). */
  async passwordPolicyOf(realm, email) {
    const [user] = await this.call('GET', `/realms/${realm}/users?${new URLSearchParams({ username: email, exact: 'true' })}`);
    const credentials = await this.call('GET', `/realms/${realm}/users/${user.id}/credentials`);
    const password = credentials.find((c) => c.type === 'password');
    const policy = password && keycloakHashPolicy(password.credentialData);
    if (!policy) throw new Error(`cannot read the password hashing policy of ${email}: ${JSON.stringify(credentials)}`);
    return policy;
  }
}

/** Our benchmark browser, on Keycloak's endpoints and login form (username, password; the action carries the state). */
export class KeycloakBrowser extends Browser {
  /** `realmUrl`: http://host:port/realms/<realm>. */
  constructor({ realmUrl, ...options }) {
    super({ ...options, base: new URL(realmUrl).origin });
    this.realmUrl = realmUrl;
  }

  async loginPage() {
    this.verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(this.verifier).digest('base64url');
    const auth = `${this.realmUrl}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: this.client.id, response_type: 'code', scope: 'openid', redirect_uri: this.client.redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's' })}`;
    const page = await this.follow(await this.get(auth), auth);
    const action = loginFormAction(page.text);
    if (!action) throw new Error(`no Keycloak sign-in form: ${page.status} ${page.text.slice(0, 200)}`);
    return { action };
  }

  async signIn(username, password) {
    const { action } = await this.loginPage();
    const posted = await this.get(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username, password, credentialId: '' }).toString() });
    const end = await this.follow(posted, action);
    if (end.url.startsWith(this.client.redirectUri)) {
      this.callback = end.url;
      return 'signed_in';
    }
    if (end.status === 200 && loginFormAction(end.text)) return 'wrong';
    return `other ${end.status}`;
  }

  async exchangeCode() {
    const code = new URL(this.callback).searchParams.get('code');
    const response = await exchange(`${this.realmUrl}/protocol/openid-connect/token`, {
      method: 'POST', agent: this.agent, timeoutMs: this.timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: this.client.id, redirect_uri: this.client.redirectUri, code_verifier: this.verifier }).toString(),
    });
    if (response.status !== 200 || !response.text.includes('"id_token"')) throw new Error(`Keycloak code exchange failed: ${response.status} ${response.text.slice(0, 200)}`);
    return JSON.parse(response.text);
  }
}

/**
 * One password verify's time (median ms of `count`, after a warm-up) with Keycloak's hashing code and `policy`,
 * on the JVM Keycloak runs on: bench/lib/keycloak-hash-cost.java against the Bouncy Castle jar in its lib/.
 */
export function keycloakHashCost({ home, java, policy, count = 20 }) {
  const libDir = join(home, 'lib', 'lib', 'main');
  const bcprov = existsSync(libDir) ? readdirSync(libDir).find((name) => /^org\.bouncycastle\.bcprov-.*\.jar$/.test(name)) : undefined;
  if (!bcprov) throw new Error(`no Bouncy Castle jar in ${libDir}`);
  const source = new URL('./keycloak-hash-cost.java', import.meta.url).pathname;
  const args = ['-cp', join(libDir, bcprov), source, policy.algorithm, String(policy.iterations), String(policy.memoryKiB ?? 0), String(policy.parallelism ?? 1), policy.type ?? 'id', String(policy.hashLength ?? 64), String(count)];
  const result = spawnSync(java.binary, args, { encoding: 'utf8', timeout: 300_000 });
  const line = result.stdout?.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`keycloak-hash-cost.java: ${result.status} ${result.stderr || result.error?.message}`);
  return JSON.parse(line);
}
